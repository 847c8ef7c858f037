"""Notebook 10's exercises: is the overshoot needed, where the distilled set stops helping, would
real-trained networks 'recognise' noise. The checks take the sets and what `analysis` measured on
them, verify which set each measurement is of (and the learner's advantage against a recomputation),
and read the accuracies themselves."""

from __future__ import annotations

import torch

from ..analysis.mixing import Mixing
from ..synthetic import fingerprint
from .core import NotYet, exercise
from .provenance import distinct, keys_of, mnist, recomputed, set_of


def mixing_of(value, what: str, ks_at_least: int = 1) -> Mixing:
    """`value` as what `analysis.mixing` returns, measured at k = 0 and at `ks_at_least` values of k, or a NotYet."""
    if not isinstance(value, Mixing):
        raise NotYet(f"{what} should be what analysis.mixing returns, got {type(value).__name__}")
    if 0 not in value.ks or len(value.ks) < ks_at_least:
        raise NotYet(
            f"{what} was measured at k = {list(value.ks)}: "
            + ("measure k = 0" if ks_at_least == 1 else "the question is about every k: use `mix`, measured at plan.ks")
        )
    return value


def _why_clamped(outcome: str) -> str:
    return (
        "Clamping changes only the pixels that overshoot black or white. "
        + {
            "survives": "The set keeps its accuracy within 5 points: what it teaches sits in the shapes, not in "
            "the extreme values; the overshoot is a side effect of unconstrained pixels, not needed.",
            "drops": "The set loses more than 5 points: the networks that train on it see pixel values, not "
            "digits, and part of what the set teaches sits in those extreme values.",
        }[outcome]
    )


@exercise(
    "10.1",
    choices=("survives", "drops"),
    why=_why_clamped,
    hint="`dataclasses.replace(dm_set, images=data.normalize(data.to_pixels(dm_set.images)))` keeps "
    "the set and its labels and clamps only the pixels; train on it as on the DM set "
    "(`analysis.mixing(..., ks=(0,))`), and hand the check both sets and both measurements.",
    solution="""
prediction = "survives"
clamped = replace(dm_set, images=data.normalize(data.to_pixels(dm_set.images)))
answer = {"unclamped set": dm_set, "clamped set": clamped, "unclamped": mix,
          "clamped": analysis.mixing(clamped, data, ks=(0,), n_models=n_models, on=test_slice)}
check("10.1", prediction, answer)
""",
    typed={"clamped": 0.70, "unclamped": 0.72},
    wrong_setting='counterfeit = {**answer, "clamped": answer["unclamped"]}',
)
def clamped_survives(answer) -> str:
    keys_of(answer, ("unclamped set", "clamped set", "unclamped", "clamped"))
    unclamped = set_of(answer["unclamped set"], "answer['unclamped set']", method="dm")
    clamped = set_of(answer["clamped set"], "answer['clamped set']", method="dm")
    expected = mnist().normalize(mnist().to_pixels(unclamped.images.detach().cpu()))
    if clamped.images.shape != expected.shape or not torch.allclose(clamped.images.detach().cpu(), expected, atol=1e-5):
        raise NotYet(
            "answer['clamped set'] is not the DM set with its pixels clamped: "
            "data.normalize(data.to_pixels(dm_set.images))"
        )
    measured = {name: mixing_of(answer[name], f"answer[{name!r}]") for name in ("unclamped", "clamped")}
    distinct(
        {name: m.distilled[m.ks.index(0)] for name, m in measured.items()},
        "unclamped",
        "clamped",
        "train on the clamped set for answer['clamped']",
    )
    clamped_acc, unclamped_acc = (
        measured[name].distilled[measured[name].ks.index(0)].mean().item() for name in ("clamped", "unclamped")
    )
    return "survives" if clamped_acc >= unclamped_acc - 0.05 else "drops"


