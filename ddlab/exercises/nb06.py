"""Notebook 06's exercises: how far augmentation moves the matching target, and why independent draws
make a bad one. Both take the gradients (or the augmented batches) and measure D in the check."""

from __future__ import annotations

import torch

from ..methods import gradient_distance, weight_gradients
from .core import NotYet, exercise
from .provenance import gradients_like, keys_of, same_values, tensor_like

MOVES = ("augmentation", "another batch")
DRAWS = ("same draw", "independent draws")


def fresh_draws(draws, what: str) -> list:
    """`draws` as a list of at least two answers, no two of them the same (a fresh draw each time)."""
    if not isinstance(draws, (list, tuple)) or len(draws) < 2:
        raise NotYet(f"{what} should be a list, one entry per draw of the augmentation (20 of them)")
    if any(same_values(draws[0], other) for other in draws[1:]):
        raise NotYet(f"two entries of {what} are the same: draw a fresh augmentation for each")
    return list(draws)


@exercise(
    "06.1",
    choices=MOVES,
    why="Under one draw of DSA's augmentation, a whole batch of real 3s is shifted, cut, rescaled, "
    "rotated or recoloured, and its gradient points somewhere else: much further from the plain "
    "batch's than another batch of 256 real 3s, whose gradient differs only by sampling noise. So "
    "the matching target moves with every draw, and images matched without augmentation (DC) "
    "were matched to a target that augmented training never shows them: the images must be "
    "learned under the augmentation, with the same draw on both sides.",
    hint="`plain = weight_gradients(net, theta, real_3s, 3)` is the target. `augment.siamese(real_3s, "
    "real_3s, gen)[0]` is the batch under one fresh draw: its gradient, for each of 20 draws, "
    "goes in a list; the other batch is `data.sample_per_class(3, 256, gen)`. The check averages "
    "`gradient_distance(..., plain)` over the draws.",
    solution="""
prediction = "augmentation"
plain = weight_gradients(net, theta, real_3s, 3)
answer = {"plain": plain,
          "augmentation": [weight_gradients(net, theta, augment.siamese(real_3s, real_3s, gen)[0], 3) for _ in range(20)],
          "another batch": weight_gradients(net, theta, data.sample_per_class(3, 256, gen), 3)}
check("06.1", prediction, answer)
""",
    typed={"augmentation": 5.0, "another batch": 0.3},
    wrong_setting='counterfeit = {**answer, "augmentation": [answer["plain"]] * 20}',
)
def moves_the_target_further(answer) -> str:
    keys_of(answer, ("plain", *MOVES))
    plain = gradients_like(answer["plain"], "answer['plain']", answer["plain"])
    draws = [
        gradients_like(g, "each entry of answer['augmentation']", plain)
        for g in fresh_draws(answer["augmentation"], "answer['augmentation']")
    ]
    other = gradients_like(answer["another batch"], "answer['another batch']", plain)
    if same_values(other, plain):
        raise NotYet("answer['another batch'] is the plain batch's gradient: sample another 256 real 3s")
    distances = {
        "augmentation": sum(gradient_distance(g, plain).item() for g in draws) / len(draws),
        "another batch": gradient_distance(other, plain).item(),
    }
    return max(MOVES, key=distances.get)


@exercise(
    "06.2",
    choices=DRAWS,
    why="With the same draw, a real 3 and the real batch are moved, cut or recoloured alike, so "
    "their gradients still agree. With independent draws the target moves away from the "
    "image — matching would ask the synthetic image to undo random transformations, and the "
    "best it could do is a blur that fits every draw a little. Hence siamese augmentation.",
    hint="`augmented_pairs(siamese=...)` above draws 20 pairs (256 real 3s, the real 3), augmented "
    "with one draw for both or one each; call it once each way and hand the check both lists, "
    "with `net` and `theta`: it averages D over the pairs.",
    solution="""
prediction = "same draw"
answer = {"net": net, "theta": theta, "same draw": augmented_pairs(siamese=True),
          "independent draws": augmented_pairs(siamese=False)}
check("06.2", prediction, answer)
""",
    typed={"same draw": 0.2, "independent draws": 0.6},
    wrong_setting='counterfeit = {**answer, "same draw": [(real_3s, one_real_3)] * 20}',
)
def lower_distance(answer) -> str:
    keys_of(answer, ("net", "theta", *DRAWS))
    if not isinstance(answer["net"], torch.nn.Module) or not isinstance(answer["theta"], dict):
        raise NotYet("answer['net'] and answer['theta'] should be the network and its weights of the cells above")
    distances = {}
    for name in DRAWS:
        pairs = fresh_draws(answer[name], f"answer[{name!r}]")
        total = 0.0
        for pair in pairs:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise NotYet(f"each entry of answer[{name!r}] should be a pair (real batch, one image)")
            real, one = (tensor_like(x, f"each pair of answer[{name!r}]") for x in pair)
            target = weight_gradients(answer["net"], answer["theta"], real, 3)
            total += gradient_distance(weight_gradients(answer["net"], answer["theta"], one, 3), target).item()
        distances[name] = total / len(pairs)
    return min(DRAWS, key=distances.get)
