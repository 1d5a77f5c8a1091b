# SPDX-License-Identifier: Apache-2.0
"""posttrain.torch's autograd functions against torch autograd in the same process: each loss and
its gradients against the same loss written with torch operations (F.cross_entropy for the IVL
loss, PyGCL's and SimCLR's formulas for the contrastive ones), torch.autograd.gradcheck, a few
steps of training that must follow the same path, strided inputs, and the errors.

Skipped when torch is not installed, unless POSTTRAIN_REQUIRE names it (peers.py)."""
import gc
import sys
import weakref

import numpy as np
import pytest

from peers import require

torch = require("torch")
import torch.nn.functional as F  # noqa: E402

import posttrain
import posttrain.torch as ptt


def normalise(z):
    return z / z.norm(dim=1, keepdim=True).clamp_min(1e-12)


def reference_contrastive(z1, z2, objective="infonce", tau=0.2, symmetric=False):
    """The losses as PyGCL (InfoNCE, DualBranchContrast), GraphCL and SimCLR write them."""
    u, v = normalise(z1), normalise(z2)
    n = len(u)
    if objective == "nt_xent":
        w = torch.cat([u, v])
        s = (w @ w.T / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
        positive = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
        return F.cross_entropy(s, positive)
    s = u @ v.T / tau
    target = torch.arange(n)
    if objective == "graphcl":
        off = s.masked_fill(torch.eye(n, dtype=torch.bool), float("-inf"))
        return (-s.diagonal() + off.logsumexp(1)).mean()
    one_way = F.cross_entropy(s, target)
    return 0.5 * (one_way + F.cross_entropy(s.T, target)) if symmetric else one_way


def grads_of(loss_fn, *tensors):
    leaves = [t.detach().clone().requires_grad_(True) for t in tensors]
    loss = loss_fn(*leaves)
    loss.backward()
    return loss.detach(), [t.grad for t in leaves]


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(3)
    z_base = torch.randn(12, 40, generator=g, dtype=torch.float64) * 3
    z_value = torch.randn(12, 40, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 40, (12,), generator=g)
    labels[[2, 7]] = -100
    return z_base, z_value, labels


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 2e-6)])
@pytest.mark.parametrize("lam", [0.0, 0.4])
def test_ivl_loss_matches_cross_entropy_plus_l1_in_autograd(logits, dtype, tol, lam):
    z_base, z_value, labels = (t.to(dtype) if t.is_floating_point() else t for t in logits)
    z_base[0, 5] = float("-inf")  # a masked vocabulary entry: probability 0, gradient 0
    ours, (g,) = grads_of(lambda zv: ptt.ivl_loss(z_base, zv, labels, lam=lam), z_value)
    ref, (r,) = grads_of(lambda zv: F.cross_entropy(z_base + zv, labels) + lam * zv.abs().mean(), z_value)
    assert ours.dtype == dtype
    assert ours.item() == pytest.approx(ref.item(), rel=tol)
    torch.testing.assert_close(g, r, rtol=tol, atol=tol)
    assert g[0, 5] == lam / g.numel() * torch.sign(z_value[0, 5])


def test_cross_entropy_is_a_drop_in_for_F_cross_entropy(logits):
    _, z, labels = logits
    for ignore_index in (-100, 3):
        labels = labels.masked_fill(labels < 0, ignore_index)
        ours, (g,) = grads_of(lambda x: ptt.cross_entropy(x, labels, ignore_index=ignore_index), z)
        ref, (r,) = grads_of(lambda x: F.cross_entropy(x, labels, ignore_index=ignore_index), z)
        assert ours.item() == pytest.approx(ref.item(), rel=1e-12)
        torch.testing.assert_close(g, r, rtol=1e-12, atol=1e-14)


def test_cross_entropy_with_no_labelled_row_is_zero_not_nan(logits):
    _, z, _ = logits
    ours, (g,) = grads_of(lambda x: ptt.cross_entropy(x, torch.full((12,), -100)), z)
    assert ours.item() == 0.0
    assert torch.count_nonzero(g) == 0
    assert torch.isnan(F.cross_entropy(z, torch.full((12,), -100)))  # torch's convention differs


