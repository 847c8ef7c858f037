"""The algorithm boxes on the notebooks' pages, checked equal to ddlab in one way, on a CPU or a GPU.

A box and the package compute the same float32 sums in different orders, so they agree to float32
rounding: about 1e-7 relative on a CPU, and within rtol 1e-4, atol 1e-5 (the tolerance here) after
the long sums of a loss and its gradient. On an NVIDIA GPU, PyTorch runs convolutions (cuDNN's
default) and, where a user allowed it, matmuls in TF32, whose 10-bit mantissa rounds at about 1e-3
relative: the two sides can then differ by more than any float32 tolerance, and one loose enough to
pass would also pass a real mistake. So `full_float32` turns TF32 off while the box and the package
compute, keeps the tolerance, and restores the flags afterwards.

    with full_float32() as assert_same:
        box_loss, package_loss = ...          # both computed inside
        assert_same(box_loss, package_loss, "the loss")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

RTOL, ATOL = 1e-4, 1e-5  # float32 rounding summed in another order, with room for long sums


@contextmanager
def full_float32() -> Iterator[Callable[[torch.Tensor, torch.Tensor, str], None]]:
    """TF32 off for matmuls and cuDNN convolutions inside (restored on leaving, also after an error);
    yields `assert_same(box, package, what)`, the comparison at float32's tolerance."""
    switches = [torch.backends.cuda.matmul, torch.backends.cudnn]
    # Only flags that are on are touched: writing a flag also rewrites the newer fp32_precision
    # setting behind it, so writing back an unchanged flag would not leave things as they were.
    turned_off = [switch for switch in switches if switch.allow_tf32]
    for switch in turned_off:
        switch.allow_tf32 = False
    try:
        yield assert_same
    finally:
        for switch in turned_off:
            switch.allow_tf32 = True


def assert_same(box: torch.Tensor, package: torch.Tensor, what: str) -> None:
    """Raise AssertionError, in one line naming `what` and the worst entry, unless the page's `box`
    equals ddlab's `package` within |box - package| <= ATOL + RTOL * |package| everywhere."""
    box, package = (torch.as_tensor(t).detach().to("cpu", torch.float64) for t in (box, package))
    if box.shape != package.shape:
        raise AssertionError(f"{what}: the box gives shape {tuple(box.shape)}, ddlab {tuple(package.shape)}")
    excess = ((box - package).abs() - (ATOL + RTOL * package.abs())).nan_to_num(nan=float("inf"))
    if (excess > 0).any():
        worst = tuple(int(i) for i in torch.unravel_index(excess.argmax(), excess.shape))
        raise AssertionError(
            f"{what}: the box differs from ddlab at {int((excess > 0).sum())} of {excess.numel()} entries, "
            f"most at {worst}: box {box[worst].item():.7g}, ddlab {package[worst].item():.7g} "
            f"(allowed: |box - ddlab| <= {ATOL:g} + {RTOL:g} |ddlab|)"
        )
