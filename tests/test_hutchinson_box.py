"""Notebook 11's algorithm box: Hutchinson's trace estimator as written on the page (the cell marked
``# algorithm box: Hutchinson``) equals `ddlab.analysis.hessian.hessian_trace` on the same probes,
within float32 rounding (`ddlab.boxes`, as the notebook compares them), and stays within the 20 lines
the course allows."""

from __future__ import annotations

from pathlib import Path

import nbformat
import torch

from ddlab.analysis.hessian import hessian_trace
from ddlab.boxes import full_float32
from ddlab.nets import make_net, sample_inits

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "11_early_dynamics.ipynb"
MARKER = "# algorithm box: Hutchinson"


def box_source() -> str:
    cells = [
        c.source
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        if c.cell_type == "code" and c.source.lstrip().startswith(MARKER)
    ]
    assert len(cells) == 1, f"expected one cell starting with {MARKER!r}, found {len(cells)}"
    return cells[0]


def test_the_box_is_short():
    code_lines = [line for line in box_source().splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(code_lines) <= 20, len(code_lines)


def test_the_box_equals_the_package_on_the_same_probes(mnist):
    namespace = {"torch": torch}
    exec(compile(box_source(), str(NOTEBOOK), "exec"), namespace)
    for arch, n in (("lenet", 64), ("mlp", 32)):
        net = make_net(arch, *mnist.net_args, width=8)
        theta = {
            k: p[0] for k, p in sample_inits(net, 1, "default", torch.Generator().manual_seed(3), mnist.device).items()
        }
        x, y = mnist.x_train[:n], mnist.y_train[:n]
        with full_float32() as assert_same:
            ours = namespace["hutchinson_trace"](net, theta, x, y, 6, torch.Generator().manual_seed(5))
            package = hessian_trace(
                net, {k: p[None] for k, p in theta.items()}, x, y, 6, torch.Generator().manual_seed(5)
            )[0]
            assert_same(ours, package, f"the trace estimate of a {arch}")
