"""What Yang et al. found about distilled data, set against our numbers: as a substitute for real
data (Section 3, `substitution`), as a record of early training (Section 4, `early_dynamics`), and
image by image (Section 5, `pointwise`).

The paper reports these findings as curves and figures; what is quoted here is their direction,
and each `Finding` says whether our measurement points the same way. The rules that decide
"agree" are written next to each finding, so a reader can disagree with them. Each finding also
carries the likely reason why ours would differ; `why_ours_differs` prints it only for the findings
the run measured as differing, so a notebook never explains a difference its run did not show.
"""

from __future__ import annotations

from dataclasses import dataclass

from .agreement import Agreement
from .hessian import CurvatureCurve
from .mixing import Mixing
from .recognition import Recognition, RecognitionCurve
from .semantic import Semantics

MEET = 0.03  # the two mixing arms "meet" when their mean accuracies are within 3 points
RECOGNISED = 0.5  # "recognised": real-trained networks classify at least half the images right (chance 0.1)
RISEN = 0.9  # a recognition curve has "risen" at the first step reaching 90% of its final value
PURE = 0.5  # an image's helped test images are "its class" when at least half carry its label
FLAT = 0.5  # a curvature curve has "flattened" when its last value is below half its peak


@dataclass(frozen=True)
class Finding:
    what: str  # the measurement
    paper: str  # what the paper found
    ours: str  # our number
    agree: bool  # whether ours points the same way
    reason: str  # why ours may point another way than the paper's: printed only where it does

    def __str__(self) -> str:
        return f"{self.what:<44} paper: {self.paper:<40} ours: {self.ours:<34} -> {'agree' if self.agree else 'differ'}"


def substitution(mix: Mixing, advantage: dict[str, float], recognised: Recognition, name: str) -> list[Finding]:
    """The findings for set `name`: its mixing curve `mix` (ks starting 0, 2), the advantage of
    distilled over real images (accuracy difference at k = 0) under the "standard" protocol and
    other ones, and the recognition results that include `name`."""
    if mix.ks[:2] != (0, 2):
        raise ValueError(f"the mixing curve must start at k = 0, 2 (the paper's), got ks={mix.ks}")
    if "standard" not in advantage or len(advantage) < 2:
        raise ValueError(f"advantage needs 'standard' and at least one other procedure, got {sorted(advantage)}")
    d, r = mix.distilled.mean(dim=1), mix.real.mean(dim=1)
    others = {k: v for k, v in advantage.items() if k != "standard"}
    shrunk = sum(v < advantage["standard"] for v in others.values())
    recognition = recognised.accuracy[:, recognised.names.index(name)].mean().item()
    return [
        Finding(
            "distilled + 2 real/class vs distilled alone",
            "lower (every method)",
            f"{100 * d[0]:.1f}% -> {100 * d[1]:.1f}%",
            bool(d[1] < d[0]),
            "With one distilled image per class, 2 real images triple the set; the paper's sets hold "
            "10 per class, where 2 real images are a small disturbance of a tuned whole. Our narrow "
            "ConvNet and short training also favour more data.",
        ),
        Finding(
            f"distilled vs real arm at k={mix.ks[-1]}",
            "they meet once real images dominate",
            f"gap {100 * (d[-1] - r[-1]):+.1f} points",
            bool(abs(d[-1] - r[-1]) < MEET),
            f"The paper goes to k = 250 real images per class; this profile stops at k = {mix.ks[-1]}, "
            "a budget cut, where the real images may not yet dominate the mixture.",
        ),
        Finding(
            "advantage over real, other procedures",
            "shrinks outside the standard setting",
            f"shrinks in {shrunk} of {len(others)}",
            shrunk > len(others) / 2,
            "A set distilled without training a network (DM matches features of random ConvNets) "
            "has no training procedure to be tied to; the paper's sets come mostly from methods that "
            "train (gradient and trajectory matching). And one real image per class is a weak rival "
            "on MNIST: a large lead at k = 0 is more than a changed procedure can take away.",
        ),
        Finding(
            "real-trained networks on the set",
            "recognised, across architectures",
            f"{100 * recognition:.1f}% (chance 10%)",
            recognition >= RECOGNISED,
            "Our real-trained networks are small and briefly trained, and distilled pixels overshoot "
            "the range real digits occupy (section 5): values those networks never saw.",
        ),
    ]


