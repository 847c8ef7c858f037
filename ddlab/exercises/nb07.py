"""Notebook 07's exercises: the linear-kernel MMD is a distance of means, and DM's images match
what random networks see in general."""
from __future__ import annotations

from .answers import lists_of, numbers_of
from .core import NotYet, exercise

MMD = ("equal", "larger")
SETS = ("distilled", "random real")


@exercise("07.1", choices=MMD,
          why="With the linear kernel k(a, b) = a.b the three kernel means expand to exactly "
              "||mean(a) - mean(b)||^2: the MMD only sees the means. That is why DM is cheap — and also "
              "what it cannot see: the spread and shape of each class's cloud of embeddings.",
          hint="E k(a, a') is `(a @ a.T).mean()`; likewise for b, and for the cross term `(a @ b.T).mean()`.",
          solution='''
prediction = "equal"
answer = {"mmd": (a @ a.T).mean() + (b @ b.T).mean() - 2 * (a @ b.T).mean(),
          "mean distance": ((a.mean(0) - b.mean(0)) ** 2).sum()}
check("07.1", prediction, answer)
''')
def mmd_against_mean_distance(answer) -> str:
    found = numbers_of(answer, ("mmd", "mean distance"))
    mmd, means = found["mmd"], found["mean distance"]
    if abs(mmd - means) <= 1e-3 * max(abs(means), 1e-6):
        return "equal"
    if mmd > means:
        return "larger"
    raise NotYet("your MMD is below the distance of the means, which no kernel mean can give: "
                 "check the sign of the cross term (-2 E k(a, b))")


@exercise("07.2", choices=SETS,
          why="The distilled images were matched against a new random network every iteration, so "
              "they match the class means of random ConvNets in general — they win on networks they "
              "never met. One real image per class is one sample of each class, not its mean.",
          hint="Call `dm_outer_loss` (the algorithm box) under `torch.no_grad()` with `probe`, once "
               "per unseen seed, with a generator seeded by that seed for both sets, so both meet the "
               "same networks, real batches and augmentations.",
          solution='''
prediction = "distilled"
with torch.no_grad():
    answer = {name: [dm_outer_loss(images, 1, probe, data, torch.Generator().manual_seed(s), 128).item() for s in unseen]
              for name, images in (("distilled", reference.images), ("random real", random_real))}
check("07.2", prediction, answer)
''')
def lower_on_unseen_networks(answer) -> str:
    losses = lists_of(answer, SETS)
    wins = sum(d < r for d, r in zip(losses["distilled"], losses["random real"]))
    return "distilled" if 2 * wins > len(losses["distilled"]) else "random real"
