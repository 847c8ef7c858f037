"""Checking a learner's answer before reading an outcome off it: one number, a dict of numbers or of
lists of numbers, or the `Scores` ddlab.evaluate returns. Each raises `NotYet` with what is missing,
in the words of the exercise cell (`answer[...]`), so a half-done answer gets a useful message."""
from __future__ import annotations

import math
from numbers import Real

import torch

from ..evaluate import Scores
from .core import NotYet


def number_of(value, what: str) -> float:
    """`value` (a number or a one-element tensor) as a float, or a NotYet naming `what`."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise NotYet(f"{what} should be one finite number, got {value!r}")
    return float(value)


def numbers_of(answer, names: tuple[str, ...]) -> dict[str, float]:
    """`answer` as {name: float} for exactly `names`, or a NotYet saying what is missing."""
    if not isinstance(answer, dict) or set(answer) != set(names):
        raise NotYet(f"`answer` should be a dict with the keys {', '.join(map(repr, names))}")
    return {name: number_of(value, f"answer[{name!r}]") for name, value in answer.items()}


def lists_of(answer, names: tuple[str, ...]) -> dict[str, list[float]]:
    """`answer` as {name: [float, ...]} for exactly `names`, lists of one length (a number per
    draw, the same draws for every name), or a NotYet saying what is missing."""
    if not isinstance(answer, dict) or set(answer) != set(names):
        raise NotYet(f"`answer` should be a dict with the keys {', '.join(map(repr, names))}")
    found = {}
    for name, values in answer.items():
        if isinstance(values, torch.Tensor):
            values = values.flatten().tolist()
        if not isinstance(values, (list, tuple)) or not values:
            raise NotYet(f"answer[{name!r}] should be a list of numbers, one per draw, got {values!r}")
        found[name] = [number_of(v, f"each entry of answer[{name!r}]") for v in values]
    if len({len(v) for v in found.values()}) != 1:
        raise NotYet("every list should hold one number per draw, on the same draws: their lengths differ")
    return found


def scores_of(answer, names: tuple[str, ...]) -> dict[str, Scores]:
    """`answer` as {name: Scores} for exactly `names`, or a NotYet saying what is missing."""
    if not isinstance(answer, dict) or set(answer) != set(names):
        raise NotYet(f"`answer` should be a dict with the keys {', '.join(map(repr, names))}")
    for name, scores in answer.items():
        if not isinstance(scores, Scores):
            raise NotYet(f"answer[{name!r}] should be what ddlab.evaluate returns, got {type(scores).__name__}")
    return answer


def vector_of(answer, what: str) -> torch.Tensor:
    """`answer` as a 1-D tensor of at least two numbers (`what`: one per what), or a NotYet."""
    if not isinstance(answer, torch.Tensor) or answer.dim() != 1 or len(answer) < 2:
        raise NotYet(f"`answer` should be a 1-D tensor with {what}")
    return answer
