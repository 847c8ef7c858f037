"""Where a network's weights start: Wang et al. 2018's four init settings, for any method.

    "fixed"             one known initialisation, the same while distilling and at test time: the
                        images may exploit it.
    "random"            fresh draws from the init distribution: the images must work for any of them.
    "fixed_pretrained"  the fixed init after pretraining on other digits (`ddlab.sources.pretrained`).
    "random_pretrained" a pool of networks pretrained on other digits, split in two: distilling
                        draws from the first `pool_train`, testing only from the others.

A setting and everything its networks depend on is an `InitSpec`, a small frozen record that a DD
config produces (``DD.inits()``) and that a saved set's config gives back (`InitSpec.of`), so the
driver, `evaluate` and the experiments all draw networks the same way without knowing the method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from .data import Dataset
from .nets import Params, init_params, make_net, sample_inits
from .sources.pretrained import Pool, pretrained_pool

INIT_SETTINGS = ("fixed", "random", "fixed_pretrained", "random_pretrained")
SINGLE_INIT_SETTINGS = ("fixed", "fixed_pretrained")  # one network, the same at distill and test time
PRETRAINED_SETTINGS = ("fixed_pretrained", "random_pretrained")
# What initialisations are drawn for: distilling (or any other training), or evaluation. Only
# random_pretrained tells them apart, by drawing from disjoint parts of its pool.
USES = ("distill", "test")


@dataclass(frozen=True)
class InitSpec:
    """Which networks a setting draws (the defaults are DD's)."""

    setting: str = "random"  # one of INIT_SETTINGS
    arch: str = "lenet"  # network the weights are for
    scheme: str = "xavier"  # distribution of initial weights: xavier, kaiming, default
    seed: int = 0  # which init is "the" fixed one (and the pool's first seed)
    pool_size: int = 30  # pretrained settings: networks pretrained on the source digits
    pool_train: int = 10  # the first pool_train serve distilling; the rest only testing
    source: str = "auto"  # source digits of the pretrained settings: usps, digits or auto

    def __post_init__(self):
        if self.setting not in INIT_SETTINGS:
            raise ValueError(f"unknown init setting {self.setting!r}; use one of: {', '.join(INIT_SETTINGS)}")

    @classmethod
    def of(cls, config: Mapping[str, Any], setting: str | None = None) -> InitSpec:
        """The spec of a DD config's fields (a saved set's ``config`` dict), under `setting` if given."""
        defaults = cls()
        return cls(
            setting=setting or config.get("init", defaults.setting),
            arch=config.get("arch", defaults.arch),
            scheme=config.get("init_scheme", defaults.scheme),
            seed=int(config.get("init_seed", defaults.seed)),
            pool_size=int(config.get("pool_size", defaults.pool_size)),
            pool_train=int(config.get("pool_train", defaults.pool_train)),
            source=config.get("pretrain_source", defaults.source),
        )

    @property
    def single(self) -> bool:
        """True if the setting is one network, the same whenever it is drawn."""
        return self.setting in SINGLE_INIT_SETTINGS

    def available(self, use: str) -> int | None:
        """How many different networks `use` may draw (None: unlimited)."""
        check_use(use)
        if self.single:
            return 1
        if self.setting == "random":
            return None
        return self.pool_train if use == "distill" else self.pool_size - self.pool_train


def draw_inits(spec: InitSpec, data: Dataset, n: int, generator: torch.Generator, *, use: str = "distill") -> Params:
    """`n` initialisations for `spec`, stacked for vmap, for `use` "distill" or "test".
    Only evaluation asks for "test": the unseen networks are never reached by default.

    fixed              the one known init (drawn from `spec.seed`), repeated; `generator` unused
    random             fresh draws from `spec.scheme` with `generator`
    fixed_pretrained   the fixed init pretrained on the source digits (pool network 0), repeated
    random_pretrained  `n` different networks drawn with `generator` from the pool's part for `use`
                       (`pool_part`): distilling never sees a network that testing uses
    """
    check_use(use)
    if n <= 0:
        raise ValueError(f"number of initialisations must be positive, got {n}")
    if spec.setting == "fixed":
        fixed = init_params(make_net(spec.arch, *data.net_args), spec.scheme, torch.Generator().manual_seed(spec.seed))
        return {k: v.to(data.device).expand(n, *v.shape) for k, v in fixed.items()}
    if spec.setting == "random":
        return sample_inits(make_net(spec.arch, *data.net_args), n, spec.scheme, generator, data.device)
    if spec.setting == "fixed_pretrained":
        return {k: v[0].expand(n, *v.shape[1:]) for k, v in pool(spec, data).params.items()}
    part = pool_part(spec, data, use)
    available = next(iter(part.values())).shape[0]
    if n > available:
        raise ValueError(
            f"random_pretrained has {available} networks for {use!r} (pool_size={spec.pool_size}, "
            f"pool_train={spec.pool_train}); cannot draw {n}"
        )
    pick = torch.randperm(available, generator=generator)[:n].to(data.device)
    return {k: v[pick] for k, v in part.items()}


def pool(spec: InitSpec, data: Dataset) -> Pool:
    """The pretrained pool of `spec` (built on first use, then cached on disk): `pool_size`
    networks of `spec.arch`, network i pretrained from the i-th init of seed `spec.seed`."""
    if data.image_shape != (1, 28, 28) or data.num_classes != 10:
        raise ValueError(
            f"pretrained init settings need 1x28x28 images in 10 classes (the source task is "
            f"digits); {data.name} has {data.image_shape} in {data.num_classes}"
        )
    return pretrained_pool(spec.arch, spec.scheme, spec.pool_size, spec.seed, spec.source, device=data.device)


def pool_part(spec: InitSpec, data: Dataset, use: str) -> Params:
    """The networks of the pool that `use` may draw from: the first `pool_train` for "distill",
    the remaining (unseen) ones for "test". Slices of one ordering, so the parts never overlap."""
    check_use(use)
    part = slice(0, spec.pool_train) if use == "distill" else slice(spec.pool_train, spec.pool_size)
    return {k: v[part] for k, v in pool(spec, data).params.items()}


def check_use(use: str) -> None:
    if use not in USES:
        raise ValueError(f"unknown use {use!r} of initialisations; use one of: {', '.join(USES)}")
