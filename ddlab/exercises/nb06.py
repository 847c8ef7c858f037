"""Notebook 06's exercises: how far augmentation moves the matching target, and why independent draws
make a bad one."""
from __future__ import annotations

from .answers import numbers_of
from .core import NotYet, exercise

MOVES = ("augmentation", "another batch")
DRAWS = ("same draw", "independent draws")


@exercise("06.1", choices=MOVES,
          why="Under one draw of DSA's augmentation, a whole batch of real 3s is shifted, cut, rescaled, "
              "rotated or recoloured, and its gradient points somewhere else: much further from the plain "
              "batch's than another batch of 256 real 3s, whose gradient differs only by sampling noise. So "
              "the matching target moves with every draw, and images matched without augmentation (DC) "
              "were matched to a target that augmented training never shows them: the images must be "
              "learned under the augmentation, with the same draw on both sides.",
          hint="`plain = weight_gradients(net, theta, real_3s, 3)` is the target. `augment.siamese(real_3s, "
               "real_3s, gen)[0]` is the batch under one fresh draw; average `gradient_distance(..., plain)` "
               "over 20 draws, and compare with one other batch, `data.sample_per_class(3, 256, gen)`.",
          solution='''
prediction = "augmentation"
plain = weight_gradients(net, theta, real_3s, 3)
augmented = [gradient_distance(weight_gradients(net, theta, augment.siamese(real_3s, real_3s, gen)[0], 3), plain).item()
             for _ in range(20)]
answer = {"augmentation": sum(augmented) / len(augmented),
          "another batch": gradient_distance(weight_gradients(net, theta, data.sample_per_class(3, 256, gen), 3), plain).item()}
check("06.1", prediction, answer)
''')
def moves_the_target_further(answer) -> str:
    distances = numbers_of(answer, MOVES)
    if min(distances.values()) < 0:
        raise NotYet("D adds up 1 - cos per output row, so it is never negative: compute it with gradient_distance")
    return max(MOVES, key=distances.get)


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
