"""Notebook 00's exercises: how much distillation compresses MNIST, and what real digits are made of."""
from __future__ import annotations

import numbers

from .core import NotYet, exercise

MNIST_TRAIN_NUMBERS = 60_000 * 28 * 28     # what data.x_train holds: (60000, 1, 28, 28)
TEN_IMAGES_NUMBERS = 10 * 28 * 28          # ten 1 x 28 x 28 images


def a_number(answer, what: str) -> float:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        try:
            return float(answer.item())      # a one-element tensor is fine
        except (AttributeError, TypeError, ValueError, RuntimeError):
            raise NotYet(f"`answer` should be one number: {what}") from None
    return float(answer)


@exercise("00.2", choices=("hundreds", "thousands", "millions"),
          why="MNIST's training set holds 60,000 images of 784 pixels; ten images hold 7,840 numbers. "
              "Distillation keeps one number in 6,000 and asks it to teach almost as much as all of them.",
          hint="Every tensor has `.numel()`, the number of numbers it holds; ten images of 1 x 28 x 28 "
               "hold 10 * 28 * 28.",
          solution='''
prediction = "thousands"
answer = data.x_train.numel() / (10 * 28 * 28)
check("00.2", prediction, answer)
''')
def compression(answer) -> str:
    ratio = a_number(answer, "the numbers in data.x_train divided by the numbers in ten 28 x 28 images")
    if abs(ratio - MNIST_TRAIN_NUMBERS / TEN_IMAGES_NUMBERS) > 1:
        raise NotYet(f"{ratio:,.1f} is not the ratio asked for: count every number in data.x_train "
                     "(all 60,000 images) and divide by the numbers in ten 1 x 28 x 28 images")
    return "hundreds" if ratio < 1_000 else "thousands" if ratio < 1_000_000 else "millions"


@exercise("00.1", choices=("under half", "over half"),
          why="A handwritten digit is a few strokes on an empty field: most of its pixels are the "
              "background, the darkest value. Nothing asks a distilled image to look like that: every "
              "one of its pixels is a free parameter, learned for what it does to a network's weights.",
          hint="The background is the smallest value in `data.x_train`; compare every pixel with "
               "`data.x_train.min()` and take the mean of the result as floats.",
          solution='''
prediction = "over half"
answer = (data.x_train == data.x_train.min()).float().mean().item()
check("00.1", prediction, answer)
''')
def background_share(answer) -> str:
    share = a_number(answer, "the fraction of training pixels that are background (between 0 and 1)")
    if not 0 <= share <= 1:
        raise NotYet(f"{share} is not a fraction: the answer is a share of all pixels, between 0 and 1")
    return "over half" if share > 0.5 else "under half"