@exercise(
    "10.2",
    choices=("shrinks", "grows"),
    why="With no real images the distilled set carries all it was optimised to carry, far more than ipc "
    "real images do. As k grows, the real images decide what the network learns and the distilled "
    "images are ipc images among many, so the two arms converge: what a distilled set adds is worth most "
    "where data is scarcest (the paper's curves meet at k = 250).",
    hint="`mix.distilled` and `mix.real` are (len(mix.ks), networks) accuracies; subtract, then "
    "average over the networks (dim=1). Hand the check `mix` with it: it compares the first k with the last.",
    solution="""
prediction = "shrinks"
answer = {"mix": mix, "advantage": (mix.distilled - mix.real).mean(dim=1)}
check("10.2", prediction, answer)
""",
    typed=[0.05, 0.02, 0.0, -0.01],
    wrong_setting=(
        "_short = replace(mix, ks=mix.ks[:1], distilled=mix.distilled[:1], real=mix.real[:1])\n"
        'counterfeit = {"mix": _short, "advantage": (_short.distilled - _short.real).mean(dim=1)}'
    ),
)
def advantage_per_k(answer) -> str:
    keys_of(answer, ("mix", "advantage"))
    mix = mixing_of(answer["mix"], "answer['mix']", ks_at_least=2)
    advantage = recomputed(
        answer["advantage"],
        (mix.distilled - mix.real).mean(dim=1),
        "answer['advantage']",
        "the distilled arm minus the real arm, averaged over the networks (dim=1)",
    )  # (len(ks),)
    return "shrinks" if advantage[-1] < advantage[0] else "grows"


NOISE_IMAGES = 100  # scored noise images: with 10, 3 lucky guesses of 10 (7% likely) read as 30%


@exercise(
    "10.3",
    choices=("about chance", "well above chance"),
    why="Networks trained on real digits classify arbitrary pixels by whatever weak features they "
    "contain, so noise lands near chance (10%). The distilled images of section 6 score far "
    "above it: what real-trained networks recognise in them are the classes' real features.",
    hint="`ddlab.SyntheticSet(images, labels)` with 100 standard-normal images "
    "(`torch.randn(100, 1, 28, 28, generator=...)`), ten labelled with each class "
    "(`torch.arange(10).repeat(10)`); score it with "
    "`analysis.recognition({'noise': noise}, data, archs=('mlp',), ...)` and hand the check both.",
    solution="""
prediction = "about chance"
noise = ddlab.SyntheticSet(torch.randn(100, 1, 28, 28, generator=torch.Generator().manual_seed(0)),
                           torch.arange(10).repeat(10))
answer = {"noise": noise,
          "recognition": analysis.recognition({"noise": noise}, data, archs=("mlp",), n_models=n_models,
                                              test_examples=test_examples)}
check("10.3", prediction, answer)
""",
    typed=0.11,
    wrong_setting='counterfeit = {"noise": dm_set, "recognition": answer["recognition"]}',
)
def noise_recognised(answer) -> str:
    from ..analysis.recognition import Recognition

    keys_of(answer, ("noise", "recognition"))
    noise = set_of(answer["noise"], "answer['noise']").images.detach().cpu()
    if len(noise) < NOISE_IMAGES:
        raise NotYet(
            f"answer['noise'] has {len(noise)} images: make at least {NOISE_IMAGES}, so that a lucky guess or "
            "two cannot move the score by ten points"
        )
    noise = noise.flatten()
    skew = (((noise - noise.mean()) / noise.std()) ** 3).mean().item()
    if abs(noise.mean().item()) > 0.2 or abs(noise.std().item() - 1) > 0.2 or abs(skew) > 0.3:
        raise NotYet(
            "answer['noise'] does not look like standard-normal noise (mean 0, spread 1, symmetric): "
            "make its images with torch.randn"
        )
    scored = answer["recognition"]
    if not isinstance(scored, Recognition):
        raise NotYet(f"answer['recognition'] should be what analysis.recognition returns, got {type(scored).__name__}")
    if scored.names != ("noise",) or scored.fingerprints != (fingerprint(answer["noise"].images),):
        raise NotYet(
            "answer['recognition'] scored other images than answer['noise']: score only the noise set, named 'noise'"
        )
    if scored.test_accuracy.mean() < 0.2:
        raise NotYet("the real-trained judges are near chance on real test images themselves: train them longer")
    # chance is 10%; "about chance" allows the spread of 100 images and a few networks
    return "about chance" if scored.accuracy.mean().item() < 0.3 else "well above chance"
