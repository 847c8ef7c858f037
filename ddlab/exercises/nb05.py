"""Notebook 05's exercises: DC's distance compares directions, and what a length-blind distance buys.
Both take the gradients themselves and measure the distances in the check."""

from __future__ import annotations

import torch

from ..methods import gradient_distance
from .core import NotYet, exercise
from .provenance import gradients_like, keys_of

CANDIDATES = ("100x longer", "other 3s")
SOLVED_ANSWER = """answer = {"target": target, "100x longer": {k: 100 * g for k, g in target.items()},
          "other 3s": weight_gradients(net, theta, candidates["256 other real 3s"], 3)}"""


def candidates_of(answer) -> tuple[dict, dict[str, dict]]:
    """`target` and the two candidate gradients of the answer, checked: the 100x longer one is 100
    times `target`, the other 3s' one is a gradient of its own (neither `target` nor a multiple of it)."""
    keys_of(answer, ("target", *CANDIDATES))
    target = gradients_like(answer["target"], "answer['target']", answer["target"])
    found = {name: gradients_like(answer[name], f"answer[{name!r}]", target) for name in CANDIDATES}
    if not all(torch.allclose(found["100x longer"][k], 100 * g, rtol=1e-4, atol=0) for k, g in target.items()):
        raise NotYet("answer['100x longer'] should be `target` with every entry multiplied by 100")
    flat = lambda gradients: torch.cat([g.detach().flatten() for g in gradients.values()])  # noqa: E731
    if torch.nn.functional.cosine_similarity(flat(found["other 3s"]), flat(target), dim=0) > 1 - 1e-6:
        raise NotYet(
            "answer['other 3s'] points exactly along `target`: take the gradient of the other batch "
            "of 3s with weight_gradients"
        )
    return target, found


@exercise(
    "05.1",
    choices=CANDIDATES,
    why="D adds up 1 - cos per output row: a gradient 100 times longer points exactly the same "
    "way, so D calls it a perfect match (0), while another batch of real 3s points a little "
    "differently in every row. That is why one synthetic image can match 256 real ones: it "
    "only has to get the directions right, not the size of a 256-image gradient.",
    hint="Hand the check the gradients, dicts {layer: gradient}: `target`, every entry of `target` "
    "scaled with a dict comprehension, and the other 3s' gradient from "
    "`weight_gradients(net, theta, x, 3)` on `candidates[...]`; it measures D.",
    solution=f"""
prediction = "100x longer"
{SOLVED_ANSWER}
check("05.1", prediction, answer)
""",
    typed={"100x longer": 0.0, "other 3s": 1.0},
    wrong_setting='counterfeit = {**answer, "other 3s": target}',
)
def closer_under_d(answer) -> str:
    target, found = candidates_of(answer)
    distances = {name: gradient_distance(g, target).item() for name, g in found.items()}
    return min(CANDIDATES, key=distances.get)


@exercise(
    "05.2",
    choices=CANDIDATES,
    why="A squared Euclidean distance sees lengths: 100 G is 99 lengths of G away from G, far "
    "more than the small wobble between two batches of real 3s. Under it a single image "
    "would have to produce a gradient as large as 256 images' — so it would be pushed to "
    "extreme pixels rather than to the right shape. DC's per-row cosine avoids that.",
    hint="The same three gradients as in exercise 1; the check sums over the layers k of "
    "((a[k] - target[k]) ** 2).sum() for each candidate a.",
    solution=f"""
prediction = "other 3s"
{SOLVED_ANSWER}
check("05.2", prediction, answer)
""",
    typed={"100x longer": 1e6, "other 3s": 1.0},
    wrong_setting='counterfeit = {**answer, "100x longer": target}',
)
def closer_under_squared_distance(answer) -> str:
    target, found = candidates_of(answer)
    distances = {name: sum(((g[k] - t) ** 2).sum().item() for k, t in target.items()) for name, g in found.items()}
    return min(CANDIDATES, key=distances.get)
