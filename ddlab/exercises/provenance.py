"""Is the answer the objects the exercise asks for, made where it says? The checks of `nb00` ... `nb13`
read an outcome only off objects ddlab made (`Scores` with what `evaluate` measured, sets, tensors) and
verify them first: the setting recorded on them (init, init scheme, images), that two answers which must
differ do, and tensors against a recomputation from what the check can reach (MNIST via `mnist`). So a
number typed by hand, the same object twice or an answer from the wrong setting is refused, with a
`NotYet` that names which."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..evaluate import Scores
from ..synthetic import SyntheticSet
from .core import NotYet


def keys_of(answer, names: Sequence[str]) -> dict:
    """`answer` as a dict with exactly the keys `names`, or a NotYet naming them."""
    if not isinstance(answer, dict) or set(answer) != set(names):
        raise NotYet(f"`answer` should be a dict with the keys {', '.join(map(repr, names))}")
    return answer


def scores_of(
    answer,
    names: Sequence[str],
    setting: dict[str, str] | None = None,
    scheme: dict[str, str] | None = None,
    same_images: bool = False,
) -> dict[str, Scores]:
    """`answer` as {name: Scores} made by `ddlab.evaluate`, each evaluated under the init `setting` and
    the init `scheme` given for its name, all on the same images if `same_images`; else a NotYet."""
    keys_of(answer, names)
    for name, scores in answer.items():
        if not isinstance(scores, Scores):
            raise NotYet(f"answer[{name!r}] should be what ddlab.evaluate returns, got {type(scores).__name__}")
        if scores.evaluated is None:
            raise NotYet(
                f"answer[{name!r}] does not record which set and networks it measured: "
                "make it with ddlab.evaluate, not by hand"
            )
    for name, wanted in (setting or {}).items():
        if answer[name].setting != wanted:
            raise NotYet(
                f"answer[{name!r}] was evaluated under init={answer[name].setting!r}; evaluate it under init={wanted!r}"
            )
    for name, wanted in (scheme or {}).items():
        if (found := answer[name].evaluated.init_scheme) != wanted:
            raise NotYet(
                f"answer[{name!r}] was evaluated on networks drawn with the {found} init scheme; "
                f"it should be {wanted} draws"
            )
    first, *others = names
    for name in others if same_images else ():
        if answer[name].evaluated.images != answer[first].evaluated.images:
            raise NotYet(
                f"answer[{first!r}] and answer[{name!r}] were measured on different images: "
                "evaluate the same images both times"
            )
    return answer


def distinct(answer: dict, first: str, second: str, what_differs: str) -> None:
    """A NotYet when answer[first] and answer[second] are one object or hold the same values."""
    if same_values(answer[first], answer[second]):
        raise NotYet(f"answer[{first!r}] and answer[{second!r}] are the same: {what_differs}")


def same_values(a, b) -> bool:
    """Whether `a` and `b` are one object or hold equal values: tensors, sets (their images), `Scores`
    (the same set measured by the same networks), and dicts, lists and tuples of these."""
    if a is b:
        return True
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and torch.equal(a.detach().cpu(), b.detach().cpu())
    if isinstance(a, SyntheticSet) and isinstance(b, SyntheticSet):
        return same_values(a.images, b.images)
    if isinstance(a, Scores) and isinstance(b, Scores):
        return a.setting == b.setting and a.evaluated == b.evaluated
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    return False


def tensor_like(value, what: str, shape: tuple[int, ...] | None = None, dtype: torch.dtype | None = None) -> Tensor:
    """`value` as a tensor of `shape` and `dtype` where given, or a NotYet naming `what` it should be."""
    if not isinstance(value, Tensor):
        raise NotYet(f"{what} should be a tensor, got {type(value).__name__}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise NotYet(f"{what} should have the shape {tuple(shape)}, got {tuple(value.shape)}")
    if dtype is not None and value.dtype != dtype:
        raise NotYet(f"{what} should hold {dtype}, got {value.dtype}")
    return value


def gradients_like(value, what: str, like: dict[str, Tensor]) -> dict[str, Tensor]:
    """`value` as a gradient dict {layer: tensor} with the layers and shapes of `like`, or a NotYet."""
    if not isinstance(value, dict) or set(value) != set(like):
        raise NotYet(
            f"{what} should be a dict {{layer: gradient}} with the layers of `target` (what weight_gradients returns)"
        )
    for name, g in value.items():
        tensor_like(g, f"{what}[{name!r}]", like[name].shape)
    return value


def set_of(value, what: str, method: str | None = None) -> SyntheticSet:
    """`value` as a SyntheticSet, made by `method` where given, or a NotYet naming `what` it should be."""
    if not isinstance(value, SyntheticSet):
        raise NotYet(f"{what} should be a SyntheticSet, got {type(value).__name__}")
    if method is not None and value.method != method:
        raise NotYet(f"{what} should be a {method} set; this one was made by {value.method!r}")
    return value


def mnist():
    """MNIST on the CPU, to recompute what an answer should hold (`ddlab.load` loads it once a process)."""
    from ..data import load

    return load("mnist", device="cpu")


def real_images(images: Tensor, what: str) -> None:
    """A NotYet unless every one of `images` is an MNIST training image (up to float rounding)."""
    x = mnist().x_train.flatten(1)  # (60000, 784)
    nearest = (
        torch.cdist(images.detach().cpu().float().flatten(1), x, compute_mode="donot_use_mm_for_euclid_dist")
        .min(dim=1)
        .values
    )  # exact, not via a matmul
    if nearest.max() > 1e-3:
        raise NotYet(f"{what} should be real MNIST training images; {int((nearest > 1e-3).sum())} of them are not")


def recomputed(found, expected: Tensor, what: str, how: str) -> Tensor:
    """The learner's `found` (a tensor or list of numbers), checked equal to `expected`, what the check
    recomputed from the objects it came from; else a NotYet naming `what` and `how` to compute it."""
    if isinstance(found, (list, tuple)) and all(isinstance(v, (int, float)) for v in found):
        raise NotYet(f"{what} should be computed from the objects, as a tensor, not typed as a list")
    found = tensor_like(found, what, tuple(expected.shape))
    if not torch.allclose(found.detach().cpu().double(), expected.detach().cpu().double(), atol=1e-5):
        raise NotYet(f"{what} is not what the objects give: {how}")
    return found
