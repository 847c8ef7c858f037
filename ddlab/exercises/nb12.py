"""Notebook 12's exercises: does every distilled image help, and whom does each one hurt."""
from __future__ import annotations

import torch

from .answers import vector_of
from .core import NotYet, exercise


def _why_every_image(outcome: str) -> str:
    return {
        "every image helps": "Each image was optimised together with the others to lower the loss of "
                             "networks trained on the whole set, so leaving any one out makes the average "
                             "test image worse: its mean loss change is positive.",
        "some image hurts": "Some image's absence lowers the mean test loss: the optimisation has not made "
                            "use of it (a short run, or an image that fits the distillation's networks but "
                            "not this training), and the other images do better without it.",
    }[outcome]


@exercise("12.1", choices=("every image helps", "some image hurts"), why=_why_every_image,
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
          why="With the image in the set, a network pushes its class up wherever the image's features "
              "appear. The test images that this hurts are digits of *other* classes that share those "
              "features: a 3 that looks a little like an 8 is read as an 8 more often when the distilled "
              "8 is there. What an image teaches is its class, and its mistakes are its class's "
              "look-alikes, which is what makes naming its strokes worth trying.",
          hint="For image i, `influence.hurt(i, 16)` indexes the test images it hurts most; compare "
               "their labels (`data.y_test[...]`) with `influence.labels[i]` and take the mean.",
          solution='''
prediction = "mostly other classes"
answer = torch.stack([(data.y_test[influence.hurt(i, 16)].cpu() == influence.labels[i].cpu()).float().mean()
                      for i in range(len(influence.labels))])
check("12.2", prediction, answer)
''')
def own_class_among_hurt(answer) -> str:
    purity = vector_of(answer, "one entry per distilled image: the share of the 16 test images it hurts "
                               "most that carry its label")
    if purity.min() < 0 or purity.max() > 1:
        raise NotYet("each entry is a share of test images, in [0, 1]")
    if not torch.allclose(purity * 16, (purity * 16).round(), atol=1e-4):
        raise NotYet("each entry should be a share of the 16 test images the image hurts most (k=16)")
    return "mostly its own class" if purity.mean().item() >= 0.5 else "mostly other classes"
