"""How curved is the loss? Hutchinson's estimate of the Hessian trace, on real and distilled data.

Yang et al. (Section 4.3) follow the trace of the Hessian of the loss, tr(H) with
H = d^2 L / d theta^2, along the first few hundred steps of training a network on real data, for the
real training loss and for the loss on each distilled set: if distilled data mostly stores what real
training learns early, its loss should flatten out (small trace) once real training is under way.

A LeNet has 62k weights, so H has 3.8e9 entries: it is never formed. Hutchinson's estimator needs
only Hessian-vector products. For a probe v with independent entries +-1 (Rademacher),
E[v v^T] = I, hence

    E[v^T H v] = E[tr(H v v^T)] = tr(H E[v v^T]) = tr(H),

and the average of v^T H v over m probes is an unbiased estimate with variance
2 sum_{i != j} H_ij^2 / m (Gaussian probes would add the diagonal too). H v is the directional
derivative of the gradient, d/de grad L(theta + e v) at e = 0: one forward-mode `jvp` through the
reverse-mode `grad` ("forward-over-reverse"), about the cost of two gradients, and `vmap` runs
many probes at once. Probes come from an explicit generator, drawn on the CPU, so a seed fixes the
estimate on every device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.func import grad, jvp, vmap

from .. import recipes
from ..data import Dataset
from ..functional import loss
from ..nets import Params, make_net, sample_inits
from ..synthetic import SyntheticSet
from . import real_training


def hessian_trace(
    net: torch.nn.Module,
    params: Params,
    x: Tensor,
    y: Tensor,
    probes: int,
    generator: torch.Generator,
    chunk: int | None = None,
) -> Tensor:
    """Hutchinson estimate of tr(d^2 loss(x, y) / d theta^2) for each of the stacked networks
    `params` ({name: (n_models, ...)}), from `probes` Rademacher probes each: (n_models,).
    `chunk` bounds how many probes are vmapped at once (memory: about chunk x a backward pass)."""
    if probes <= 0:
        raise ValueError(f"probes must be a positive integer, got {probes!r}")
    n_models = next(iter(params.values())).shape[0]
    vectors = {
        name: _rademacher((n_models, probes, *p.shape[1:]), generator).to(p)  # (n, probes, ...)
        for name, p in params.items()
    }

    def quadratic_form(theta: Params, v: Params) -> Tensor:  # v^T H v for one probe
        _, hv = jvp(lambda t: grad(loss, argnums=1)(net, t, x, y), (theta,), (v,))
        return sum((hv[name] * v[name]).sum() for name in v)

    one_network = vmap(quadratic_form, in_dims=(None, 0), chunk_size=chunk)  # over probes
    return vmap(one_network)(params, vectors).mean(dim=1)  # (n_models,)


def _rademacher(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    return torch.randint(0, 2, shape, generator=generator).float() * 2 - 1


@dataclass(frozen=True)
class CurvatureCurve:
    steps: list[int]  # real-training steps at which the traces were estimated
    traces: dict[str, Tensor]  # "real" and each set's name -> (len(steps), n_models) Hessian-trace estimates

    def mean(self, name: str) -> list[float]:
        """The trace on `name`'s data at every measured step, averaged over the networks."""
        return self.traces[name].mean(dim=1).tolist()


def curvature_during_training(
    sets: dict[str, SyntheticSet],
    data: Dataset,
    arch: str = "lenet",
    width: int = 128,
    steps: int | None = None,
    every: int | None = None,
    probes: int | None = None,
    real_examples: int | None = None,
    n_models: int = 1,
    seed: int = 0,
    chunk: int | None = 2,
) -> CurvatureCurve:
    """Train `n_models` fresh `arch` networks on real data for `steps` steps (`real_training.watch`)
    and estimate, at step 0 and every `every` steps, the Hessian trace of the loss on a fixed
    sample of `real_examples` training images ("real") and on each distilled set's images.
    `width`: the ConvNet's channels when `arch` is "convnet". Unset budgets follow the profile
    (`ddlab.recipes.analysis`).
    """
    plan = recipes.analysis()
    steps = steps or plan.curvature_steps
    every = every or plan.curvature_every
    probes = probes or plan.curvature_probes
    real_examples = real_examples or plan.curvature_examples
    if "real" in sets:
        raise ValueError("'real' names the real sample's curve; give the distilled sets other names")
    generator = torch.Generator().manual_seed(seed)
    net = make_net(arch, *data.net_args, width=width)
    inits = sample_inits(net, n_models, "default", generator, data.device)
    x_real, y_real = data.sample(real_examples, generator)  # (real_examples, C, H, W)
    evaluated = {
        "real": (x_real, y_real),
        **{name: (s.images.detach().to(data.device), s.labels.to(data.device)) for name, s in sets.items()},
    }
    probe_generator = torch.Generator().manual_seed(seed + 1)

    def measure(params: Params) -> dict[str, Tensor]:
        return {
            name: hessian_trace(net, params, x, y, probes, probe_generator, chunk).cpu()
            for name, (x, y) in evaluated.items()
        }

    measured, results = real_training.watch(net, inits, data, steps, every, measure, generator)
    return CurvatureCurve(measured, {name: torch.stack([r[name] for r in results]) for name in evaluated})
