"""`TransferMatrix.own_vs_others`: the takeaway of notebook 02 (does distilled data transfer?)
read from a matrix, checked on matrices whose answer is known by hand."""

import pytest
import torch

from ddlab.experiments.transfer import TransferMatrix

COLUMNS = ("fixed", "random", "fixed_pretrained")


def test_own_setting_against_the_mean_of_the_others():
    mean = torch.tensor(
        [
            [0.90, 0.10, 0.20],  # distilled under fixed: own 0.90, others (0.10 + 0.20) / 2
            [0.50, 0.40, 0.30],
        ]
    )  # distilled under random: own 0.40, others (0.50 + 0.30) / 2
    matrix = TransferMatrix(("fixed", "random"), COLUMNS, mean, torch.zeros_like(mean))
    summary = matrix.own_vs_others()
    assert list(summary) == ["fixed", "random"]
    assert summary["fixed"] == pytest.approx((0.90, 0.15))
    assert summary["random"] == pytest.approx((0.40, 0.40))


def test_a_row_without_its_own_column_or_a_single_column_is_refused():
    mean = torch.full((1, 2), 0.5)
    with pytest.raises(ValueError, match=r"row 'fixed_pretrained' is not a column \(fixed, random\), so it has no own"):
        TransferMatrix(("fixed_pretrained",), ("fixed", "random"), mean, mean).own_vs_others()
    with pytest.raises(ValueError, match=r"needs at least two columns to compare, got \['fixed'\]"):
        TransferMatrix(("fixed",), ("fixed",), mean[:, :1], mean[:, :1]).own_vs_others()
