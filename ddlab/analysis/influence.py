"""What does each distilled image teach? Leave it out, retrain, and look at the test losses.

Yang et al. (Section 5) ask whether a single distilled image carries meaning of its own, beyond its
label: which test images does it help, which does it hurt? They approximate leave-one-out
retraining with influence functions; on MNIST-sized sets it can simply be *done*:

    delta[i, j] = loss_j(theta_{-i}) - loss_j(theta)

where theta is a network trained on the whole set, theta_{-i} the same network trained without
image i, and loss_j the loss on test image j. delta[i, j] > 0: without image i, test image j got
worse, so image i *helps* it; delta[i, j] < 0: image i hurts it.

Retraining without image i must change nothing else, or delta measures noise: every one of the
N + 1 networks starts from the same initialisation and sees the same minibatches in the same
order; network i + 1 gives image i weight zero in the loss (`train_many`'s `weights`: its batch is
averaged over the other images, exactly as if image i had never been drawn), network 0 keeps all.
All N + 1 trainings run in one `train_many` pass. Augmentation is off, because each network would
draw its own augmentations and differ by more than the missing image.

A DD set is not trained on as data: it is a schedule (its images in `steps` batches, replayed for
`epochs` epochs with its learned step sizes, from random LeNet initialisations). `leave_one_out`
replays that schedule instead (`_replay_leave_one_out`): network i + 1 gives image i weight zero
in the loss of its step, every time the step comes round.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .. import recipes
from ..data import Dataset
from ..functional import Schedule, loss, predict_many, train_many
from ..nets import Params, make_net, sample_inits
from ..protocol import Protocol, sized
from ..synthetic import SyntheticSet, fingerprint


@dataclass(frozen=True)
class Influence:
    loss_change: Tensor  # (N, M) test loss without distilled image i minus with it; > 0: image i helps test j
    accuracy: float  # test accuracy of the network trained on the whole set
    labels: Tensor  # (N,) the distilled images' labels
    images: str = ""  # `ddlab.synthetic.fingerprint` of the set's images: which set was measured

    def helped(self, i: int, k: int = 8) -> Tensor:
        """Indices of the `k` test images that distilled image `i` helps most: (k,)."""
        return self._top(i, k, largest=True)

    def hurt(self, i: int, k: int = 8) -> Tensor:
        """Indices of the `k` test images that distilled image `i` hurts most: (k,)."""
        return self._top(i, k, largest=False)

    def _top(self, i: int, k: int, largest: bool) -> Tensor:
        n, m = self.loss_change.shape
        if not 0 <= i < n:
            raise ValueError(f"image index {i} out of range; the set has images 0..{n - 1}")
        if not 0 < k <= m:
            raise ValueError(f"k must be in 1..{m} (the test images measured), got {k!r}")
        return self.loss_change[i].topk(k, largest=largest).indices


def train_leave_one_out(
    net: nn.Module,
    init: Params,
    x: Tensor,
    y: Tensor,
    schedule: Schedule,
    generator: torch.Generator,
    vectorize: bool | None = None,
) -> Params:
    """N + 1 networks from the one initialisation `init` ({name: (1, ...)}) on the N examples
    `x`, `y`: network 0 on all, network i + 1 on all but example i; same minibatch order for all.
    Returns the trained weights stacked: {name: (N + 1, ...)}."""
    n = x.shape[0]
    keep = torch.ones(n + 1, n, device=x.device)
    keep[1:].fill_diagonal_(0)  # (N + 1, N): row i + 1 drops example i
    inits = {name: p.expand(n + 1, *p.shape[1:]) for name, p in init.items()}
    return train_many(net, inits, x, y, schedule, generator, vectorize=vectorize, weights=keep, same_order=True)


def leave_one_out(
    synthetic: SyntheticSet,
    data: Dataset,
    protocol: Protocol | None = None,
    seed: int = 0,
    on: tuple[Tensor, Tensor] | None = None,
) -> Influence:
    """Leave-one-out influence of every image of `synthetic` on the loss of every test image (or of
    `on` = (images, labels)), trained under `protocol` (default: the set's standard protocol at the
    profile's size, without augmentation). A set with learned step sizes (DD) and no `protocol` is
    replayed as the schedule it is, from one random initialisation of its own network."""
    if synthetic.lrs is not None and protocol is None:
        net, trained = _replay_leave_one_out(synthetic, data, seed)
        return _influence(net, trained, synthetic, data, on)
    protocol = protocol or replace(sized(synthetic.config, recipes.analysis().evaluation), augmentation="none")
    if protocol.augmentation != "none":
        raise ValueError(
            f"leave-one-out needs augmentation='none' (got {protocol.augmentation!r}): "
            "each network would draw its own augmentations and differ by more than one image"
        )
    generator = torch.Generator().manual_seed(seed)
    net = make_net(protocol.arch, *data.net_args, width=protocol.width)
    init = sample_inits(net, 1, protocol.init_scheme, generator, data.device)
    synthetic = synthetic.to(data.device)
    trained = train_leave_one_out(
        net, init, synthetic.images.detach(), synthetic.labels, protocol.schedule(), generator
    )
    return _influence(net, trained, synthetic, data, on)


def _replay_leave_one_out(synthetic: SyntheticSet, data: Dataset, seed: int) -> tuple[nn.Module, Params]:
    """N + 1 networks from one unseen random initialisation of the DD set's network, each replaying
    its schedule (steps x epochs, learned step sizes); network i + 1 without image i."""
    from .. import inits
    from ..evaluate import _generator

    spec = inits.InitSpec.of(synthetic.config, setting="random")
    init = inits.draw_inits(spec, data, 1, _generator("test", seed), use="test")
    net = make_net(spec.arch, *data.net_args)
    synthetic = synthetic.to(data.device)
    n = len(synthetic.labels)
    keep = torch.ones(n + 1, n, device=data.device)
    keep[1:].fill_diagonal_(0)  # (N + 1, N): row i + 1 drops image i
    per_step = n // synthetic.steps
    images, labels = synthetic.images.detach(), synthetic.labels
    params = {name: p.expand(n + 1, *p.shape[1:]).clone() for name, p in init.items()}
    for t, lr in enumerate(synthetic.lrs.detach()):
        s = (t % synthetic.steps) * per_step  # step t trains on batch t mod steps
        x, y, w = images[s : s + per_step], labels[s : s + per_step], keep[:, s : s + per_step]
        grads = torch.func.vmap(torch.func.grad(loss, argnums=1), in_dims=(None, 0, None, None, 0))(
            net, params, x, y, w
        )
        params = {name: p - lr * grads[name] for name, p in params.items()}
    return net, params


def _influence(
    net: nn.Module, trained: Params, synthetic: SyntheticSet, data: Dataset, on: tuple[Tensor, Tensor] | None
) -> Influence:
    x, y = on if on is not None else (data.x_test, data.y_test)
    logits = predict_many(net, trained, x)  # (N + 1, M, classes)
    losses = F.cross_entropy(logits.flatten(0, 1), y.repeat(logits.shape[0]), reduction="none")
    losses = losses.view(logits.shape[:2])  # (N + 1, M)
    accuracy = (logits[0].argmax(-1) == y).float().mean().item()
    return Influence((losses[1:] - losses[0]).cpu(), accuracy, synthetic.labels.cpu(), fingerprint(synthetic.images))
