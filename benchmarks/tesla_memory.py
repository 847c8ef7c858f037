"""Memory and time of one MTT outer iteration against the number of student steps: back-propagating
through the whole unroll (MTT) against TESLA's per-step gradient (``MTT(constant_memory=True)``), and
how far TESLA's image gradient is from the unrolled one.

    OMP_NUM_THREADS=1 python benchmarks/tesla_memory.py                 # writes tesla_memory.{json,png}
    OMP_NUM_THREADS=1 python benchmarks/tesla_memory.py --steps 10 20 --ipc 1

The setting: the default profile's MTT recipe (`recipes.mtt_mnist`: a width-32 ConvNet, its shipped
experts), `--ipc` images per class, each student step on a minibatch of the whole set. Each
(steps, mode) pair runs in a fresh process of its own: one outer iteration to warm up, then two
measured (loss and backward, as the driver runs them): peak memory, seconds, and the image gradient,
saved for the comparison (both modes draw the same expert, start and batches).

Why memory is measured this way. On a GPU it is the CUDA allocator's peak (`PeakMemory`). A CPU has
no such counter; autograd's saved-tensor hooks would count what the graph keeps, but `torch.func.grad`
(the inner gradient of `ddlab.functional`) refuses them, and TESLA's graphs live only inside the call
anyway. So it is the process's resident-set high-water mark (Linux VmHWM, reset on entry by
`ddlab.experiments.memory.PeakMemory`) above its level on entry: what the iteration needed, in a
process where nothing an earlier setting freed and the allocator kept can hide it (glibc is told to
give freed memory back, `CHILD_ENV` and `_give_back_free_memory`). The warm-up iteration keeps
PyTorch's one-off costs (libraries loaded on first use, work buffers) out of both memory and seconds.
Time is recorded twice: wall seconds, and the process's CPU seconds (drawn), which other jobs on a
shared machine lengthen far less (with one thread, CPU time is the work done; on a GPU, read the
wall seconds).
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = {"plain": False, "tesla": True}  # name in the JSON -> MTT.constant_memory
# A fixed mmap threshold: glibc then serves every block over 128 kB (all but tiny tensors) by mmap
# and unmaps it on free, instead of raising the threshold and keeping freed blocks in its heap, so
# the resident set follows what is allocated.
CHILD_ENV = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
REPEATS = 2  # measured iterations per process: the largest peak and the shortest time are kept
TIME_KEY = "cpu_seconds"  # drawn: the process's CPU time, which other jobs on a shared CPU barely change


def config_for(steps: int, ipc: int, constant_memory: bool):
    """The default profile's MTT recipe with `steps` student steps on the whole set per step."""
    os.environ["DDLAB_PROFILE"] = "default"  # the recipe's width and shipped experts
    from ddlab.recipes import mtt_mnist

    return mtt_mnist(ipc, syn_steps=steps, batch_syn=10 * ipc, constant_memory=constant_memory)


def measure_one(steps: int, ipc: int, mode: str, gradient_file: str) -> dict:
    """`REPEATS` outer iterations in this process after one that warms up, each on the same draws:
    peak memory above entry (MiB), seconds, loss."""
    import torch

    from ddlab.data import load
    from ddlab.experiments.memory import PeakMemory
    from ddlab.methods.mtt import TrajectoryMatching

    data = load("mnist", device="cuda" if torch.cuda.is_available() else "cpu")
    method = TrajectoryMatching(config_for(steps, ipc, MODES[mode]), data, torch.Generator().manual_seed(0))
    synchronize = torch.cuda.synchronize if data.device.type == "cuda" else (lambda: None)
    method.outer_loss().backward()  # warm-up: PyTorch's one-off allocations and loading
    method.images.grad = method.log_lr.grad = None
    state = method.generator.get_state()
    peaks, times, cpu_times = [], [], []
    for repeat in range(REPEATS):
        method.generator.set_state(state)  # the same expert, start and batches each time
        _give_back_free_memory()
        with PeakMemory(data.device) as peak:
            start, cpu_start = time.perf_counter(), time.process_time()
            loss = method.outer_loss()
            loss.backward()
            synchronize()
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        peaks.append(peak.added)
        if repeat < REPEATS - 1:
            method.images.grad = method.log_lr.grad = None
    torch.save(method.images.grad.cpu(), gradient_file)
    return {
        "steps": steps,
        "mode": mode,
        "peak_mib": round(max(peaks), 1),
        "cpu_seconds": round(min(cpu_times), 3),
        "seconds": round(min(times), 3),
        "loss": loss.item(),
        "device": _machine(data.device),
    }