def test_the_incoming_gradient_scales_and_uses_accumulate(logits):
    z_base, z_value, labels = logits
    zv = z_value.clone().requires_grad_(True)
    loss = ptt.ivl_loss(z_base, zv, labels)
    (2.5 * loss + loss).backward()
    ref, (r,) = grads_of(lambda x: 3.5 * (F.cross_entropy(z_base + x, labels) + x.abs().mean()), z_value)
    torch.testing.assert_close(zv.grad, r, rtol=1e-12, atol=1e-15)
    # A second backward through a retained graph gives the same gradient again.
    zv.grad = None
    loss = ptt.ivl_loss(z_base, zv, labels)
    loss.backward(retain_graph=True)
    first = zv.grad.clone()
    loss.backward()
    torch.testing.assert_close(zv.grad, 2 * first)


def test_training_with_ivl_loss_follows_cross_entropys_path():
    """A value head trained by SGD with either loss ends with the same weights."""
    g = torch.Generator().manual_seed(5)
    hidden = torch.randn(32, 16, generator=g, dtype=torch.float64)
    z_base = torch.randn(32, 50, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 50, (32,), generator=g)
    start = torch.randn(16, 50, generator=g, dtype=torch.float64) * 0.1
    weights = []
    for loss_fn in (lambda zv: ptt.ivl_loss(z_base, zv, labels, lam=0.1),
                    lambda zv: F.cross_entropy(z_base + zv, labels) + 0.1 * zv.abs().mean()):
        w = start.clone().requires_grad_(True)
        opt = torch.optim.SGD([w], lr=0.5, momentum=0.9)
        for _ in range(20):
            opt.zero_grad()
            loss_fn(hidden @ w).backward()
            opt.step()
        weights.append(w.detach())
    assert not torch.equal(weights[0], start)
    torch.testing.assert_close(weights[0], weights[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("objective,symmetric", [("infonce", False), ("infonce", True), ("graphcl", False),
                                                 ("nt_xent", False)])
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_contrastive_losses_match_torch_autograd(objective, symmetric, dtype, tol):
    g = torch.Generator().manual_seed(11)
    z1 = torch.randn(24, 8, generator=g, dtype=dtype)
    z2 = z1 + 0.5 * torch.randn(24, 8, generator=g, dtype=dtype)
    ours, (o1, o2) = grads_of(lambda a, b: ptt.contrastive_loss(a, b, objective, 0.5, symmetric), z1, z2)
    ref, (r1, r2) = grads_of(lambda a, b: reference_contrastive(a, b, objective, 0.5, symmetric), z1, z2)
    assert ours.item() == pytest.approx(ref.item(), rel=tol)
    torch.testing.assert_close(o1, r1, rtol=tol, atol=tol * 1e-2)
    torch.testing.assert_close(o2, r2, rtol=tol, atol=tol * 1e-2)


def test_contrastive_loss_passes_gradcheck():
    g = torch.Generator().manual_seed(1)
    z1 = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: ptt.contrastive_loss(a, b, "infonce", 0.3, True), (z1, z2))
    assert torch.autograd.gradcheck(lambda a, b: ptt.contrastive_loss(a, b, "nt_xent", 0.3), (z1, z2))
    zb = torch.randn(6, 9, generator=g, dtype=torch.float64)
    zv = torch.randn(6, 9, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 3, -100, 8, 1, 1])
    assert torch.autograd.gradcheck(lambda x: ptt.ivl_loss(zb, x, y, lam=0.0), (zv,))


def test_only_the_views_that_require_grad_get_one():
    g = torch.Generator().manual_seed(2)
    z1 = torch.randn(10, 5, generator=g, requires_grad=True)
    z2 = torch.randn(10, 5, generator=g)
    ptt.contrastive_loss(z1, z2).backward()
    ref = z1.detach().clone().requires_grad_(True)
    reference_contrastive(ref, z2).backward()
    torch.testing.assert_close(z1.grad, ref.grad, rtol=1e-4, atol=1e-6)
    assert z2.grad is None


