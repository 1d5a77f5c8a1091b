# SPDX-License-Identifier: Apache-2.0
"""PyTorch (CUDA) on the shapes of bench_ops_cuda, timed the same way: CUDA events, median of
30 runs after 3 warm-ups, ratio to a device-to-device copy of the same bytes in this run."""
import statistics
import sys

import torch


def median_ms(fn, repeats=30):
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    if not torch.cuda.is_available():
        print("torch_ops: no CUDA device")
        return 1
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    g = torch.Generator(device="cuda").manual_seed(1)
    x = (torch.rand(4096, 32000, device="cuda", generator=g) - 0.5) * 10
    y = torch.empty_like(x)
    bytes_rw = 2 * 4 * x.numel()
    t_copy = median_ms(lambda: y.copy_(x))
    print(f"{'op':34s} {'ms':>9s} {'rate':>12s} {'ratio':>10s}")
    print(f"{'copy f32[4096,32000] (reference)':34s} {t_copy:9.3f} {bytes_rw / t_copy * 1e-6:9.0f} GB/s {1:10.2f}")

    def row(name, ms, nbytes):
        print(f"{name:34s} {ms:9.3f} {nbytes / ms * 1e-6:9.0f} GB/s {(nbytes / ms) / (bytes_rw / t_copy):10.2f}")

    row("torch.softmax f32[4096,32000]", median_ms(lambda: torch.softmax(x, dim=1)), bytes_rw)
    row("torch.log_softmax f32[4096,32000]", median_ms(lambda: torch.log_softmax(x, dim=1)), bytes_rw)
    row("torch.logsumexp f32[4096,32000]", median_ms(lambda: torch.logsumexp(x, dim=1)), bytes_rw / 2)
    row("torch.argmax f32[4096,32000]", median_ms(lambda: torch.argmax(x, dim=1)), bytes_rw / 2)
    row("torch.exp f32[4096,32000]", median_ms(lambda: torch.exp(x, out=y)), bytes_rw)
    row("torch.topk k=50 f32[512,32000]", median_ms(lambda: torch.topk(x[:512], 50, dim=1)), 4 * 512 * 32000)
    a = (torch.rand(4096, 4096, device="cuda", generator=g) - 0.5)
    b = (torch.rand(4096, 4096, device="cuda", generator=g) - 0.5)
    torch.backends.cuda.matmul.allow_tf32 = False
    t = median_ms(lambda: a @ b, 10)
    print(f"{'torch.matmul f32 4096^3 (no TF32)':34s} {t:9.3f} {2 * 4096**3 / t * 1e-9:7.1f} TFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
