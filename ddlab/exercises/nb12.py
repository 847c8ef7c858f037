"""Notebook 12's exercises: does every distilled image help, and whom does each one help."""
from __future__ import annotations

import torch

from .answers import vector_of
from .core import NotYet, exercise


@exercise("12.1", choices=("every image helps", "some image hurts"),
          why="Each image was optimised together with the others to lower the loss of networks trained "
              "on the whole set, so leaving any one out makes the average test image worse: its mean "
              "loss change is positive. An image that hurt on average would be one the optimisation "
              "had failed to use.",
          hint="`influence.loss_change` is (distilled images, test images); average over the test "
               "images (dim=1) to get one number per image.",
          solution='''
prediction = "every image helps"
answer = influence.loss_change.mean(dim=1)
check("12.1", prediction, answer)
''')
def every_image_helps(answer) -> str:
    changes = vector_of(answer, "one entry per distilled image: the mean test-loss change when it is left out")
    return "every image helps" if bool((changes > 0).all()) else "some image hurts"


@exercise("12.2", choices=("mostly its own class", "mostly other classes"),
          why="An image's label is in the loss it was distilled with, so the test images it helps most "
              "are mostly digits of its class (chance: 10%): what a single image teaches is nameable, at "
              "least as far as its class, which is what makes naming its strokes worth trying.",
          hint="For image i, `influence.helped(i, 16)` indexes the test images it helps most; compare "
               "their labels (`data.y_test[...]`) with `influence.labels[i]` and take the mean.",
          solution='''
prediction = "mostly its own class"
answer = torch.stack([(data.y_test[influence.helped(i, 16)].cpu() == influence.labels[i]).float().mean()
                      for i in range(len(influence.labels))])
check("12.2", prediction, answer)
''')
def own_class(answer) -> str:
    purity = vector_of(answer, "one entry per distilled image: the share of its 16 most-helped test images"
                                " that carry its label")
    if purity.min() < 0 or purity.max() > 1:
        raise NotYet("each entry is a share of test images, in [0, 1]")
    if not torch.allclose(purity * 16, (purity * 16).round(), atol=1e-4):
        raise NotYet("each entry should be a share of the 16 test images the image helps most (k=16)")
    return "mostly its own class" if purity.mean().item() >= 0.5 else "mostly other classes"
