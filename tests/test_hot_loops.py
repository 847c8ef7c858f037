"""benchmarks/hot_loops.py: its FLOP and byte counts are the analytic ones, and its smallest
setting runs and prints a row per loop."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import torch

from ddlab.nets import make_net


@pytest.fixture(scope="module")
def hot_loops():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "hot_loops.py"
    spec = importlib.util.spec_from_file_location("hot_loops", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["hot_loops"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules["hot_loops"]


def test_a_convnet_forward_counts_the_multiply_adds_of_its_convs_and_linear_layer(hot_loops):
    net, n, width = make_net("convnet", width=8), 3, 8
    convs = 9 * 1 * width * 32 * 32 + 9 * width * width * (16 * 16 + 8 * 8)  # MNIST pads to 32x32
    linear = width * 4 * 4 * 10
    counted = hot_loops.count(lambda: net(torch.zeros(n, 1, 28, 28)))
    assert counted.flops == 2 * n * (convs + linear)
    assert counted.bytes > 0


def test_bytes_count_what_an_operator_reads_and_writes(hot_loops):
    a, b = torch.ones(1000), torch.ones(1000)
    with hot_loops.ByteCounter() as out_of_place:
        a + b  # reads two, writes one
    with hot_loops.ByteCounter() as in_place:
        a.relu_()  # reads and writes one
    with hot_loops.ByteCounter() as view:
        a.view(10, 100)  # moves nothing new but the one tensor
    assert (out_of_place.bytes, in_place.bytes, view.bytes) == (12000, 8000, 4000)


def test_the_smallest_setting_prints_the_limits_and_a_row_per_loop(hot_loops, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["hot_loops.py", "--quick", "--threads", "1", "--only", "dm", "predict lenet"])
    hot_loops.main()
    out = capsys.readouterr().out
    assert "1 thread(s): matmul 256x256" in out and "GB/s" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "loop" not in line]
    assert [row.split(" | ")[0] for row in rows] == ["| dm", "| predict lenet"]
    for row in rows:
        seconds, gflop = (float(cell) for cell in row.split(" | ")[1:3])
        assert seconds > 0 and gflop > 0


def test_the_old_against_new_benchmark_finds_the_same_dm_loss(monkeypatch, capsys):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "hot_loop_speedups.py"
    spec = importlib.util.spec_from_file_location("hot_loop_speedups", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["hot_loop_speedups.py", "dm", "--quick", "--threads", "1"])
    module.main()
    before, now = map(float, re.search(r"loss (\S+) before, (\S+) now", capsys.readouterr().out).groups())
    assert before == pytest.approx(now, rel=1e-5) and before > 0
