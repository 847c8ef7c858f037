"""Notebook 07's exercises: the linear-kernel MMD is a distance of means, and DM's images match
what random networks see in general. The first check recomputes both numbers from the embeddings;
the second takes the two image sets and measures DM's loss on unseen networks itself."""

from __future__ import annotations

import dataclasses
import math

import torch

from .. import recipes
from ..methods import DistributionMatching
from .core import NotYet, exercise
from .provenance import keys_of, mnist, real_images, same_values, set_of, tensor_like

MMD = ("equal", "larger")
SETS = ("distilled", "random real")
UNSEEN = range(100, 110)  # seeds of the networks the check draws: no run of the course uses them


@exercise(
    "07.1",
    choices=MMD,
    why="With the linear kernel k(a, b) = a.b the three kernel means expand to exactly "
    "||mean(a) - mean(b)||^2: the MMD only sees the means. That is why DM is cheap — and also "
    "what it cannot see: the spread and shape of each class's cloud of embeddings.",
    hint="E k(a, a') is `(a @ a.T).mean()`; likewise for b, and for the cross term `(a @ b.T).mean()`. "
    "Hand the check `a` and `b` too: it recomputes both numbers from them.",
    solution="""
prediction = "equal"
answer = {"a": a, "b": b, "mmd": (a @ a.T).mean() + (b @ b.T).mean() - 2 * (a @ b.T).mean(),
          "mean distance": ((a.mean(0) - b.mean(0)) ** 2).sum()}
check("07.1", prediction, answer)
""",
    typed={"mmd": 1.0, "mean distance": 1.0},
    wrong_setting='counterfeit = {**answer, "b": answer["a"]}',
)
def mmd_against_mean_distance(answer) -> str:
    keys_of(answer, ("a", "b", "mmd", "mean distance"))
    a, b = (
        tensor_like(answer[name], f"answer[{name!r}] (embeddings, one row per image)").detach().double()
        for name in ("a", "b")
    )
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise NotYet("answer['a'] and answer['b'] should be embeddings of one width: (images, D) each")
    if same_values(a, b):
        raise NotYet("answer['a'] and answer['b'] are the same embeddings: compare the real 4s with the distilled ones")
    found = {name: float(answer[name]) for name in ("mmd", "mean distance")}
    expected = {
        "mmd": ((a @ a.T).mean() + (b @ b.T).mean() - 2 * (a @ b.T).mean()).item(),
        "mean distance": ((a.mean(0) - b.mean(0)) ** 2).sum().item(),
    }
    for name, value in expected.items():
        if not math.isclose(found[name], value, rel_tol=1e-3, abs_tol=1e-6):
            raise NotYet(
                f"answer[{name!r}] is {found[name]:.4g}, but computed from a and b it is {value:.4g}: "
                + (
                    "check the sign of the cross term (-2 E k(a, b))"
                    if name == "mmd"
                    else "take the squared distance of the two mean rows"
                )
            )
    return "equal" if math.isclose(found["mmd"], found["mean distance"], rel_tol=1e-3, abs_tol=1e-6) else "larger"


def dm_losses(images: torch.Tensor) -> list[float]:
    """DM's loss of `images` (one per class) on the networks seeded by UNSEEN, the profile's recipe."""
    config = dataclasses.replace(recipes.dm_mnist(1), real_batch=128)
    losses = []
    with torch.no_grad():
        for seed in UNSEEN:
            method = DistributionMatching(config, mnist(), torch.Generator().manual_seed(seed))
            method.images.copy_(images.detach().cpu())
            losses.append(method.outer_loss().item())
    return losses


@exercise(
    "07.2",
    choices=SETS,
    why="The distilled images were matched against a new random network every iteration, so "
    "they match the class means of random ConvNets in general — they win on networks they "
    "never met. One real image per class is one sample of each class, not its mean.",
    hint="Hand the check the two sets of ten images, one per class: the DM reference set and the "
    "random real images. It scores both with DM's loss on the same ten networks no run has met, "
    "with the same real batches and augmentations.",
    solution="""
prediction = "distilled"
answer = {"distilled": reference, "random real": random_real}
check("07.2", prediction, answer)
""",
    typed={"distilled": [0.5] * 10, "random real": [1.0] * 10},
    wrong_setting='counterfeit = {"distilled": reference, "random real": reference.images}',
)
def lower_on_unseen_networks(answer) -> str:
    keys_of(answer, SETS)
    distilled = set_of(answer["distilled"], "answer['distilled']", method="dm")
    real = tensor_like(answer["random real"], "answer['random real']", tuple(distilled.images.shape))
    real_images(real, "answer['random real']")
    losses = {"distilled": dm_losses(distilled.images), "random real": dm_losses(real)}
    wins = sum(d < r for d, r in zip(losses["distilled"], losses["random real"]))
    return "distilled" if 2 * wins > len(UNSEEN) else "random real"
