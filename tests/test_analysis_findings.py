"""The paper-vs-ours lines: each rule decides agree/differ from the numbers it is given."""

import pytest
import torch

from ddlab.analysis.agreement import Agreement
from ddlab.analysis.findings import early_dynamics, substitution
from ddlab.analysis.hessian import CurvatureCurve
from ddlab.analysis.mixing import Mixing
from ddlab.analysis.recognition import Recognition, RecognitionCurve


def _inputs(dip=True):
    distilled = torch.tensor([[0.80], [0.70 if dip else 0.85], [0.95]])
    mix = Mixing((0, 2, 50), 1, distilled, torch.tensor([[0.5], [0.6], [0.94]]))
    recognised = Recognition(
        ("mlp", "lenet"), ("dm", "dd"), torch.tensor([[[0.9], [0.2]], [[0.7], [0.1]]]), torch.full((2, 1), 0.95)
    )
    return mix, recognised


def test_the_paper_pattern_agrees_everywhere():
    mix, recognised = _inputs()
    findings = substitution(mix, {"standard": 0.3, "longer": 0.1, "sgd": 0.2, "mlp": 0.4}, recognised, "dm")
    assert [f.agree for f in findings] == [True, True, True, True]
    assert "80.0% -> 70.0%" in str(findings[0]) and "shrinks in 2 of 3" in str(findings[2])
    assert "80.0% (chance 10%)" in str(findings[3])


def test_the_opposite_pattern_differs():
    mix, recognised = _inputs(dip=False)
    findings = substitution(mix, {"standard": 0.1, "longer": 0.2}, recognised, "dd")
    assert [f.agree for f in findings] == [False, True, False, False]
    assert str(findings[0]).endswith("-> differ") and "15.0% (chance 10%)" in str(findings[3])


def test_substitution_checks_its_inputs():
    mix, recognised = _inputs()
    with pytest.raises(ValueError, match=r"must start at k = 0, 2 \(the paper's\), got ks=\(0, 10\)"):
        substitution(Mixing((0, 10), 1, mix.distilled[:2], mix.real[:2]), {"standard": 0, "x": 0}, recognised, "dm")
    with pytest.raises(ValueError, match=r"needs 'standard' and at least one other procedure, got \['standard'\]"):
        substitution(mix, {"standard": 0.1}, recognised, "dm")


def test_early_dynamics_follows_each_set_through_its_three_measurements():
    agreements = {
        "dm": Agreement(*torch.tensor([[0.8, 0.8], [0.70, 0.72], [0.85, 0.83], [0.8, 0.8], [0.8, 0.8]])),
        "dd": Agreement(*torch.tensor([[0.5, 0.5], [0.60, 0.60], [0.55, 0.55], [0.5, 0.5], [0.5, 0.5]])),
    }
    recognition = RecognitionCurve(
        [0, 10, 20, 30],
        {
            "dm": torch.tensor([[0.1], [0.95], [0.97], [1.0]]),
            "dd": torch.tensor([[0.1], [0.1], [0.2], [1.0]]),
            "test": torch.tensor([[0.1], [0.5], [0.8], [0.9]]),
        },
    )
    curvature = CurvatureCurve(
        [0, 10, 20, 30],
        {
            "real": torch.tensor([[1.0], [9.0], [4.0], [3.0]]),
            "dm": torch.tensor([[2.0], [8.0], [3.0], [1.0]]),
            "dd": torch.tensor([[1.0], [2.0], [5.0], [7.0]]),
        },
    )
    findings = early_dynamics(agreements, recognition, curvature)
    assert [f.agree for f in findings] == [True, False, True, True, True, False]
    assert "early 84.0% vs subset 71.0%" in str(findings[0])
    assert "step 10 (real test images: 30)" in str(findings[2]) and "step 30 (real test images: 30)" in str(findings[3])
    assert "peak 8 at step 10 (real: 10), end 1" in str(findings[4]) and "peak 7 at step 30" in str(findings[5])


def test_pointwise_agrees_when_helped_images_share_label_and_look():
    from ddlab.analysis.findings import pointwise
    from ddlab.analysis.semantic import Semantics

    pure = Semantics(
        torch.zeros(4, 5),
        torch.zeros(4, 8),
        torch.tensor([0.9, 0.6, 0.5, 0.8]),
        torch.tensor([0.05, 0.02, -0.01, 0.03]),
    )
    assert [f.agree for f in pointwise(pure, 8)] == [True, True]
    assert "70% share its label" in str(pointwise(pure, 8)[0]) and "3 of 4 above" in str(pointwise(pure, 8)[1])
    mixed = Semantics(torch.zeros(2, 5), torch.zeros(2, 8), torch.tensor([0.2, 0.3]), torch.tensor([0.05, -0.06]))
    assert [f.agree for f in pointwise(mixed, 8)] == [False, False]
