"""The functional core: every network in ddlab is trained here, and nowhere else.

Two entry points share one SGD step:

* `unroll` — plain SGD over a list of batches with given step sizes, *differentiable* with respect
  to the batches and the step sizes. Dataset distillation back-propagates through it (the
  meta-gradient), trajectory matching unrolls the student with it, influence analysis replays it.
* `train_many` — trains N networks at once with minibatch SGD (momentum, weight decay, step
  decay), vectorised over the networks with `torch.func.vmap`; ``vectorize=False`` runs the same
  arithmetic one network at a time (the reference the vmapped path is tested against).

Both `train_many` and `predict_many` pick their path from the device unless told: vmap on an
accelerator, the plain loop on a CPU, where PyTorch turns vmapped convolutions into grouped ones
that are slower than separate ones (measured: benchmarks/RESULTS.md, benchmarks/train_many.py).
The loop takes each gradient with plain autograd: outside vmap nothing needs `torch.func`.

Why `torch.func.grad` rather than `torch.autograd.grad(create_graph=True)`: the two compute the
same inner gradient and both keep the graph back to the synthetic data, but only the `torch.func`
version composes with `vmap`, so "unroll N random initialisations at once" is a one-liner
(``vmap(lambda p: unroll(net, p, ...))(stacked_inits)``) instead of a Python loop over networks.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

from .nets import Params

Batch = tuple[Tensor, Tensor]


def loss(net: nn.Module, params: Params, x: Tensor, y: Tensor, weights: Tensor | None = None) -> Tensor:
    """Cross-entropy of `net` with weights `params`; `y` holds class indices or soft labels.
    `weights` (B,): a weighted mean over the examples instead of the plain one; a zero weight
    removes an example as if it were not in the batch (leave-one-out, `ddlab.analysis.influence`)."""
    logits = functional_call(net, params, (x,))
    if weights is None:
        return F.cross_entropy(logits, y)
    per_example = F.cross_entropy(logits, y, reduction="none")  # (B,)
    return (weights * per_example).sum() / weights.sum().clamp_min(torch.finfo(weights.dtype).tiny)


def sgd_step(net: nn.Module, params: Params, x: Tensor, y: Tensor, lr: Tensor | float) -> Params:
    """One step of plain gradient descent: theta <- theta - lr * grad_theta loss(x, y; theta)."""
    grads = grad(loss, argnums=1)(net, params, x, y)
    return {name: p - lr * grads[name] for name, p in params.items()}


def unroll(
    net: nn.Module,
    params: Params,
    batches: Sequence[Batch],
    lrs: Tensor | Sequence[float],
    create_graph: bool = True,
    on_step: Callable[[Params], None] | None = None,
) -> Params:
    """Run SGD over `batches` (step i uses batch i with step size lrs[i]) and return the weights.

    With ``create_graph=True`` the result stays a differentiable function of the batches, the step
    sizes and the starting weights, so ``loss(final).backward()`` yields the meta-gradient of
    dataset distillation (Wang et al. 2018, eq. 3-5): it flows back through every step, including
    the Hessian-vector products ``d(grad)/d(theta)`` that link consecutive steps. With
    ``create_graph=False`` each step is detached (plain training; memory independent of length).
    on_step: called with the weights after every step (a path through weight space, for a figure).
    """
    if len(batches) != len(lrs):
        raise ValueError(f"unroll needs one step size per batch, got {len(lrs)} for {len(batches)} batches")
    for (x, y), lr in zip(batches, lrs):
        params = sgd_step(net, params, x, y, lr)
        if not create_graph:
            params = {name: p.detach() for name, p in params.items()}
        if on_step is not None:
            on_step(params)
    return params


@dataclass(frozen=True)
class Schedule:
    """Minibatch SGD for training fresh networks on a (small) training set."""

    epochs: int  # passes over the training set
    batch_size: int  # examples per step (capped at the set size)
    lr: float  # initial step size
    momentum: float = 0.0  # heavy-ball momentum
    weight_decay: float = 0.0  # L2 penalty added to the gradient
    decay_at: tuple[float, ...] = ()  # fractions of training after which lr is multiplied by decay_factor
    decay_factor: float = field(default=0.1, metadata={"keyed_when_set": True})  # the papers' 0.1; IDC's judge 0.2

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Schedule.{name} must be positive, got {getattr(self, name)}")


# Examples per forward/backward pass of a training step whose batch is bigger: its gradient is the
# same mean, summed over chunks, at a fraction of the activations' memory.
MICRO_BATCH = 128


def batch_grad(
    net: nn.Module, params: Params, x: Tensor, y: Tensor, weights: Tensor | None = None, vectorized: bool = True
) -> Params:
    """The gradient of `loss` over the whole batch, computed `MICRO_BATCH` examples at a time when
    the batch is bigger (and unweighted). The same gradient up to float rounding, because every
    network here normalises each example on its own (no batch statistics); what it saves is memory:
    a width-32 ConvNet's step on the protocols' batch of 256 needs hundreds of MB of activations,
    too many beside two datasets in a Binder session (notebook 13's network on all of Fashion-MNIST).

    vectorized: the step runs under `vmap` (`torch.func.grad`, which composes with it); False for a
        step of one network outside any transform, which plain autograd computes with less work per
        operator: a small network's training step is mostly that work (`_plain_grad`)."""
    gradient = grad(loss, argnums=1) if vectorized else _plain_grad
    n = x.shape[0]
    if weights is not None or n <= MICRO_BATCH:
        return gradient(net, params, x, y, weights)
    total: Params = {}
    for start in range(0, n, MICRO_BATCH):
        xs, ys = x[start : start + MICRO_BATCH], y[start : start + MICRO_BATCH]
        part = gradient(net, params, xs, ys, None)
        share = xs.shape[0] / n
        total = {k: share * g + total[k] if total else share * g for k, g in part.items()}
    return total


def _plain_grad(net: nn.Module, params: Params, x: Tensor, y: Tensor, weights: Tensor | None = None) -> Params:
    """`loss`'s gradient with respect to `params` by plain autograd, detached: what `torch.func.grad`
    computes, without its per-operator bookkeeping, which is much of a small network's training step
    on a CPU (benchmarks/hot_loop_speedups.py train-step). Used only outside `vmap`, where it cannot
    go; equal to it within float rounding (tests/test_functional.py)."""
    leaves = {name: p.detach().requires_grad_() for name, p in params.items()}
    with torch.enable_grad():  # trained weights are wanted inside torch.no_grad() too
        grads = torch.autograd.grad(loss(net, leaves, x, y, weights), list(leaves.values()))
    return dict(zip(leaves, grads))


def _momentum_step(
    net,
    schedule: Schedule,
    params: Params,
    velocity: Params,
    x: Tensor,
    y: Tensor,
    lr: float,
    weights: Tensor | None,
    vectorized: bool = True,
) -> tuple[Params, Params]:
    """SGD with momentum and weight decay, PyTorch's convention: v <- mu v + g; theta <- theta - lr v."""
    grads = batch_grad(net, params, x, y, weights, vectorized)
    new_params, new_velocity = {}, {}
    for name, p in params.items():
        g = grads[name] + schedule.weight_decay * p
        v = schedule.momentum * velocity[name] + g
        new_params[name], new_velocity[name] = p - lr * v, v
    return new_params, new_velocity


def train_many(
    net: nn.Module,
    inits: Params,
    x: Tensor,
    y: Tensor,
    schedule: Schedule,
    generator: torch.Generator,
    vectorize: bool | None = None,
    augment: Callable[[Tensor, torch.Generator], Tensor] | None = None,
    mix: Callable[[Tensor, Tensor, torch.Generator], tuple[Tensor, Tensor]] | None = None,
    weights: Tensor | None = None,
    same_order: bool = False,
    on_step: Callable[[int, Params], None] | None = None,
) -> Params:
    """Train ``n = len(any init)`` networks, each from its own initialisation in `inits`
    (``{name: (n, *shape)}``), on the same training set `x`, `y` with minibatch SGD.

    Each network sees its own random minibatch order. The orders are drawn up front from
    `generator` (on the CPU), so the vmapped and the looped path see identical batches and a seed
    fixes the result. Returns the trained weights, stacked like `inits`.

    augment: an optional ``(images, generator) -> images`` transform (e.g. `ddlab.augment.augment`),
        applied to each network's minibatch with its own random draw from `generator`, before
        either path runs, so both paths train on the same augmented batches.
    mix: an optional ``(images, soft labels, generator) -> (images, soft labels)`` transform applied
        after `augment` in the same way (e.g. `ddlab.augment.cutmix`); `y` must then be soft labels.
    weights: (n_models, n_examples) per-network example weights in the loss (`loss`): network i
        trains without example j where ``weights[i, j] == 0`` — N leave-one-out trainings in one pass.
    same_order: every network sees the same minibatch order (one permutation per epoch), so that
        networks given different `weights` differ in nothing else.
    on_step: called as ``on_step(t, params)`` after step t = 1, 2, ... (curves along training).
    vectorize: vmap over the networks; default: on an accelerator, not on a CPU (module docstring).
    """
    vectorize = x.device.type != "cpu" if vectorize is None else vectorize
    n_models = next(iter(inits.values())).shape[0]
    n_examples = x.shape[0]
    batch = min(schedule.batch_size, n_examples)
    steps_per_epoch = -(-n_examples // batch)
    total = schedule.epochs * steps_per_epoch
    boundaries = [int(f * total) for f in schedule.decay_at]

    params = {k: v.detach().clone() for k, v in inits.items()}
    velocity = {k: torch.zeros_like(v) for k, v in params.items()}
    if mix is not None and not y.is_floating_point():
        raise ValueError("train_many's mix needs soft labels (n_examples, classes); got class indices")
    if weights is not None and weights.shape != (n_models, n_examples):
        raise ValueError(
            f"weights must have shape (n_models, n_examples) = {(n_models, n_examples)}, got {tuple(weights.shape)}"
        )
    step = lambda p, v, xb, yb, lr, wb: _momentum_step(net, schedule, p, v, xb, yb, lr, wb)  # noqa: E731
    batched_step = vmap(step, in_dims=(0, 0, 0, 0, None, None if weights is None else 0))
    plain_step = lambda p, v, xb, yb, lr, wb: _momentum_step(net, schedule, p, v, xb, yb, lr, wb, False)  # noqa: E731
    t = 0
    for _ in range(schedule.epochs):
        draws = 1 if same_order else n_models
        order = torch.stack([torch.randperm(n_examples, generator=generator) for _ in range(draws)])
        order = order.expand(n_models, -1).to(x.device)  # (n_models, n_examples)
        for start in range(0, n_examples, batch):
            idx = order[:, start : start + batch]  # (n_models, B)
            lr = schedule.lr * schedule.decay_factor ** sum(t >= b for b in boundaries)
            xb, yb = x[idx], y[idx]  # (n_models, B, C, H, W), (n_models, B)
            wb = None if weights is None else weights.gather(1, idx)  # (n_models, B)
            if augment is not None:
                xb = torch.stack([augment(batch, generator) for batch in xb])
            if mix is not None:
                mixed = [mix(batch, labels, generator) for batch, labels in zip(xb, yb)]
                xb, yb = torch.stack([m[0] for m in mixed]), torch.stack([m[1] for m in mixed])
            if vectorize:
                params, velocity = batched_step(params, velocity, xb, yb, lr, wb)
            else:
                params, velocity = _loop(plain_step, params, velocity, xb, yb, lr, wb)
            t += 1
            if on_step is not None:
                on_step(t, params)
    return params


def _loop(step, params: Params, velocity: Params, xb: Tensor, yb: Tensor, lr: float, wb: Tensor | None):
    """The same update as the vmapped step, one network at a time: a CPU's path, and the reference
    the vmapped step is tested against."""
    outs = [
        step(
            {k: v[i] for k, v in params.items()},
            {k: v[i] for k, v in velocity.items()},
            xb[i],
            yb[i],
            lr,
            None if wb is None else wb[i],
        )
        for i in range(xb.shape[0])
    ]
    stack = lambda j: {k: torch.stack([o[j][k] for o in outs]) for k in params}  # noqa: E731
    return stack(0), stack(1)


LOOP_CHUNK = 64  # images per forward pass of one network in predict_many's loop path: a chunk whose
# activations stay near the CPU's caches (benchmarks/predict_chunk.py)


def predict_many(net: nn.Module, params: Params, x: Tensor, chunk: int = 2048, vectorize: bool | None = None) -> Tensor:
    """Logits of every stacked network on every example: (n_models, N, classes), no graph.

    `x` is processed in chunks so memory stays bounded (about n_models x chunk activations), which
    keeps evaluating 20 networks on the 10,000 MNIST test images inside a Binder session's RAM.
    vectorize: vmap over the networks; default: on an accelerator, not on a CPU (module docstring).
        The loop also holds one network's activations at a time, on at most `LOOP_CHUNK` images."""
    vectorize = x.device.type != "cpu" if vectorize is None else vectorize
    one = lambda p, xb: functional_call(net, p, (xb,))  # noqa: E731
    if vectorize:
        forward = vmap(one, in_dims=(0, None))
    else:
        n_models, chunk = next(iter(params.values())).shape[0], min(chunk, LOOP_CHUNK)
        forward = lambda p, xb: torch.stack([one({k: v[i] for k, v in p.items()}, xb) for i in range(n_models)])  # noqa: E731
    with torch.no_grad():
        return torch.cat([forward(params, x[i : i + chunk]) for i in range(0, x.shape[0], chunk)], dim=1)


@torch.no_grad()
def over_chunks(
    net: nn.Module, params: Params, x: Tensor, chunk: int, reduce: Callable[[Tensor], Tensor] = lambda out: out
) -> list[Tensor]:
    """``reduce(net(chunk))`` for each `chunk` images of `x` in turn, with weights `params`, no graph:
    a list in the order of the chunks.

    Small chunks keep a layer's activations in the CPU's caches from one operator to the next. With
    several CPU threads, the threads take whole chunks, each running its operators on one thread,
    instead of splitting every small operator between them: a few thousand small operators would
    otherwise make the threads meet a few thousand times, which on a machine shared with other work
    costs more than the operators (benchmarks/hot_loop_speedups.py). Each chunk is computed the same
    way on any number of threads, so the result is too, bit for bit."""
    parts = x.split(chunk)
    threads = torch.get_num_threads() if x.device.type == "cpu" else 1
    if threads == 1 or len(parts) == 1:
        return [reduce(functional_call(net, params, (part,))) for part in parts]
    own = threading.local()

    def run(part: Tensor) -> Tensor:
        if not hasattr(own, "net"):  # functional_call swaps a module's weights: one copy per thread
            torch.set_num_threads(1)
            own.net = copy.deepcopy(net)
        with torch.no_grad():
            return reduce(functional_call(own.net, params, (part,)))

    try:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(run, parts))
    finally:
        torch.set_num_threads(threads)


def accuracy_many(net: nn.Module, params: Params, x: Tensor, y: Tensor) -> Tensor:
    """Accuracy in [0, 1] of each stacked network: (n_models,)."""
    n_models = next(iter(params.values())).shape[0]
    # A smaller chunk keeps notebooks inside a Binder session's memory and costs no time on a CPU.
    chunk = max(256, 2048 // n_models)
    return (predict_many(net, params, x, chunk).argmax(-1) == y).float().mean(-1)