def test_complementary_loss_with_a_bool_mask_matches_autograd():
    g = torch.Generator().manual_seed(4)
    z1 = torch.randn(16, 10, generator=g, dtype=torch.float64)
    z2 = z1 + 0.3 * torch.randn(16, 10, generator=g, dtype=torch.float64)
    mask = torch.rand(16, 10, generator=g) < 0.3
    ours, (o1, o2) = grads_of(lambda a, b: ptt.complementary_loss(a, b, mask, temperature=0.5, weight=0.7), z1, z2)
    ref, (r1, r2) = grads_of(lambda a, b: reference_contrastive(a, b, tau=0.5)
                             + 0.7 * reference_contrastive(a, b * ~mask, tau=0.5), z1, z2)
    assert ours.item() == pytest.approx(ref.item(), rel=1e-10)
    torch.testing.assert_close(o1, r1, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(o2, r2, rtol=1e-10, atol=1e-12)


def test_complementary_loss_chooses_the_mask_it_documents():
    g = torch.Generator().manual_seed(6)
    z1 = torch.randn(16, 10, generator=g, dtype=torch.float64)
    z2 = z1 + 0.3 * torch.randn(16, 10, generator=g, dtype=torch.float64)
    mask = torch.from_numpy(posttrain.highlighted_dimensions(z1, z2, ratio=0.2)).bool()
    chosen, (c1, c2) = grads_of(lambda a, b: ptt.complementary_loss(a, b, ratio=0.2), z1, z2)
    given, (g1, g2) = grads_of(lambda a, b: ptt.complementary_loss(a, b, mask), z1, z2)
    assert chosen.item() == given.item()
    assert torch.equal(c1, g1) and torch.equal(c2, g2)


def test_strided_and_transposed_tensors_are_read_in_place(logits):
    z_base, z_value, labels = logits
    wide = torch.zeros(12, 80, dtype=torch.float64)
    wide[:, ::2] = z_value
    zv = wide[:, ::2].clone().requires_grad_(True)  # a contiguous leaf, for .grad
    view = wide[:, ::2]
    assert not view.is_contiguous()
    loss_view = ptt.ivl_loss(z_base.T.contiguous().T, view, labels)  # column-major base
    ours, (g,) = grads_of(lambda x: ptt.ivl_loss(z_base, x, labels), zv)
    assert loss_view.item() == pytest.approx(ours.item(), rel=1e-14)
    long_labels = torch.stack([labels, labels], 1)[:, 0]  # a strided label vector
    assert not long_labels.is_contiguous()
    assert ptt.cross_entropy(view, long_labels).item() == pytest.approx(F.cross_entropy(view, labels).item(),
                                                                         rel=1e-12)


def test_errors_are_torch_friendly(logits):
    z_base, z_value, labels = logits
    with pytest.raises(ValueError, match="z_base requires grad"):
        ptt.ivl_loss(z_base.clone().requires_grad_(True), z_value.clone().requires_grad_(True), labels)
    with pytest.raises(TypeError, match="float32 or float64"):
        ptt.cross_entropy(z_value.half(), labels)
    with pytest.raises(ValueError, match="label"):
        ptt.cross_entropy(z_value, torch.full((12,), 40))
    with pytest.raises(ValueError, match="one label per row"):
        ptt.cross_entropy(z_value, labels[:5])
    z = torch.randn(4, 3, requires_grad=True)
    loss = ptt.contrastive_loss(z, torch.randn(4, 3))
    grad, = torch.autograd.grad(loss, z, create_graph=True)
    with pytest.raises(RuntimeError):
        grad.sum().backward()  # first derivatives only


def test_no_reference_outlives_the_graph(logits):
    z_base, z_value, labels = logits
    zv = z_value.clone().requires_grad_(True)
    before = sys.getrefcount(zv)
    loss = ptt.ivl_loss(z_base, zv, labels)
    loss.backward()
    grad = weakref.ref(loss.grad_fn)
    del loss
    gc.collect()
    assert grad() is None
    assert sys.getrefcount(zv) == before
    assert np.isfinite(zv.grad.numpy()).all()


def documented_blocks():
    from test_docs import blocks
    return list(blocks("pytest-torch"))


@pytest.mark.parametrize("code", documented_blocks())
def test_documented_torch_examples_run(code):
    exec(compile(code, "<docs>", "exec"), {})


def test_the_docs_show_the_torch_functions():
    assert len(documented_blocks()) >= 1
