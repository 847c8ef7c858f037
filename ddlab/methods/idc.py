"""Dataset Condensation via Efficient Synthetic-Data Parameterization (IDC) — Kim, Kim, Oh, Yun,
Song, Jeong, Ha & Song, ICML 2022 (arXiv:2205.14959; official code snu-mllab/Efficient-Dataset-Condensation).

Store S, but train on f(S): multi-formation decodes each stored image into factor^2 smaller ones,
so the same bytes hold more training examples. With factor 2 a stored 28x28 image is four 14x14
tiles, each upsampled back to 28x28 (bilinear); factor 1 is the identity (IDC-I). The stored pixels
are learned by DC's per-class gradient matching on the decoded images, while the matching network
keeps learning from *real* data between matchings (DC trains it on S instead):

    for each fresh network theta ~ P_theta                      (the code: 2000 networks)
        clamp S to valid pixels
        for t = 0 .. inner_loop - 1                             (the code: 100)
            S <- S - lr * grad_S sum_c D( grad_theta l(A(f(S_c)); theta), grad_theta l(A(T_c); theta) )
            theta <- theta after SGD on net_examples random real images       (the code: 500)

    f(S_c) = upsample(tiles_factor(S_c))          D(G, G') = sum over conv layers of d(G_l, G'_l)

d is IDC's MNIST metric, the L1 distance sum |G - G'| ("l1"), or DC's per-channel 1 - cos
(`layer_distance`, "cos"); as in the code only convolution weights are compared (no biases, norms
or classifier). A is one augmentation drawn per class and shared by both batches (the code's
color and crop on MNIST with factor 2, plus cutout with factor 1).

One driver iteration is one "S <- ..." line. Each class's loss depends only on that class's
stored images, so one step on the sum over classes is exactly the code's ten per-class steps.
The network update between matchings is `inner_train` epochs of plain `train_many` SGD on a fresh
real sample; the code also keeps SGD momentum across those updates and, with factor 1, trains it
with CutMix: here each update starts its momentum afresh and uses no CutMix (a smaller network on
a CPU budget barely notices, and the functional core stays the one place networks are trained).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor
from torch.nn import functional as F

from .. import augment
from ..data import Dataset
from ..functional import Schedule, train_many
from ..nets import Params
from ..synthetic import SyntheticSet
from .base import register
from .dc import layer_distance, weight_gradients
from .image_set import INITS, FollowsNetwork, check_config

METRICS = ("l1", "cos")
NET_BATCH = 64  # minibatch of the network's training on real images (the code's batch_size)


@dataclass(frozen=True)
class IDC:
    """Kim et al. 2022's MNIST settings (`misc/reproduce.py` and `argument.py` of their code)."""

    ipc: int = 1  # stored images per class (each decodes into factor^2 training images)
    factor: int = 2  # multi-formation factor: factor^2 tiles per stored image; 1 = IDC-I
    init: str = "real"  # "real": each stored image starts as factor^2 real images, shrunk and tiled; or "noise"
    metric: str = "l1"  # layer distance d: "l1" (the code's on MNIST) or "cos" (DC's)
    inner_loop: int = 100  # image updates per fresh network (the code's inner_loop)
    net_examples: int = 500  # real images the network trains on between two updates (n_data)
    real_lr: float = 0.01  # SGD step size of that training (momentum 0.9, weight decay 5e-4, as the code)
    real_batch: int = 64  # real images per class per update (batch_real)
    width: int = 128  # ConvNet channels (the paper's 128; smaller only on a CPU budget)
    lr: float = 1e-4  # SGD step size on the pixels, in [0, 1] pixel units at ipc 10 (lr_img; see make_optimizer)
    momentum: float = 0.5  # SGD momentum on the pixels (mom_img)
    iterations: int = 200_000  # image updates: 2000 networks x inner_loop 100 in the code
    lr_decay_every: int = 200_000  # image updates between decays of lr (the code keeps it constant)
    lr_decay: float = 1.0  # factor applied at each decay (1: none)
    validation_epochs: int = 50  # epochs per network in the driver's validation check (it only ranks sets)

    def __post_init__(self):
        check_config(
            self,
            (
                "ipc",
                "factor",
                "inner_loop",
                "net_examples",
                "real_lr",
                "real_batch",
                "width",
                "lr",
                "iterations",
                "lr_decay_every",
                "lr_decay",
                "validation_epochs",
            ),
            {"init": INITS, "metric": METRICS},
        )
        if self.momentum < 0:
            raise ValueError(f"IDC.momentum must be >= 0, got {self.momentum!r}")


def decode(images: Tensor, labels: Tensor, factor: int) -> tuple[Tensor, Tensor]:
    """Multi-formation f: each of the N stored images (N, C, H, W) becomes factor^2 training
    images, its tiles of side H / factor upsampled back to H x W; tile-major, as the code orders
    them: returns (factor^2 * N, C, H, W) images and their labels, each stored image's label per tile."""
    side = images.shape[-1]
    if factor < 1 or side % factor:
        raise ValueError(
            f"IDC factor {factor!r} does not tile {side}x{side} images; "
            f"use a factor that divides {side} (1 = no multi-formation)"
        )
    if factor == 1:
        return images, labels
    s = side // factor
    tiles = [images[..., i * s : (i + 1) * s, j * s : (j + 1) * s] for i in range(factor) for j in range(factor)]
    upsampled = F.interpolate(torch.cat(tiles), size=images.shape[-2:], mode="bilinear")  # (f^2 N, C, H, W)
    return upsampled, labels.repeat(factor**2)


