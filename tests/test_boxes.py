"""`ddlab.boxes.full_float32`: TF32 is off inside and as it was after (also after an error), and its
comparison passes float32 rounding but names a real difference in one line."""

from __future__ import annotations

import pytest
import torch

from ddlab.boxes import full_float32

SWITCHES = (torch.backends.cuda.matmul, torch.backends.cudnn)


@pytest.fixture
def flags():
    """The two TF32 flags, put back as they were after the test whatever it did."""
    before = [s.allow_tf32 for s in SWITCHES]
    yield
    for switch, value in zip(SWITCHES, before):
        if switch.allow_tf32 != value:
            switch.allow_tf32 = value


@pytest.mark.parametrize("matmul, cudnn", [(True, True), (False, True), (True, False), (False, False)])
def test_tf32_is_off_inside_and_restored_after(flags, matmul, cudnn):
    SWITCHES[0].allow_tf32, SWITCHES[1].allow_tf32 = matmul, cudnn
    with full_float32():
        assert not SWITCHES[0].allow_tf32 and not SWITCHES[1].allow_tf32
    assert (SWITCHES[0].allow_tf32, SWITCHES[1].allow_tf32) == (matmul, cudnn)


def test_restored_after_an_error_inside(flags):
    SWITCHES[0].allow_tf32 = SWITCHES[1].allow_tf32 = True
    with pytest.raises(RuntimeError, match="a cell that fails"), full_float32():
        raise RuntimeError("a cell that fails")
    assert SWITCHES[0].allow_tf32 and SWITCHES[1].allow_tf32


def test_float32_rounding_passes():
    x = torch.randn(64, 64, generator=torch.Generator().manual_seed(0))
    with full_float32() as assert_same:
        float32, float64 = (x @ x).sum(0), (x.double() @ x.double()).sum(0).float()
        assert not torch.equal(float32, float64)  # rounded differently...
        assert_same(float32, float64, "a sum rounded another way")  # ...but within float32 rounding
        assert_same(torch.tensor(2.0), torch.tensor(2.0), "a scalar")


def test_a_real_difference_is_named_in_one_line():
    package = torch.zeros(3, 4)
    box = package.clone()
    box[1, 2] = 1e-3
    with full_float32() as assert_same, pytest.raises(AssertionError) as error:
        assert_same(box, package, "the gradient w.r.t. S")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("the gradient w.r.t. S: the box differs from ddlab at 1 of 12 entries, most at (1, 2)")
    with full_float32() as assert_same, pytest.raises(AssertionError, match=r"shape \(3,\), ddlab \(3, 4\)"):
        assert_same(torch.zeros(3), package, "the loss")
    with full_float32() as assert_same, pytest.raises(AssertionError, match="at 1 of 1 entries"):
        assert_same(torch.tensor(float("nan")), torch.tensor(0.0), "the loss")
