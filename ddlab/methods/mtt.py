"""Matching Training Trajectories — Cazenavette, Wang, Torralba, Efros & Zhu, CVPR 2022
(arXiv:2203.11932).

Experts are networks trained on the real data, their weights recorded after every epoch
(`ddlab.sources.experts`). A student starts *on* an expert's path and trains on the synthetic set; the
synthetic images x~ and the student's step size alpha are learned so that N student steps get as
far as M expert epochs did:

    pick an expert and a start epoch t <= T+           theta^_0 = theta*_t
    theta^_{n+1} = theta^_n - alpha grad_theta l(x~_(n), theta^_n)       n = 0 .. N-1  (minibatches of x~)
    L(x~, alpha) = ||theta^_N - theta*_{t+M}||^2 / ||theta*_t - theta*_{t+M}||^2

The denominator makes the loss scale-free across layers, epochs and experts: 1 means "no closer than
where we started", 0 means the student landed exactly on the expert. L is differentiated through all
N steps (`ddlab.functional.unroll`), so the images learn what the later steps need as well.

Constant memory (``constant_memory=True``) — TESLA, Cui, Wang, Si & Hsieh, ICML 2023
(arXiv:2211.10586). Back-propagating through the unroll keeps every step's activations: memory grows
with N. But the student's end point is a sum, theta^_N = theta^_0 - alpha sum_i g_i with
g_i = grad_theta l(x~_(i), theta^_i), and L is a function of that sum, so with p = dL/dtheta^_N, TESLA
takes each batch's gradient from its own step:

    dL/dx~_(i) ~ -alpha p . dg_i/dx~_(i)          dL/dalpha ~ -p . sum_i g_i

Each term needs only step i: run the student once without a graph to get theta^_N and p, then replay
it, one differentiable step from the (fixed) weights theta^_i at a time, pull p back through that
step to its batch and to alpha, and drop the step's graph. Memory is one step's, whatever N; the price
is a second, plain pass over the N steps (the paper's code keeps every theta^_i instead of replaying;
that memory grows with N, by one weight copy per step).
What is exact and what is not (the paper's abstract says "exactly compute the unrolled gradient"):
these are the exact gradients of L(theta^_0 - alpha sum_i g_i(x~_(i), theta^_i)) with each theta^_i held
fixed, and that is what TESLA computes (its code builds theta^_{i+1} from a detached g_i). The full
unroll's gradient has more: x~_(i) and alpha also move the later weights theta^_j, j > i, and through
them g_j, terms -alpha p . (dg_j/dtheta) (dtheta^_j/dx~_(i)) with a Hessian of l in them. TESLA drops
those, so its gradient equals the unrolled one exactly for N = 1 and otherwise differs by terms that
carry one more factor alpha (times that Hessian), summed over the later steps: tests/test_tesla.py
checks both, and benchmarks/RESULTS.md measures how far apart the two are at the course's settings.
The loss value is the plain unroll's.

Choices this implementation makes (paper / their code → here):
  * the step size is learned as log(alpha) (theirs: alpha itself), which keeps it positive. An SGD
    step s on log(alpha) moves alpha by about alpha^2 * s * dL/dalpha, so their lr_lr corresponds to
    lr_lr / alpha_0^2 here (1e-7 -> 1e-3 and 1e-5 -> 0.1 at alpha_0 = 0.01).
  * t is drawn from 0..T+ inclusive, as in the paper's Algorithm 1 (their code: 0..T+-1).
  * DSA (`ddlab.augment`) on the experts' and the student's minibatches is an option (``dsa``),
    off by default: MNIST is learned without it, and it costs CPU time (the paper: on).
  * the set carries no step sizes (`lrs` is None: it is trained on under `ddlab.protocol`, like
    DC's and DM's sets); the learned alpha is kept as ``config["learned_lr"]``, the step size
    the paper's evaluation trains with.
  * fewer experts (20, not 100) and only as many epochs as are matched (T+ + M), since later
    epochs are never used.

Defaults. No MNIST numbers are published. These are the paper's CIFAR-10 settings for 1 image per
class (their appendix table and code) except the two step sizes of the outer optimiser, chosen by
short sweeps on MNIST (`benchmarks/mtt.py --sweep`; the losses are in benchmarks/RESULTS.md): the
paper's pixel step size 1000 is kept; on the step size, the paper's ipc-1 value barely moves alpha
in a short run, so 0.1 on log alpha (= 1e-5 on alpha, what their README uses for CIFAR-100) it is.

    setting                          paper, CIFAR-10 ipc 1        here (MNIST)
    N   student steps (syn_steps)    50                           50
    M   expert epochs matched        2                            2
    T+  max start epoch              2                            2
    synthetic batch                  whole set                    whole set (capped at 256)
    alpha_0 initial step (inner_lr)  0.01 (= experts' lr)         0.01
    pixel SGD lr (momentum 0.5)      1000 (ZCA-whitened images)   1000
    step-size SGD lr (momentum 0.5)  1e-7 on alpha                0.1 on log alpha (= 1e-5 on alpha)
    iterations                       5000                         5000
    augmentation                     DSA                          none (``dsa=True``: DSA)
    experts                          100 x 50 epochs              20 x 4 epochs
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from .. import augment
from ..data import Dataset, class_major_labels
from ..functional import Batch, unroll
from ..nets import Params, make_net
from ..sources.experts import ExpertSpec, Trajectories, load_or_build
from ..synthetic import SyntheticSet
from .base import Method, register


@dataclass(frozen=True)
class MTT:
    """Cazenavette et al. 2022's settings for 1 image per class, with fewer, shorter experts."""

    ipc: int = 1  # synthetic images per class
    syn_steps: int = 50  # N: student SGD steps on the synthetic set per iteration
    expert_epochs_matched: int = 2  # M: expert epochs those N steps must cover
    max_start_epoch: int = 2  # T+: the student starts at expert epoch t in 0..T+
    batch_syn: int = 256  # synthetic images per student step, capped at the set size
    inner_lr: float = 0.01  # initial learned student step size alpha (the experts' lr)
    lr: float = 1000.0  # SGD step size of the pixels (the paper's lr_img)
    lr_lr: float = 0.1  # SGD step size of log(alpha) (the paper's 1e-5 on alpha)
    momentum: float = 0.5  # SGD momentum of pixels and step size alike
    iterations: int = 5000  # outer iterations
    lr_decay_every: int = 5000  # outer iterations between learning-rate decays
    lr_decay: float = 1.0  # factor at each decay (1: constant, as in the paper)
    n_experts: int = 20  # expert trajectories to match (the paper: 100)
    expert_epochs: int = 4  # epochs recorded per expert; need T+ + M of them
    width: int = 128  # ConvNet channels, experts and student alike
    depth: int = 3  # ConvNet conv blocks
    expert_examples: int = 60_000  # real training images the experts see
    expert_batch: int = 256  # the experts' SGD minibatch
    expert_lr: float = 0.01  # the experts' SGD step size
    expert_seed: int = 0  # seed of the experts' inits, data subset and batch orders
    dsa: bool = False  # DSA-augment experts' and student's minibatches (the paper: on)
    # TESLA's per-step gradient, in memory that does not grow with syn_steps (module docstring); off:
    # back-propagate through the whole unroll, as MTT. In a run's key only when on (`ddlab.recordings`).
    constant_memory: bool = field(default=False, metadata={"keyed_when_set": True})

    def __post_init__(self):
        for name in (
            "ipc",
            "syn_steps",
            "expert_epochs_matched",
            "batch_syn",
            "iterations",
            "lr_decay_every",
            "n_experts",
            "expert_epochs",
            "width",
            "depth",
            "expert_examples",
            "expert_batch",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"MTT.{name} must be a positive integer, got {value!r}")
        for name in ("inner_lr", "lr", "lr_lr", "lr_decay", "expert_lr"):
            if not getattr(self, name) > 0:
                raise ValueError(f"MTT.{name} must be positive, got {getattr(self, name)!r}")
        if not isinstance(self.constant_memory, bool):
            raise ValueError(f"MTT.constant_memory must be True or False, got {self.constant_memory!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"MTT.momentum must be in [0, 1), got {self.momentum!r}")
        if self.max_start_epoch < 0:
            raise ValueError(f"MTT.max_start_epoch must be 0 or more, got {self.max_start_epoch!r}")
        if self.max_start_epoch + self.expert_epochs_matched > self.expert_epochs:
            raise ValueError(
                f"MTT.max_start_epoch={self.max_start_epoch} + expert_epochs_matched="
                f"{self.expert_epochs_matched} goes beyond the experts' {self.expert_epochs} epochs; "
                f"allowed: max_start_epoch <= {self.expert_epochs - self.expert_epochs_matched}"
            )


def expert_spec(config: MTT) -> ExpertSpec:
    """The experts a config asks for."""
    return ExpertSpec(
        n_experts=config.n_experts,
        epochs=config.expert_epochs,
        width=config.width,
        depth=config.depth,
        train_examples=config.expert_examples,
        batch_size=config.expert_batch,
        lr=config.expert_lr,
        dsa=config.dsa,
        seed=config.expert_seed,
    )


def parameter_distance(a: Params, b: Params) -> Tensor:
    """Squared Euclidean distance between two weight dicts, all layers as one vector."""
    return sum(((a[name] - b[name]) ** 2).sum() for name in a)


def carrying(value: Tensor, gradients: list[tuple[Tensor, Tensor]]) -> Tensor:
    """`value` as a tensor whose ``backward()`` adds each given gradient to its tensor's ``.grad``.
    Why: the driver runs ``loss.backward()`` for every method; a gradient computed another way (TESLA's)
    reaches the optimiser through the same line. The added term is exactly zero in value."""
    handle = sum((tensor * gradient).sum() for tensor, gradient in gradients)
    return value + (handle - handle.detach())


@register("mtt", MTT)
class TrajectoryMatching(Method):
    """MTT (Cazenavette et al. 2022): students on the synthetic set follow cached expert trajectories."""

    def __init__(self, config: MTT, data: Dataset, generator: torch.Generator, experts: Trajectories | None = None):
        super().__init__(config, data, generator)
        data.check_per_class("MTT.ipc", config.ipc)
        # The experts come from the cache (built on first use), or are handed in (tests, notebooks).
        spec = expert_spec(config)
        if experts is not None and experts.spec != spec:
            raise ValueError(f"the experts given were trained with {experts.spec}, but the config asks for {spec}")
        self.experts = experts if experts is not None else load_or_build(spec, data)
        self.net = make_net("convnet", *data.net_args, width=self.experts.spec.width, depth=self.experts.spec.depth)
        self.labels = class_major_labels(data.num_classes, config.ipc, data.device)  # (N,)
        # Images start as random real images of their class, as in the paper.
        real = [data.sample_per_class(c, config.ipc, generator) for c in range(data.num_classes)]
        self.images = torch.cat(real).clone().requires_grad_()  # (N, C, H, W)
        self.log_lr = torch.tensor(math.log(config.inner_lr), device=data.device).requires_grad_()  # ()
        self.config_dict = self.describe_config()

    def parameters(self) -> list[Tensor]:
        return [self.images, self.log_lr]

    def make_optimizer(self) -> torch.optim.Optimizer:
        """The paper's two SGD optimisers (momentum 0.5) as one, with a parameter group each."""
        return torch.optim.SGD(
            [{"params": [self.images], "lr": self.config.lr}, {"params": [self.log_lr], "lr": self.config.lr_lr}],
            momentum=self.config.momentum,
        )

    def augment(self, images: Tensor) -> Tensor:
        """Each student minibatch through DSA (differentiable, one draw per image, as the experts
        saw their batches) when ``dsa`` is on; else unchanged."""
        return augment.augment(images, self.generator) if self.config.dsa else images

    def minibatches(self) -> list[Batch]:
        """`syn_steps` minibatches of the synthetic set, drawn as in the paper's code: a random
        permutation cut into chunks of `batch_syn`, and a fresh permutation when it runs out."""
        n, size = len(self.labels), min(self.config.batch_syn, len(self.labels))
        chunks: list[Tensor] = []
        while len(chunks) < self.config.syn_steps:
            chunks += torch.randperm(n, generator=self.generator).split(size)
        picks = [idx.to(self.data.device) for idx in chunks[: self.config.syn_steps]]
        return [(self.augment(self.images[idx]), self.labels[idx]) for idx in picks]

    def outer_loss(self) -> Tensor:
        config = self.config
        expert = int(torch.randint(config.n_experts, (), generator=self.generator))
        t = int(torch.randint(config.max_start_epoch + 1, (), generator=self.generator))
        start = self.experts.at(expert, t)  # theta*_t
        target = self.experts.at(expert, t + config.expert_epochs_matched)  # theta*_{t+M}
        # One learned step size shared by every step: its gradient sums over the N steps.
        alphas = self.log_lr.exp().expand(config.syn_steps)  # (N,)
        if config.constant_memory:
            return self.constant_memory_loss(start, target, self.minibatches())
        student = unroll(self.net, start, self.minibatches(), alphas)  # theta^_N
        return parameter_distance(student, target) / parameter_distance(start, target)

    def constant_memory_loss(self, start: Params, target: Params, batches: list[Batch]) -> Tensor:
        """The plain unroll's loss, carrying TESLA's gradients (module docstring) for the driver's
        ``backward()``; at most one student step's graph is alive at any time."""
        lrs = self.log_lr.detach().exp().expand(len(batches))  # (N,)
        # Pass 1: where the student lands, no graph kept; p = dL/dtheta^_N there.
        end = unroll(self.net, start, [(x.detach(), y) for x, y in batches], lrs, create_graph=False)
        end = {name: p.requires_grad_() for name, p in end.items()}  # theta^_N
        loss = parameter_distance(end, target) / parameter_distance(start, target)
        pull = torch.autograd.grad(loss, list(end.values()))  # p
        # Pass 2: the same steps again, each differentiable in its batch and alpha from fixed weights:
        # p pulled back through step i gives -alpha p.dg_i/dx~_(i) and, on log alpha, -alpha p.g_i.
        images_grad, log_lr_grad = torch.zeros_like(self.images), torch.zeros_like(self.log_lr)
        params = start
        for batch in batches:
            stepped = unroll(self.net, params, [batch], self.log_lr.exp().expand(1))  # theta^_{i+1}
            d_images, d_log_lr = torch.autograd.grad(list(stepped.values()), [self.images, self.log_lr], pull)
            images_grad += d_images
            log_lr_grad += d_log_lr
            params = {name: p.detach() for name, p in stepped.items()}
        return carrying(loss.detach(), [(self.images, images_grad), (self.log_lr, log_lr_grad)])

    def start_from(self, start: SyntheticSet) -> None:
        """The images of `start` and the student step size it had learned."""
        super().start_from(start)
        with torch.no_grad():
            self.log_lr.fill_(math.log(start.config.get("learned_lr", self.config.inner_lr)))

    def snapshot(self) -> SyntheticSet:
        learned = {**self.config_dict, "learned_lr": self.log_lr.exp().item()}
        return SyntheticSet(self.images.detach().clone(), self.labels.clone(), None, learned)
