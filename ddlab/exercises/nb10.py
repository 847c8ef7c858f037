"""Notebook 10's exercises: is the overshoot needed, where the distilled set stops helping, would
real-trained networks 'recognise' noise."""
from __future__ import annotations

import torch

from .answers import vector_of
from .core import NotYet, exercise


def _accuracy(value, name: str) -> float:
    if isinstance(value, torch.Tensor):
        value = value.float().mean().item() if value.numel() else None
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise NotYet(f"answer[{name!r}] should be an accuracy in [0, 1] (a number or a tensor of them), got {value!r}")
    return float(value)


def _why_clamped(outcome: str) -> str:
    return "Clamping changes only the pixels that overshoot black or white. " + {
        "survives": "The set keeps its accuracy within 5 points: what it teaches sits in the shapes, not in "
                    "the extreme values; the overshoot is a side effect of unconstrained pixels, not needed.",
        "drops": "The set loses more than 5 points: the networks that train on it see pixel values, not "
                 "digits, and part of what the set teaches sits in those extreme values.",
    }[outcome]


@exercise("10.1", choices=("survives", "drops"), why=_why_clamped,
          hint="`dataclasses.replace(dm_set, images=data.normalize(data.to_pixels(dm_set.images)))` keeps "
               "the set and its labels and clamps only the pixels; train on both sets the same way "
               "(`analysis.mixing(..., ks=(0,))` gives the k = 0 accuracies).",
          solution='''
prediction = "survives"
clamped = replace(dm_set, images=data.normalize(data.to_pixels(dm_set.images)))
answer = {"clamped set": clamped,
          "clamped": analysis.mixing(clamped, data, ks=(0,), n_models=n_models, on=test_slice).distilled,
          "unclamped": mix.distilled[0]}
check("10.1", prediction, answer)
''')
def clamped_survives(answer) -> str:
    from ..data import MNIST_MEAN, MNIST_STD
    from ..synthetic import SyntheticSet
    if not isinstance(answer, dict) or set(answer) != {"clamped set", "clamped", "unclamped"}:
        raise NotYet("`answer` should be a dict with the keys 'clamped set', 'clamped' and 'unclamped'")
    clamped = answer["clamped set"]
    if not isinstance(clamped, SyntheticSet):
        raise NotYet(f"answer['clamped set'] should be a SyntheticSet, got {type(clamped).__name__}")
    if clamped.config.get("method") != "dm" or clamped.images.shape[0] != 10:
        raise NotYet("answer['clamped set'] should be the DM set with its images clamped "
                     "(dataclasses.replace keeps its config)")
    pixels = clamped.images.detach().cpu() * MNIST_STD[0] + MNIST_MEAN[0]
    if pixels.min() < -1e-4 or pixels.max() > 1 + 1e-4:
        raise NotYet(f"answer['clamped set'] still has pixels outside [0, 1] (from {pixels.min():.2f} to "
                     f"{pixels.max():.2f}): clamp them")
    if not ((pixels.abs() < 1e-4).any() or ((pixels - 1).abs() < 1e-4).any()):
        raise NotYet("no pixel of answer['clamped set'] sits at black or white: clamp the DM images, "
                     "do not rescale them")
    clamped_acc, unclamped_acc = _accuracy(answer["clamped"], "clamped"), _accuracy(answer["unclamped"], "unclamped")
    return "survives" if clamped_acc >= unclamped_acc - 0.05 else "drops"


def _why_advantage(outcome: str) -> str:
    return {
        "stays ahead": "Up to the largest k measured, the distilled images still carry more than the real "
                       "images they replace, by more than a point at every k: at this budget the real "
                       "images have not come to dominate the mixture (the paper's curves meet at k = 250).",
        "is caught up": "Mixed with only a little real data the distilled set still carries its k = 0 "
                        "advantage; as k grows the real images decide what the network learns, and the "
                        "distilled images are ipc images among many: somewhere the real arm comes within a "
                        "point of the distilled one, or passes it.",
    }[outcome]


@exercise("10.2", choices=("stays ahead", "is caught up"), why=_why_advantage,
          hint="`mix.distilled` and `mix.real` are (len(mix.ks), networks) accuracies; subtract, then "
               "average over the networks (dim=1).",
          solution='''
prediction = "is caught up"
answer = (mix.distilled - mix.real).mean(dim=1)
check("10.2", prediction, answer)
''')
def advantage_per_k(answer) -> str:
    answer = vector_of(answer, "the advantage at every k of `mix.ks`")
    if answer.abs().max() > 1:
        raise NotYet("each advantage is a difference of two accuracies in [0, 1], so it lies in [-1, 1]")
    # "stays ahead": more than a point ahead at every k, the largest included
    return "stays ahead" if bool((answer > 0.01).all()) else "is caught up"


@exercise("10.3", choices=("about chance", "well above chance"),
          why="Networks trained on real digits classify arbitrary pixels by whatever weak features they "
              "contain, so noise lands near chance (10%). The distilled images of section 6 score far "
              "above it: what real-trained networks recognise in them are the classes' real features.",
          hint="`ddlab.SyntheticSet(images, labels)` with 10 standard-normal images "
               "(`torch.randn(10, 1, 28, 28, generator=...)`) labelled 0-9; score it with "
               "`analysis.recognition({'noise': noise}, data, archs=('mlp',), ...)`.",
          solution='''
prediction = "about chance"
noise = ddlab.SyntheticSet(torch.randn(10, 1, 28, 28, generator=torch.Generator().manual_seed(0)), torch.arange(10))
answer = analysis.recognition({"noise": noise}, data, archs=("mlp",), n_models=n_models, test_examples=test_examples)
check("10.3", prediction, answer)
''')
def noise_recognised(answer) -> str:
    from ..analysis.recognition import Recognition
    if not isinstance(answer, Recognition):
        raise NotYet(f"`answer` should be what analysis.recognition returns, got {type(answer).__name__}")
    if answer.names != ("noise",):
        raise NotYet(f"score only the noise set, named 'noise' (got sets {answer.names})")
    if answer.test_accuracy.mean() < 0.2:
        raise NotYet("the real-trained judges are near chance on real test images themselves: train them longer")
    # chance is 10%; "about chance" allows the spread of 10 images and a few networks
    return "about chance" if answer.accuracy.mean().item() < 0.3 else "well above chance"
