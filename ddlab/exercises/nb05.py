"""Notebook 05's exercises: DC's distance compares directions, and what a length-blind distance buys."""
from __future__ import annotations

from .answers import numbers_of
from .core import exercise

CANDIDATES = ("100x longer", "other 3s")


@exercise("05.1", choices=CANDIDATES,
          why="D adds up 1 - cos per output row: a gradient 100 times longer points exactly the same "
              "way, so D calls it a perfect match (0), while another batch of real 3s points a little "
              "differently in every row. That is why one synthetic image can match 256 real ones: it "
              "only has to get the directions right, not the size of a 256-image gradient.",
          hint="`gradient_distance(g_syn, g_real)` takes two dicts {layer: gradient}; scale every entry "
               "of `target` with a dict comprehension, and take the other 3s' gradient with "
               "`weight_gradients(net, theta, x, 3)` on `candidates[...]`.",
          solution='''
prediction = "100x longer"
answer = {"100x longer": gradient_distance({k: 100 * g for k, g in target.items()}, target),
          "other 3s": gradient_distance(weight_gradients(net, theta, candidates["256 other real 3s"], 3), target)}
check("05.1", prediction, answer)
''')
def closer_under_d(answer) -> str:
    distances = numbers_of(answer, CANDIDATES)
    return min(CANDIDATES, key=distances.get)


@exercise("05.2", choices=CANDIDATES,
          why="A squared Euclidean distance sees lengths: 100 G is 99 lengths of G away from G, far "
              "more than the small wobble between two batches of real 3s. Under it a single image "
              "would have to produce a gradient as large as 256 images' — so it would be pushed to "
              "extreme pixels rather than to the right shape. DC's per-row cosine avoids that.",
          hint="Sum over the layers k of ((a[k] - target[k]) ** 2).sum(), once with a = the 100-times "
               "scaled target and once with a = the other 3s' gradient from `weight_gradients`.",
          solution='''
prediction = "other 3s"
other_3s = weight_gradients(net, theta, candidates["256 other real 3s"], 3)
answer = {"100x longer": sum(((100 * g - target[k]) ** 2).sum() for k, g in target.items()),
          "other 3s": sum(((other_3s[k] - g) ** 2).sum() for k, g in target.items())}
check("05.2", prediction, answer)
''')
def closer_under_squared_distance(answer) -> str:
    distances = numbers_of(answer, CANDIDATES)
    return min(CANDIDATES, key=distances.get)
