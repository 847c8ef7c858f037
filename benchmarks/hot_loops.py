"""A roofline for the hot loops: how fast each loop the course spends its time in runs, against
what this machine can do at all.

    python benchmarks/hot_loops.py                 # 1 and 2 threads, the papers' widths: minutes
    python benchmarks/hot_loops.py --quick         # a smoke run: tiny sizes, seconds

The machine's practical limits, measured first at each thread count (the fastest of five runs):
multiply-add throughput (a large float32 matmul, GFLOP/s) and memory bandwidth (a large copy, GB/s:
bytes read + written).
Then each loop's median time over a few repeats, its GFLOP/s (the FLOPs of its convolutions and
matrix products, counted by `torch.utils.flop_counter.FlopCounterMode` on one extra run, once) and its
GB/s (the bytes every operator reads and writes, counted the same way: the traffic it would cause
if nothing stayed in a cache, so an upper bound of what reaches memory), each as a fraction of the
limit. A loop far below both limits loses its time elsewhere (small operators, Python, waiting).

Loops (ipc 10, MNIST, width 128 where the paper uses it):
  dc, dsa   one image update of gradient matching on a fresh network (loss + backward), 64 real
            images per class (the paper: 256; a quarter keeps the default run to minutes)
  dm        one DM iteration (loss + backward), 256 real images per class, DSA
  mtt       one MTT iteration: 50 student steps unrolled and differentiated (ipc 1, batch 10);
            the expert weights are random stand-ins (the loop's cost does not depend on them)
  train     `train_many` (CPU path) for the evaluation networks: 2 networks, 100 images, 1 epoch
            of batch 256 (capped at 100)
  predict   `predict_many`: 2 networks on 2,000 test images
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import platform
import statistics
import time
from collections.abc import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from ddlab.data import load
from ddlab.functional import Schedule, predict_many, train_many
from ddlab.methods import DC, DM, DSA, MTT, method_for
from ddlab.methods.mtt import TrajectoryMatching, expert_spec
from ddlab.nets import make_net, sample_inits
from ddlab.sources.experts import Trajectories

EVALUATION_NETS = (("convnet", 16), ("convnet", 32), ("convnet", 128), ("lenet", 0))


class ByteCounter(TorchDispatchMode):
    """Sums the bytes each operator reads and writes: every tensor it takes or returns once (a
    returned view or alias of an argument is the argument), and an argument it overwrites twice."""

    def __init__(self):
        super().__init__()
        self.bytes = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        written = {
            id(a)
            for a, spec in zip(args, func._schema.arguments)
            if spec.alias_info is not None and spec.alias_info.is_write
        }
        seen = set()
        for t in tree_leaves((args, kwargs, out)):
            if isinstance(t, torch.Tensor) and (t.data_ptr(), t.nbytes) not in seen:
                seen.add((t.data_ptr(), t.nbytes))
                self.bytes += t.nbytes * (2 if id(t) in written else 1)
        return out


@dataclasses.dataclass
class Counted:
    flops: int  # floating-point operations of one run (a multiply-add counts 2)
    bytes: int  # bytes read and written by its operators, one run


def seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of `run` over `repeats` runs after one warm-up."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def count(run: Callable[[], object]) -> Counted:
    """The FLOPs and bytes of one run of `run` (the same at every thread count: counted once)."""
    with FlopCounterMode(display=False) as flops, ByteCounter() as traffic:
        run()
    return Counted(flops.get_total_flops(), traffic.bytes)


def limits(side: int, copy_mb: int, repeats: int) -> tuple[float, float]:
    """(GFLOP/s of a side x side float32 matmul, GB/s of copying copy_mb MB): the fastest of
    `repeats` runs, since a limit is what the machine can do when nothing else gets in the way."""
    a, b = torch.randn(side, side), torch.randn(side, side)
    source = torch.empty(copy_mb << 18)  # floats: copy_mb MB
    target = torch.empty_like(source)
    matmul = min(seconds(lambda: a @ b, 1) for _ in range(repeats))
    copy = min(seconds(lambda: target.copy_(source), 1) for _ in range(repeats))
    return 2 * side**3 / matmul / 1e9, 2 * source.nbytes / copy / 1e9


def matching_loops(data, width: int, real_batch: int, ipc: int) -> dict[str, Callable[[], object]]:
    """One outer iteration (loss + backward) of DC, DSA and DM as the driver runs it; gradient
    matching on a quarter of the real batch (its rate per FLOP is the same; a whole one is a minute)."""
    loops = {}
    for name, config, batch in (
        ("dc", DC(ipc=ipc, outer_loop=1, inner_loop=1), real_batch // 4),  # outer_loop 1:
        ("dsa", DSA(ipc=ipc, outer_loop=1, inner_loop=1), real_batch // 4),  # a fresh network
        ("dm", DM(ipc=ipc), real_batch),
    ):
        config = dataclasses.replace(config, width=width, real_batch=batch)
        method = method_for(config)(config, data, torch.Generator().manual_seed(0))
        loops[name] = lambda method=method: method.outer_loss().backward()
    return loops


def mtt_loop(data, width: int, syn_steps: int) -> Callable[[], object]:
    config = MTT(ipc=1, width=width, syn_steps=syn_steps, n_experts=1)
    spec = expert_spec(config)
    net = make_net("convnet", *data.net_args, width=width, depth=config.depth)
    path = sample_inits(net, spec.epochs + 1, "default", torch.Generator().manual_seed(0))
    stand_in = Trajectories(spec, {k: v.unsqueeze(0) for k, v in path.items()}, 0.0, "random stand-in")
    method = TrajectoryMatching(config, data, torch.Generator().manual_seed(0), stand_in)
    return lambda: method.outer_loss().backward()


def evaluation_loops(data, quick: bool) -> dict[str, Callable[[], object]]:
    x, y = data.sample(100, torch.Generator().manual_seed(0))
    x_test = data.x_test[: 200 if quick else 2000]
    schedule = Schedule(epochs=1, batch_size=256, lr=0.01, momentum=0.9)
    loops = {}
    for arch, width in EVALUATION_NETS[:1] + EVALUATION_NETS[3:] if quick else EVALUATION_NETS:
        net = make_net(arch, *data.net_args, width=width or 128)
        inits = sample_inits(net, 2, "default", torch.Generator().manual_seed(1))
        name = f"{arch} {width}" if width else arch
        loops[f"train {name}"] = lambda net=net, inits=inits: train_many(
            net, inits, x, y, schedule, torch.Generator().manual_seed(2)
        )
        loops[f"predict {name}"] = lambda net=net, inits=inits: predict_many(net, inits, x_test)
    return loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    parser.add_argument("--only", nargs="*", default=None, help="loop names to run (default: all)")
    args = parser.parse_args()
    data = load("mnist", device="cpu")
    width, real_batch, syn_steps, repeats = (8, 16, 2, 1) if args.quick else (128, 256, 50, args.repeats)
    side, copy_mb = (256, 16) if args.quick else (2048, 512)
    print(
        f"{platform.machine()}, {torch.get_num_threads()} default threads, PyTorch {torch.__version__}, "
        f"{datetime.date.today()}; median of {repeats}"
    )
    loops = {
        **matching_loops(data, width, real_batch, ipc=10),
        "mtt": mtt_loop(data, width, syn_steps),
        **evaluation_loops(data, args.quick),
    }
    counts: dict[str, Counted] = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        peak, bandwidth = limits(side, copy_mb, repeats=5)
        print(f"\n{threads} thread(s): matmul {side}x{side} {peak:.0f} GFLOP/s, copy {copy_mb} MB {bandwidth:.1f} GB/s")
        print("| loop | seconds | GFLOP | GFLOP/s | of matmul | GB moved | GB/s | of copy |")
        print("|---|---|---|---|---|---|---|---|")
        for name, run in loops.items():
            if args.only and name not in args.only:
                continue
            took = seconds(run, repeats)
            counts[name] = counts.get(name) or count(run)
            gflops, gbytes = counts[name].flops / 1e9, counts[name].bytes / 1e9
            print(
                f"| {name} | {took:.3f} | {gflops:.1f} | {gflops / took:.1f} | {gflops / took / peak:.0%} | "
                f"{gbytes:.2f} | {gbytes / took:.1f} | {gbytes / took / bandwidth:.0%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