def training_set(synthetic: SyntheticSet) -> tuple[Tensor, Tensor]:
    """The images and targets a network trains on: a stored IDC set decoded, any other set as stored."""
    if synthetic.config.get("method") != "idc":
        return synthetic.images, synthetic.targets
    return decode(synthetic.images, synthetic.targets, int(synthetic.config.get("factor", IDC.factor)))


def matching_augmentation(factor: int) -> augment.Augmentation:
    """The code's matching augmentation on MNIST: color and crop, and cutout without multi-formation
    (its authors found cutout does not help with factor 2)."""
    return augment.Augmentation(ops=("color", "crop") if factor > 1 else ("color", "crop", "cutout"))


@register("idc", IDC)
class SyntheticDataParameterization(FollowsNetwork):
    """IDC: gradient matching on multi-formed images, the network trained on real data meanwhile."""

    def __init__(self, config: IDC, data: Dataset, generator: torch.Generator):
        super().__init__(config, data, generator)
        decode(self.images[:1], self.labels[:1], config.factor)  # a factor that does not tile: fail now
        if config.init == "real" and config.factor > 1:
            with torch.no_grad():
                self.images.copy_(self._tiled_real_images())
        self.strength = matching_augmentation(config.factor)
        self.theta: Params | None = None  # the current network's weights
        self.updates = 0  # image updates made on it so far
        mean, std = (torch.tensor(v, device=data.device).view(1, -1, 1, 1) for v in (data.mean, data.std))
        self.pixel_range = (-mean / std, (1 - mean) / std)  # pixels 0 and 1, normalised: (1, C, 1, 1) each

    def make_optimizer(self) -> torch.optim.Optimizer:
        """SGD with momentum at the code's step size: `lr` is given for pixels in [0, 1] at ipc 10
        (the code scales it by ipc / 10); ours are normalised by the dataset's std, which scales a
        pixel's gradient by std and its step by 1 / std, so the same move needs lr / std^2."""
        std = sum(self.data.std) / len(self.data.std)
        lr = self.config.lr * self.config.ipc / 10 / std**2
        return torch.optim.SGD(self.parameters(), lr=lr, momentum=self.config.momentum)

    def outer_loss(self) -> Tensor:
        if self.theta is None or self.updates == self.config.inner_loop:
            self.theta, self.updates = self.fresh_network(), 0
            with torch.no_grad():
                self.images.copy_(self.images.clamp(*self.pixel_range))
        else:  # between two matchings the network learns from real data
            self.theta = self._train_on_real()
        self.updates += 1
        return sum(self._class_distance(c) for c in range(self.data.num_classes))

    def class_distance(self, c: int, x_real: Tensor, x_syn: Tensor) -> Tensor:
        """D between the conv-weight gradients of decoded synthetic and real images of class c."""
        g_real = {k: g.detach() for k, g in self._conv_gradients(x_real, c).items()}
        g_syn = self._conv_gradients(x_syn, c)
        if self.config.metric == "cos":
            return sum(layer_distance(g_syn[k], g) for k, g in g_real.items())
        return sum((g_syn[k] - g).abs().sum() for k, g in g_real.items())

    def _class_distance(self, c: int) -> Tensor:
        x_syn, _ = decode(
            self.class_images(c), self.labels[: self.config.ipc], self.config.factor
        )  # (f^2 ipc, C, H, W)
        x_real, x_syn = augment.siamese(self.real_images(c), x_syn, self.generator, self.strength)
        return self.class_distance(c, x_real, x_syn)

    def _conv_gradients(self, x: Tensor, c: int) -> Params:
        return {k: g for k, g in weight_gradients(self.net, self.theta, x, c).items() if g.dim() == 4}

    def _train_on_real(self) -> Params:
        """One pass of SGD (momentum 0.9, weight decay 5e-4) over `net_examples` fresh real images,
        each augmented on its own."""
        x, y = self.data.sample(self.config.net_examples, self.generator)
        schedule = Schedule(epochs=1, batch_size=NET_BATCH, lr=self.config.real_lr, momentum=0.9, weight_decay=5e-4)
        transform = partial(augment.augment, strength=augment.Augmentation(ops=self.strength.ops, one_per="image"))
        one = {k: v.unsqueeze(0) for k, v in self.theta.items()}
        trained = train_many(self.net, one, x, y, schedule, self.generator, vectorize=False, augment=transform)
        return {k: v[0] for k, v in trained.items()}

    def _tiled_real_images(self) -> Tensor:
        """The code's "mix" init: factor^2 random real images of the class, each shrunk to a tile."""
        f, side = self.config.factor, self.data.image_shape[-1]
        stored = []
        for c in range(self.data.num_classes):
            real = self.data.sample_per_class(c, self.config.ipc * f * f, self.generator)  # (ipc f^2, C, H, W)
            small = F.interpolate(real, size=(side // f, side // f), mode="area").view(
                f, f, self.config.ipc, -1, side // f, side // f
            )
            rows = [torch.cat(list(small[i]), dim=-1) for i in range(f)]  # each (ipc, C, s, f s)
            stored.append(torch.cat(rows, dim=-2))  # (ipc, C, H, W)
        return torch.cat(stored)
