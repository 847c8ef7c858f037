"""What Yang et al. found about distilled data, set against our numbers: as a substitute for real
data (Section 3, `substitution`), as a record of early training (Section 4, `early_dynamics`), and
image by image (Section 5, `pointwise`).

The paper reports these findings as curves and figures; what is quoted here is their direction,
and each `Finding` says whether our measurement points the same way. The rules that decide
"agree" are written next to each finding, so a reader can disagree with them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .agreement import Agreement
from .hessian import CurvatureCurve
from .mixing import Mixing
from .recognition import Recognition, RecognitionCurve
from .semantic import Semantics

MEET = 0.03          # the two mixing arms "meet" when their mean accuracies are within 3 points
RECOGNISED = 0.5     # "recognised": real-trained networks classify at least half the images right (chance 0.1)
RISEN = 0.9          # a recognition curve has "risen" at the first step reaching 90% of its final value
PURE = 0.5           # an image's helped test images are "its class" when at least half carry its label
FLAT = 0.5           # a curvature curve has "flattened" when its last value is below half its peak


@dataclass(frozen=True)
class Finding:
    what: str       # the measurement
    paper: str      # what the paper found
    ours: str       # our number
    agree: bool     # whether ours points the same way

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
        Finding("distilled + 2 real/class vs distilled alone", "lower (every method)",
                f"{100 * d[0]:.1f}% -> {100 * d[1]:.1f}%", bool(d[1] < d[0])),
        Finding(f"distilled vs real arm at k={mix.ks[-1]}", "they meet once real images dominate",
                f"gap {100 * (d[-1] - r[-1]):+.1f} points", bool(abs(d[-1] - r[-1]) < MEET)),
        Finding("advantage over real, other procedures", "shrinks outside the standard setting",
                f"shrinks in {shrunk} of {len(others)}", shrunk > len(others) / 2),
        Finding("real-trained networks on the set", "recognised, across architectures",
                f"{100 * recognition:.1f}% (chance 10%)", recognition >= RECOGNISED),
    ]


def early_dynamics(agreements: dict[str, Agreement], recognition: RecognitionCurve,
                   curvature: CurvatureCurve) -> list[Finding]:
    """One line per set and measurement: whom its networks agree with (`agreements`), when real
    training starts to recognise it (`recognition`, which has a "test" curve), and how the
    curvature of its loss evolves along real training (`curvature`, which has a "real" curve)."""
    findings = []
    for name, a in agreements.items():
        early, subset = 100 * a.early.mean().item(), 100 * a.subset.mean().item()
        findings.append(Finding(f"{name}: agrees with, at matched accuracy", "early-stopped > subset-trained",
                                f"early {early:.1f}% vs subset {subset:.1f}%", early > subset))
    test_step = _risen(recognition, "test")
    for name in recognition.accuracy:
        if name != "test":
            step = _risen(recognition, name)
            findings.append(Finding(f"{name}: recognised during real training", "early, before test accuracy",
                                    f"step {step} (real test images: {test_step})", step <= test_step))
    real_peak = _peak(curvature, "real")[0]
    for name in curvature.traces:
        if name != "real":
            step, peak = _peak(curvature, name)
            last = curvature.mean(name)[-1]
            findings.append(Finding(f"{name}: curvature of its loss in real training", "peaks early, then flattens",
                                    f"peak {peak:.0f} at step {step} (real: {real_peak}), end {last:.0f}",
                                    step <= real_peak and last < FLAT * peak))
    return findings


def pointwise(semantics: Semantics, k: int) -> list[Finding]:
    """Whether single distilled images carry meaning: the labels of the `k` test images each one
    helps most, and whether those look like the image's nearest real images (`ddlab.analysis.semantic`)."""
    purity, resemblance = semantics.purity.mean().item(), semantics.resemblance.mean().item()
    above = int((semantics.resemblance > 0).sum())
    return [
        Finding(f"test images an image helps most (top {k})", "mostly its own class",
                f"{100 * purity:.0f}% share its label (chance 10%)", purity >= PURE),
        Finding("they look like its nearest real images", "shared, nameable features",
                f"{resemblance:+.3f} cosine over class; {above} of {len(semantics.resemblance)} above",
                resemblance > 0 and above > len(semantics.resemblance) / 2),
    ]


def _peak(curve: CurvatureCurve, name: str) -> tuple[int, float]:
    """(the step, the value) of the largest mean Hessian trace of `name`'s loss."""
    values = curve.mean(name)
    i = max(range(len(values)), key=values.__getitem__)
    return curve.steps[i], values[i]


def _risen(curve: RecognitionCurve, name: str) -> int:
    """The first measured step at which the mean accuracy on `name` reaches RISEN x its final value."""
    values = curve.mean(name)
    return next(step for step, v in zip(curve.steps, values) if v >= RISEN * values[-1])