def _give_back_free_memory() -> None:
    """Return the memory glibc keeps after frees (loading MNIST, the warm-up) to the operating
    system, so the iteration's allocations raise the resident set instead of silently reusing it."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the measure is a lower bound


def _machine(device) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def measure_all(steps: list[int], ipc: int) -> dict:
    """Every (steps, mode) in its own process; then TESLA's gradient against the unrolled one."""
    import torch

    rows, differences = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for n in steps:
            gradients = {}
            for mode in MODES:
                gradients[mode] = str(Path(scratch) / f"{mode}_{n}.pt")
                out = subprocess.run(
                    [sys.executable, __file__, "--one", str(n), mode, gradients[mode], "--ipc", str(ipc)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=CHILD_ENV,
                ).stdout
                rows.append(json.loads(out.strip().splitlines()[-1]))
                print(
                    f"{n:>4} steps  {mode:>5}: {rows[-1]['peak_mib']:8.1f} MiB  {rows[-1]['cpu_seconds']:7.2f} s CPU  "
                    f"{rows[-1]['seconds']:7.2f} s wall",
                    flush=True,
                )
            tesla, plain = (torch.load(gradients[m]) for m in ("tesla", "plain"))
            differences.append(
                {
                    "steps": n,
                    "relative": round(((tesla - plain).norm() / plain.norm()).item(), 4),
                    "cosine": round(
                        torch.nn.functional.cosine_similarity(tesla.flatten(), plain.flatten(), dim=0).item(), 4
                    ),
                }
            )
            print(
                f"{n:>4} steps: TESLA's image gradient is {differences[-1]['relative']:.1%} from the unrolled one "
                f"(cosine {differences[-1]['cosine']:.3f})",
                flush=True,
            )
    config = dataclasses.asdict(config_for(steps[0], ipc, False))
    return {
        "what": "one MTT outer iteration: plain unroll vs TESLA's constant-memory gradient",
        "command": "OMP_NUM_THREADS=1 python benchmarks/tesla_memory.py " + " ".join(sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "machine": rows[0]["device"],
        "setting": {k: config[k] for k in ("ipc", "batch_syn", "width", "depth", "inner_lr")},
        "memory": "peak RSS above entry (CPU) or CUDA peak allocated, MiB, one fresh process per row",
        "rows": rows,
        "gradient_difference": differences,
    }


def plot(results: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, (memory, seconds) = plt.subplots(1, 2, figsize=(9, 3.4))
    for mode, label, style in (
        ("plain", "MTT: back-propagate the unroll", "o-"),
        ("tesla", "TESLA: per-step gradient", "s-"),
    ):
        rows = [r for r in results["rows"] if r["mode"] == mode]
        memory.plot([r["steps"] for r in rows], [r["peak_mib"] for r in rows], style, label=label)
        seconds.plot([r["steps"] for r in rows], [r[TIME_KEY] for r in rows], style, label=label)
    memory.set(xlabel="student steps N", ylabel="peak memory (MiB)", title="memory of one outer iteration")
    seconds.set(
        xlabel="student steps N",
        ylabel="CPU seconds" if TIME_KEY == "cpu_seconds" else "seconds",
        title="time of one outer iteration",
    )
    memory.legend(fontsize=8)
    fig.suptitle(f"{results['machine']}, {results['date']}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 20, 40, 80], help="student steps N")
    parser.add_argument("--ipc", type=int, default=1, help="synthetic images per class (all of them in every step)")
    parser.add_argument("--one", nargs=3, metavar=("STEPS", "MODE", "GRADIENT_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE / "tesla_memory", help="JSON and PNG path, no suffix")
    args = parser.parse_args()
    if args.one:
        steps, mode, gradient_file = args.one
        print(json.dumps(measure_one(int(steps), args.ipc, mode, gradient_file)))
        return
    results = measure_all(args.steps, args.ipc)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.out.with_suffix(".png"))
    print(f"wrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
