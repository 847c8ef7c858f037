"""Notebook 06's exercises: what "siamese" means, and why independent draws make a bad target."""
from __future__ import annotations

import torch

from .core import NotYet, exercise
from .answers import numbers_of

PAIRS = ("siamese", "independent")
DRAWS = ("same draw", "independent draws")


@exercise("06.1", choices=PAIRS,
          why="`siamese` draws one transformation (one family, one set of parameters) and applies it to "
              "both batches, so the same batch comes out the same twice. `augment` draws anew for every "
              "image and every call — what training a network on the set uses — so two calls differ.",
          hint="Give `augment.siamese` the batch `x_real` on both sides; for the other pair call "
               "`augment.augment(x_real, gen)` twice. Each entry is a pair (tuple) of two batches.",
          solution='''
prediction = "siamese"
answer = {"siamese": augment.siamese(x_real, x_real, gen),
          "independent": (augment.augment(x_real, gen), augment.augment(x_real, gen))}
check("06.1", prediction, answer)
''')
def identical_pair(answer) -> str:
    if not isinstance(answer, dict) or set(answer) != set(PAIRS):
        raise NotYet(f"`answer` should be a dict with the keys {', '.join(map(repr, PAIRS))}")
    identical = []
    for name, pair in answer.items():
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(x, torch.Tensor) for x in pair)):
            raise NotYet(f"answer[{name!r}] should be a pair of two augmented batches (tensors)")
        if pair[0].shape != pair[1].shape:
            raise NotYet(f"answer[{name!r}]: both sides should be the same batch, augmented; the shapes differ")
        if torch.equal(pair[0], pair[1]):
            identical.append(name)
    if len(identical) != 1:
        raise NotYet("exactly one of the two pairs should come out identical; were both sides given the "
                     "same batch `x_real`?")
    return identical[0]


@exercise("06.2", choices=DRAWS,
          why="With the same draw, a real 3 and the real batch are moved, cut or recoloured alike, so "
              "their gradients still agree. With independent draws the target moves away from the "
              "image — matching would ask the synthetic image to undo random transformations, and the "
              "best it could do is a blur that fits every draw a little. Hence siamese augmentation.",
          hint="`mean_distance(siamese=...)` above averages D over 20 draws; call it once each way.",
          solution='''
prediction = "same draw"
answer = {"same draw": mean_distance(siamese=True), "independent draws": mean_distance(siamese=False)}
check("06.2", prediction, answer)
''')
def lower_distance(answer) -> str:
    distances = numbers_of(answer, DRAWS)
    return min(DRAWS, key=distances.get)
