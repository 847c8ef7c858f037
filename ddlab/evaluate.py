"""How good is a synthetic set? Train fresh networks on it and test them on the real test set.

Wang et al.'s protocol (this module, for sets with learned step sizes): replay exactly the distilled
schedule — each step's batch with its learned step size, for the distilled number of epochs — from

* the fixed initialisation the set was distilled for ("fixed": one network),
* `n_models` initialisations the distillation never saw ("random": mean +- std over them),
* the fixed initialisation pretrained on the source digits ("fixed_pretrained": one network), or
* `n_models` networks of the pretrained pool's unseen part ("random_pretrained"): never the ones
  the distillation drew from (`ddlab.inits.pool_part`).

All networks are trained and tested at once (`torch.func.vmap`); nothing here loops over models.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.func import vmap

from . import inits, protocol as _protocol, recipes
from .data import Dataset
from .functional import accuracy_many, unroll
from .nets import make_net
from .synthetic import SyntheticSet, fingerprint

# Evaluation draws its random initialisations from a generator seeded far away from any seed a
# distillation uses, so "unseen" networks are really unseen; the driver's checks (use="distill")
# draw theirs from yet another seed.
UNSEEN_SEED_OFFSET = 1_000_003
SELECTION_SEED_OFFSET = 2_000_029


@dataclass(frozen=True)
class Evaluated:
    """What `evaluate` measured: which set (fingerprints of its pixels and of what the networks
    trained on) under which networks. An exercise reads it to tell an answer from the wrong setting
    (Xavier draws for Kaiming ones, the same set twice) without trusting a typed number."""

    images: str  # `fingerprint` of the set's images
    targets: str  # `fingerprint` of what the networks trained on: classes or learned labels
    soft_labels: bool  # whether they trained on learned labels
    lrs: tuple[float, ...] | None  # the step sizes replayed; None: trained under a protocol
    method: str  # the set's method ("dd", "dm", "herding", ...)
    made_for: str | None  # the init setting the set was distilled for (its config's "init")
    init_scheme: str  # distribution of the networks' initial weights
    arch: str  # the network trained on the set
    seed: int  # `evaluate`'s seed: equal seeds and settings, the same networks
    on_test: bool  # scored on the test set (False: on given images)


@dataclass(frozen=True)
class Scores:
    accuracies: Tensor  # (n_models,) accuracy of each evaluated network (test set unless `on`), in [0, 1]
    setting: str  # which initialisations were evaluated
    evaluated: Evaluated | None = None  # what `evaluate` measured; None: scores made some other way

    @property
    def mean(self) -> float:
        return self.accuracies.mean().item()

    @property
    def std(self) -> float:
        return self.accuracies.std().item() if len(self.accuracies) > 1 else 0.0

    def format(self, unit: str = "%", count: bool = False) -> str:
        """'84.5%' for one network, '60.3 ± 8.0%' for several (see `format_accuracy`)."""
        return format_accuracy(self.mean, self.std, len(self.accuracies), unit, count)

    def __str__(self) -> str:
        n = len(self.accuracies)
        return f"{self.format()} ({self.setting} init, {n} network{'s' * (n > 1)})"


def format_accuracy(mean: float, std: float, n: int, unit: str = "%", count: bool = False) -> str:
    """The one way the course writes an accuracy in [0, 1] over `n` networks: '84.5%' for one,
    '60.3 ± 8.0%' for several; `unit` after the numbers ("" in a table whose header says %),
    `count`: ' (n=20)' after that."""
    spread = f" ± {100 * std:.1f}" if n > 1 else ""
    return f"{100 * mean:.1f}{spread}{unit}" + (f" (n={n})" if count else "")


def evaluate(
    synthetic: SyntheticSet,
    data: Dataset,
    init: str | None = None,
    n_models: int | None = None,
    seed: int = 0,
    on: tuple[Tensor, Tensor] | None = None,
    protocol: _protocol.Protocol | None = None,
    use: str = "test",
) -> Scores:
    """Test accuracy of networks trained on `synthetic` under init setting `init` (default: the
    setting it was distilled with), one of `ddlab.inits.INIT_SETTINGS`. "fixed" and
    "fixed_pretrained" evaluate their one network; "random_pretrained" draws `n_models` of the
    pool's unseen networks, or all of them if there are fewer (pool_size - pool_train; the driver's
    small validation checks work with any pool, and `Scores` says how many were evaluated).

    on: the (images, labels) to measure accuracy on instead of the test set (the driver passes a
        validation slice of the training set, so choosing the best set never looks at the test set).
    use: "test" draws the networks results are reported on; "distill" draws networks from the
        distilling side (another seed; random_pretrained: the pool's distilling part), so that the
        driver's choice of the best set never looks at a network it will be reported on either.

    A set without step sizes (DC, DSA, DM, MTT) is trained on under the papers' protocol instead
    (`ddlab.protocol`: `protocol`, else the paper's within the profile's budget, and with `on`
    the cheap validation one); n_models defaults to the profile's budget there, to 20 here. Given
    a `protocol`, any set is trained on under it: a DD set's learned step sizes are then unused."""
    synthetic.check_fits(data)
    if synthetic.lrs is None or protocol is not None:
        if init not in (None, "random"):
            raise ValueError(
                f"init={init!r} is a DD setting; this {synthetic.method!r} set is evaluated "
                "on fresh random networks (init=None or 'random')"
            )
        budget = recipes.evaluation()
        chosen = protocol or _protocol.sized(synthetic.config, budget, validation=on is not None)
        n = budget.n_models if n_models is None else n_models
        return Scores(
            _protocol.accuracies(synthetic, data, chosen, n, _generator(use, seed), on),
            "random",
            _evaluated(synthetic, None, chosen.init_scheme, chosen.arch, seed, on),
        )
    n_models = 20 if n_models is None else n_models
    if n_models <= 0:
        raise ValueError(f"n_models must be positive, got {n_models}")
    # Any set with step sizes (a DD set, or a baseline laid out like one) is replayed under the DD
    # protocol, with the network and init settings its config names.
    spec = inits.InitSpec.of(synthetic.config, setting=init)
    available = spec.available(use)
    n = n_models if available is None else min(n_models, available)
    theta0 = inits.draw_inits(spec, data, n, _generator(use, seed), use=use)
    net = make_net(spec.arch, *data.net_args)
    batches, lrs = synthetic.to(data.device).schedule()
    trained = vmap(lambda theta: unroll(net, theta, batches, lrs, create_graph=False))(theta0)
    x, y = on if on is not None else (data.x_test, data.y_test)
    return Scores(
        accuracy_many(net, trained, x, y).cpu(),
        spec.setting,
        _evaluated(synthetic, synthetic.lrs, spec.scheme, spec.arch, seed, on),
    )


def _evaluated(
    synthetic: SyntheticSet,
    lrs: Tensor | None,
    init_scheme: str,
    arch: str,
    seed: int,
    on: tuple[Tensor, Tensor] | None,
) -> Evaluated:
    return Evaluated(
        fingerprint(synthetic.images),
        fingerprint(synthetic.targets),
        synthetic.trains_on_soft_labels,
        None if lrs is None else tuple(lrs.detach().cpu().tolist()),
        synthetic.method,
        synthetic.config.get("init"),
        init_scheme,
        arch,
        seed,
        on is None,
    )


def check_score(synthetic: SyntheticSet, data: Dataset, check: dict) -> float:
    """Accuracy of `synthetic` under a short check (`ddlab.sources.assets.check_settings`): the same
    networks, epochs and test images every time, so the same number on any machine up to float
    rounding; cheap enough that CI re-scores every reference set against its recorded check."""
    n = check["test_examples"]
    protocol = _protocol.Protocol(**check["protocol"]) if check["protocol"] else None
    return evaluate(
        synthetic.to(data.device),
        data,
        n_models=check["n_models"],
        seed=check["seed"],
        protocol=protocol,
        on=(data.x_test[:n], data.y_test[:n]),
    ).mean


def reported_networks(seed: int = 0) -> torch.Generator:
    """The generator `evaluate(..., seed=seed)` draws the networks it reports on from (a figure that
    shows one of them draws the same)."""
    return _generator("test", seed)


def _generator(use: str, seed: int) -> torch.Generator:
    inits.check_use(use)
    return torch.Generator().manual_seed((UNSEEN_SEED_OFFSET if use == "test" else SELECTION_SEED_OFFSET) + seed)
