"""Notebook 14's exercises: which stored pixels one decoded image reaches (IDC's multi-formation), whether
TESLA's gradient is the unroll's, and whether it comes closer to it when the student takes smaller
steps. The first check recomputes the gradient from the stored images; the other two take the
`TrajectoryMatching` students and compute their image gradients themselves, on the same draws."""

from __future__ import annotations

import dataclasses

import torch

from ..methods import TrajectoryMatching, decode
from .core import NotYet, exercise
from .provenance import keys_of, recomputed, tensor_like

REACH = ("one quarter", "the whole image")
SAME = ("the same", "different")
STEP = ("closer", "as far", "further")
MODES = ("unroll", "tesla")
DIFFERENT = 1e-3  # relative difference of two image gradients above float32 rounding (about 1e-6) by far


def first_tile_gradient(stored: torch.Tensor) -> torch.Tensor:
    """d/d(stored) of the sum of the pixels of the first image that multi-formation (factor 2) decodes."""
    stored = stored.detach().clone().requires_grad_()
    decoded, _ = decode(stored, torch.zeros(len(stored), dtype=torch.long), 2)
    (gradient,) = torch.autograd.grad(decoded[0].sum(), stored)
    return gradient


@exercise(
    "14.1",
    choices=REACH,
    why="f cuts the stored image into its four tiles *before* upsampling each one, so the first decoded "
    "image is made of the top-left 14x14 tile alone: its gradient reaches that quarter and no other "
    "pixel. Each quarter of a stored image is learned by its own training image, four independent "
    "digits in the bytes of one.",
    hint="Make the stored images a leaf (`S = method.images.detach().clone().requires_grad_()`), decode "
    "them with `decode(S, method.labels, 2)`, back-propagate the sum of the first decoded image "
    "(`decoded[0].sum().backward()`) and hand the check S and S.grad.",
    solution="""
prediction = "one quarter"
S = method.images.detach().clone().requires_grad_()
decoded, _ = decode(S, method.labels, 2)
decoded[0].sum().backward()
answer = {"stored": S, "gradient": S.grad}
check("14.1", prediction, answer)
""",
    typed={"stored": [[0.0, 1.0]], "gradient": [[1.0, 0.0]]},
    wrong_setting='counterfeit = {**answer, "gradient": torch.ones_like(answer["gradient"])}',
)
def reach_of_one_tile(answer) -> str:
    keys_of(answer, ("stored", "gradient"))
    stored = tensor_like(answer["stored"], "answer['stored'] (the stored images)")
    if stored.dim() != 4 or stored.shape[-1] != stored.shape[-2] or stored.shape[-1] % 2:
        raise NotYet("answer['stored'] should be stored images, (N, C, H, W) with an even side, like method.images")
    expected = first_tile_gradient(stored)
    gradient = recomputed(
        answer["gradient"],
        expected,
        "answer['gradient']",
        "the gradient of decoded[0].sum() with respect to the stored images (decode with factor 2)",
    )
    reached = gradient[0].detach().abs().sum(0) > 0  # (H, W): stored pixels of image 0 the gradient reaches
    half = stored.shape[-1] // 2
    outside = reached.clone()
    outside[:half, :half] = False
    return "the whole image" if outside.any() else "one quarter"


def _students(answer) -> dict[str, TrajectoryMatching]:
    """{"unroll": plain MTT, "tesla": constant-memory MTT}, their configs otherwise the same; else NotYet."""
    keys_of(answer, MODES)
    for mode, constant in (("unroll", False), ("tesla", True)):
        student = answer[mode]
        if not isinstance(student, TrajectoryMatching):
            raise NotYet(f"answer[{mode!r}] should be a TrajectoryMatching student, got {type(student).__name__}")
        if student.config.constant_memory is not constant:
            raise NotYet(
                f"answer[{mode!r}] was built with constant_memory={student.config.constant_memory}; "
                f"it should be {constant}"
            )
    unroll, tesla = answer["unroll"], answer["tesla"]
    if dataclasses.replace(tesla.config, constant_memory=False) != unroll.config:
        raise NotYet(
            "answer['unroll'] and answer['tesla'] should differ only in constant_memory: build both from mtt_config"
        )
    return answer


def image_gradients(unroll: TrajectoryMatching, tesla: TrajectoryMatching) -> dict[str, torch.Tensor]:
    """Each student's gradient w.r.t. the same images (the unroll's), on the same draws of expert, start
    epoch and minibatches (seed 1): the unroll's and TESLA's."""
    found = {}
    for mode, student in (("unroll", unroll), ("tesla", tesla)):
        probe = TrajectoryMatching(student.config, student.data, torch.Generator().manual_seed(1), student.experts)
        with torch.no_grad():
            probe.images.copy_(unroll.images)
            probe.log_lr.copy_(unroll.log_lr)
        probe.outer_loss().backward()
        found[mode] = probe.images.grad.detach().clone()
    return found


