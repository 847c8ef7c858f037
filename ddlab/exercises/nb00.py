"""Notebook 00's exercises: how much distillation compresses MNIST, and what real digits are made of.
Both checks take the tensors the number comes from and count themselves."""

from __future__ import annotations

import torch

from .core import NotYet, exercise
from .provenance import keys_of, mnist, tensor_like


@exercise(
    "00.2",
    choices=("hundreds", "thousands", "millions"),
    why="MNIST's training set holds 60,000 images of 784 pixels; ten images hold 7,840 numbers. "
    "Distillation keeps one number in 6,000 and asks it to teach almost as much as all of them.",
    hint="Every tensor has `.numel()`, the number of numbers it holds; ten images of 1 x 28 x 28 hold 10 * 28 * 28.",
    solution="""
prediction = "thousands"
answer = {"training set": data.x_train, "ten images": data.x_train[:10]}
check("00.2", prediction, answer)
""",
    typed={"training set": 47_040_000, "ten images": 7_840},
    wrong_setting='counterfeit = {"training set": data.x_test, "ten images": data.x_test[:10]}',
)
def compression(answer) -> str:
    keys_of(answer, ("training set", "ten images"))
    tensor_like(answer["ten images"], "answer['ten images']", (10, 1, 28, 28))
    train = tensor_like(answer["training set"], "answer['training set']")
    if train.shape != mnist().x_train.shape or not torch.equal(train.detach().cpu(), mnist().x_train):
        raise NotYet(
            f"answer['training set'] holds {len(train):,} images, not MNIST's training set: "
            "hand over data.x_train itself, all 60,000 images"
        )
    ratio = train.numel() / answer["ten images"].numel()
    return "hundreds" if ratio < 1_000 else "thousands" if ratio < 1_000_000 else "millions"


@exercise(
    "00.1",
    choices=("under half", "over half"),
    why="A handwritten digit is a few strokes on an empty field: most of its pixels are the "
    "background, the darkest value. Nothing asks a distilled image to look like that: every "
    "one of its pixels is a free parameter, learned for what it does to a network's weights.",
    hint="The background is the smallest value in `data.x_train`; compare every pixel with "
    "`data.x_train.min()`: the result, one True or False per pixel, is the answer, and the "
    "check takes its mean.",
    solution="""
prediction = "over half"
answer = data.x_train == data.x_train.min()
check("00.1", prediction, answer)
""",
    typed=0.81,
    wrong_setting="counterfeit = data.x_train > data.x_train.min()",
)
def background_share(answer) -> str:
    mask = tensor_like(answer, "`answer` (one True or False per pixel of data.x_train)", dtype=torch.bool)
    x = mnist().x_train
    if mask.shape != x.shape or not torch.equal(mask.cpu(), x == x.min()):
        raise NotYet("`answer` does not mark the background: True exactly where data.x_train equals its smallest value")
    return "over half" if mask.float().mean().item() > 0.5 else "under half"
