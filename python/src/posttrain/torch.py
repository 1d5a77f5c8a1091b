# SPDX-License-Identifier: Apache-2.0
"""posttrain's fused losses as torch autograd functions.

Each call runs the library's fused kernel once, in forward: it returns the loss and keeps the
gradient it computed alongside (no softmax matrix, no similarity matrix is kept for backward).
backward scales that gradient by the incoming one. The tensors are read in place (DLPack, any
strides) and the gradient comes back as a tensor wrapping the kernel's own array, without a copy.

    loss = posttrain.torch.ivl_loss(z_base, z_value, labels)      # was F.cross_entropy(...)
    loss.backward()                                               # z_value.grad as autograd's

    ivl_loss(z_base, z_value, labels, lam=1.0, ignore_index=-100)
        mean CE(z_base + z_value, labels) over the labelled rows + lam * mean |z_value|;
        z_base is the frozen base model's logits: it must not require grad.
    cross_entropy(logits, labels, ignore_index=-100)
        F.cross_entropy(logits, labels, ignore_index=ignore_index) (reduction "mean"), except that
        a batch with no labelled row gives 0 (and a zero gradient), not NaN.
    contrastive_loss(z1, z2, objective="infonce", temperature=0.2, symmetric=False)
    complementary_loss(z1, z2, mask=None, objective="infonce", temperature=0.2, symmetric=False,
                       ratio=0.1, count=None, weight=1.0, rule="contribution", scope="per_sample")
        the total (the mask, given or chosen, is held constant: no gradient flows through it).

The arguments, their defaults and the errors are those of the functions of the same name in
``posttrain`` (see its docstring). Limits: CPU tensors of float32 or float64 (this build has the
Eigen backend only; a CUDA tensor is a TypeError), and first derivatives only (the backward of a
backward raises).
"""
import torch as _torch
from torch.autograd.function import once_differentiable as _once_differentiable

from . import _core

__all__ = ["complementary_loss", "contrastive_loss", "cross_entropy", "ivl_loss"]


def _plain(x):
    """x without its autograd history (torch refuses to export a tensor that requires grad)."""
    return x.detach() if isinstance(x, _torch.Tensor) else x


def _scaled(gradient, grad_output):
    """gradient · grad_output, the chain rule for a scalar loss; the kernel's own tensor when the
    incoming gradient is 1 (loss.backward()), to spare a pass over it."""
    if gradient is None:
        return None
    if grad_output.numel() == 1 and grad_output.item() == 1.0:
        return gradient
    return gradient * grad_output.to(gradient.dtype)


def _loss_tensor(value, like):
    return _torch.tensor(value, dtype=like.dtype, device=like.device)


class _IVLLoss(_torch.autograd.Function):
    @staticmethod
    def forward(ctx, z_base, z_value, labels, lam, ignore_index):
        loss, grad, _ = _core.ivl_loss(_plain(z_base), _plain(z_value), _plain(labels), lam, ignore_index)
        ctx.gradient = _torch.from_numpy(grad)
        return _loss_tensor(loss, z_value)

    @staticmethod
    @_once_differentiable
    def backward(ctx, grad_output):
        return None, _scaled(ctx.gradient, grad_output), None, None, None


class _CrossEntropy(_torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, labels, ignore_index):
        loss, grad, _ = _core.cross_entropy(_plain(logits), _plain(labels), ignore_index)
        ctx.gradient = _torch.from_numpy(grad)
        return _loss_tensor(loss, logits)

    @staticmethod
    @_once_differentiable
    def backward(ctx, grad_output):
        return _scaled(ctx.gradient, grad_output), None, None


class _PairLoss(_torch.autograd.Function):
    """A loss of two views computed by `kernel(z1, z2) -> (loss, grad1, grad2, ...)`."""

    @staticmethod
    def forward(ctx, z1, z2, kernel):
        loss, grad1, grad2 = kernel(_plain(z1), _plain(z2))[:3]
        ctx.gradients = (_torch.from_numpy(grad1) if ctx.needs_input_grad[0] else None,
                         _torch.from_numpy(grad2) if ctx.needs_input_grad[1] else None)
        return _loss_tensor(loss, z1)

    @staticmethod
    @_once_differentiable
    def backward(ctx, grad_output):
        g1, g2 = ctx.gradients
        return _scaled(g1, grad_output), _scaled(g2, grad_output), None


def ivl_loss(z_base, z_value, labels, lam=1.0, ignore_index=-100):
    """The IVL loss of z_base + z_value [T, V] against labels [T] (a 0-d tensor), differentiable
    in z_value; see the module's docstring."""
    if isinstance(z_base, _torch.Tensor) and z_base.requires_grad:
        raise ValueError("z_base requires grad: the IVL loss trains the value logits against a frozen base "
                         "model, so it has no gradient for z_base; pass z_base.detach() (or compute it under "
                         "torch.no_grad())")
    return _IVLLoss.apply(z_base, z_value, labels, float(lam), int(ignore_index))


def cross_entropy(logits, labels, ignore_index=-100):
    """F.cross_entropy(logits [T, V], labels [T], ignore_index=...) as one fused pass per row
    (0, not NaN, when no row is labelled)."""
    return _CrossEntropy.apply(logits, labels, int(ignore_index))


def contrastive_loss(z1, z2, objective="infonce", temperature=0.2, symmetric=False):
    """The contrastive loss of two views z1, z2 [N, d], differentiable in both."""
    return _PairLoss.apply(z1, z2, lambda a, b: _core.contrastive_loss(a, b, objective, temperature, symmetric))


def complementary_loss(z1, z2, mask=None, objective="infonce", temperature=0.2, symmetric=False, ratio=0.1,
                       count=None, weight=1.0, rule="contribution", scope="per_sample"):
    """L(z1, z2) + weight * L(z1, z2 with the highlighted dimensions masked), differentiable in
    z1 and z2 with the mask held constant."""
    mask = _plain(mask)
    if isinstance(mask, _torch.Tensor) and mask.dtype == _torch.bool:
        mask = mask.view(_torch.uint8)  # the same bytes; torch before 2.1 exports no bool through DLPack
    return _PairLoss.apply(z1, z2, lambda a, b: _core.complementary_loss(
        a, b, mask, objective, temperature, symmetric, ratio, count, weight, rule, scope))