def _why_same(outcome: str) -> str:
    return {
        "different": "TESLA writes the student's end point as theta^_0 - alpha sum_n g_n and differentiates "
        "each g_n through its own minibatch only, each step's weights theta^_n held fixed. But an "
        "image also moves the later weights theta^_m (m > n), and through them the later gradients g_m: "
        "terms with a Hessian of the loss, which TESLA drops. So for N > 1 its gradient is not the "
        "unroll's (the paper's abstract says it computes the unrolled gradient exactly); it equals it "
        "for N = 1 (tests/test_tesla.py). Section 5 prints how far apart they are at the course's settings, "
        "and why the sets it makes are as good here.",
        "the same": "With a single student step no later weights depend on the images, so nothing is "
        "dropped: TESLA's gradient is the unroll's. Beyond one step it drops the terms through which an "
        "image moves the later steps (Hessian terms), and the two differ.",
    }[outcome]


@exercise(
    "14.2",
    choices=SAME,
    why=_why_same,
    hint="Build two students from `mtt_config` that differ only in `constant_memory` (False: the unroll, "
    "True: TESLA), e.g. with `dataclasses.replace(mtt_config, constant_memory=...)`, each "
    "`TrajectoryMatching(..., data, torch.Generator().manual_seed(0), trajectories)`: the check computes "
    "both image gradients on the same draws and compares them.",
    solution="""
import dataclasses

prediction = "different"
answer = {mode: TrajectoryMatching(dataclasses.replace(mtt_config, constant_memory=constant), data,
                                   torch.Generator().manual_seed(0), trajectories)
          for mode, constant in (("unroll", False), ("tesla", True))}
check("14.2", prediction, answer)
""",
    typed={"unroll": [0.12, -0.03], "tesla": [0.11, -0.02]},
    wrong_setting='counterfeit = {"unroll": answer["tesla"], "tesla": answer["tesla"]}',
)
def tesla_against_the_unroll(answer) -> str:
    students = _students(answer)
    if students["unroll"].config.syn_steps < 2:
        raise NotYet("take several student steps, as the recipe does (mtt_config.syn_steps)")
    found = image_gradients(students["unroll"], students["tesla"])
    relative = ((found["tesla"] - found["unroll"]).norm() / found["unroll"].norm()).item()
    return "different" if relative > DIFFERENT else "the same"


def _why_step(outcome: str) -> str:
    return {
        "closer": "What TESLA drops are the paths by which an image moves the later weights theta^_m "
        "(m > n): each carries one more factor alpha (times a Hessian of the loss) than the terms it keeps. "
        "Much smaller steps make those terms much smaller relative to the rest, so the two gradients "
        "come closer, and at alpha -> 0 they agree. At MTT's step sizes the gap is real; "
        "tests/test_tesla.py checks this shrinking in float64.",
        "as far": "The gap should shrink with alpha: each dropped term carries one more factor alpha (times a "
        "Hessian of the loss) than the kept ones. Check that the second students take steps a hundred times "
        "smaller (inner_lr) than the first.",
        "further": "The gap should shrink with alpha: each dropped term carries one more factor alpha (times a "
        "Hessian of the loss) than the kept ones. Check that the second students take the smaller steps.",
    }[outcome]


@exercise(
    "14.3",
    choices=STEP,
    why=_why_step,
    hint="Four students from `mtt_config`: `constant_memory` False and True, each at alpha = "
    "mtt_config.inner_lr and at a hundredth of it (`dataclasses.replace(mtt_config, constant_memory=..., "
    'inner_lr=...)`). Hand them as {"unroll": [at alpha, at alpha / 100], "tesla": [at alpha, at alpha / 100]}: '
    "the check compares each pair's image gradients on the same draws.",
    solution="""
import dataclasses

prediction = "closer"
alphas = (mtt_config.inner_lr, mtt_config.inner_lr / 100)
answer = {mode: [TrajectoryMatching(dataclasses.replace(mtt_config, constant_memory=constant, inner_lr=a), data,
                                    torch.Generator().manual_seed(0), trajectories) for a in alphas]
          for mode, constant in (("unroll", False), ("tesla", True))}
check("14.3", prediction, answer)
""",
    typed={"unroll": [0.4, 0.04], "tesla": [0.4, 0.04]},
    wrong_setting='counterfeit = {"unroll": answer["unroll"][::-1], "tesla": answer["tesla"]}',
)
def gap_at_smaller_steps(answer) -> str:
    keys_of(answer, MODES)
    for mode in MODES:
        pair = answer[mode]
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise NotYet(f"answer[{mode!r}] should be a pair of students: [at alpha, at alpha / 100]")
    large = _students({mode: answer[mode][0] for mode in MODES})
    small = _students({mode: answer[mode][1] for mode in MODES})
    alpha, smaller = large["unroll"].config.inner_lr, small["unroll"].config.inner_lr
    if smaller > alpha / 20:
        raise NotYet(
            f"the second students step with alpha = {smaller:.3g}, the first with {alpha:.3g}: take a hundredth"
        )
    if dataclasses.replace(small["unroll"].config, inner_lr=alpha) != large["unroll"].config:
        raise NotYet("each pair's two students should differ only in inner_lr: build all four from mtt_config")
    if large["unroll"].config.syn_steps < 2:
        raise NotYet("take several student steps, as the recipe does (mtt_config.syn_steps)")
    gap = {}
    for name, students in (("large", large), ("small", small)):
        found = image_gradients(students["unroll"], students["tesla"])
        gap[name] = ((found["tesla"] - found["unroll"]).norm() / found["unroll"].norm()).item()
    if gap["small"] < gap["large"] / 2:
        return "closer"
    return "further" if gap["small"] > 2 * gap["large"] else "as far"