def early_dynamics(
    agreements: dict[str, Agreement], recognition: RecognitionCurve, curvature: CurvatureCurve
) -> list[Finding]:
    """One line per set and measurement: whom its networks agree with (`agreements`), when real
    training starts to recognise it (`recognition`, which has a "test" curve), and how the
    curvature of its loss evolves along real training (`curvature`, which has a "real" curve)."""
    findings = []
    for name, a in agreements.items():
        early, subset = 100 * a.early.mean().item(), 100 * a.subset.mean().item()
        findings.append(
            Finding(
                f"{name}: agrees with, at matched accuracy",
                "early-stopped > subset-trained",
                f"early {early:.1f}% vs subset {subset:.1f}%",
                early > subset,
                "Our distilled-data networks are narrow and briefly trained, so their accuracies "
                "sit low, where early checkpoints come thick and subset networks thin: the two "
                "matches differ in accuracy as well as in kind, and the floor a + b - 1 moves "
                "with it. And most MNIST test digits are easy: every pair of networks agrees on "
                "them, where the paper's CIFAR-10 networks make many and varied errors.",
            )
        )
    test_step = _risen(recognition, "test")
    for name in recognition.accuracy:
        if name != "test":
            step = _risen(recognition, name)
            findings.append(
                Finding(
                    f"{name}: recognised during real training",
                    "early, before test accuracy",
                    f"step {step} (real test images: {test_step})",
                    step <= test_step,
                    "A set of one image per class is recognised in jumps of 10 points, and the "
                    "curves are measured every few steps: two events within one measurement "
                    "interval cannot be ordered.",
                )
            )
    real_peak = _peak(curvature, "real")[0]
    for name in curvature.traces:
        if name != "real":
            step, peak = _peak(curvature, name)
            last = curvature.mean(name)[-1]
            findings.append(
                Finding(
                    f"{name}: curvature of its loss in real training",
                    "peaks early, then flattens",
                    f"peak {peak:.0f} at step {step} (real: {real_peak}), end {last:.0f}",
                    step <= real_peak and last < FLAT * peak,
                    "Hutchinson's estimate is noisy (about +-20% with 16 probes) and a distilled "
                    "set's loss is taken on its few images against 512 real ones; a short run of "
                    "real training may also stop before the curvature falls. DD's schedule was made "
                    "for random LeNets, the network watched here; the image sets for ConvNets.",
                )
            )
    return findings


def pointwise(semantics: Semantics, k: int) -> list[Finding]:
    """Whether single distilled images carry meaning: the labels of the `k` test images each one
    helps most, and whether those look like the image's nearest real images (`ddlab.analysis.semantic`)."""
    purity, resemblance = semantics.purity.mean().item(), semantics.resemblance.mean().item()
    above = int((semantics.resemblance > 0).sum())
    return [
        Finding(
            f"test images an image helps most (top {k})",
            "mostly its own class",
            f"{100 * purity:.0f}% share its label (chance 10%)",
            purity >= PURE,
            "An image that is a step of a training schedule (DD) teaches according to the network's "
            "state when its step comes round and its learned step size, and leaving it out changes "
            "the rest of the trajectory: its influence spreads over every class. The paper's sets "
            "come from methods that match features or gradients of each image's own class.",
        ),
        Finding(
            "they look like its nearest real images",
            "shared, nameable features",
            f"{resemblance:+.3f} cosine over class; {above} of {len(semantics.resemblance)} above",
            resemblance > 0 and above > len(semantics.resemblance) / 2,
            "Our measure compares raw pixels (cosine) of 16 test digits with the image's nearest real "
            "digits, and MNIST digits of one class differ mostly by slant and stroke width, which it "
            "barely separates; the paper read its CIFAR-10 images by eye. And one image per class "
            "must serve every digit of its class, so it helps the typical ones: little is left to name.",
        ),
    ]


def why_ours_differs(findings: list[Finding]) -> str:
    """The reason for every finding that points another way than the paper's, each reason once (with
    the findings it explains), or a line saying there is nothing to explain."""
    reasons: dict[str, list[str]] = {}
    for finding in findings:
        if not finding.agree:
            reasons.setdefault(finding.reason, []).append(finding.what)
    if not reasons:
        return "Every finding points the paper's way: nothing to explain."
    return "\n\n".join(f"{'; '.join(whats)} — differs. {reason}" for reason, whats in reasons.items())


def _peak(curve: CurvatureCurve, name: str) -> tuple[int, float]:
    """(the step, the value) of the largest mean Hessian trace of `name`'s loss."""
    values = curve.mean(name)
    i = max(range(len(values)), key=values.__getitem__)
    return curve.steps[i], values[i]


def _risen(curve: RecognitionCurve, name: str) -> int:
    """The first measured step at which the mean accuracy on `name` reaches RISEN x its final value."""
    values = curve.mean(name)
    return next(step for step, v in zip(curve.steps, values) if v >= RISEN * values[-1])
