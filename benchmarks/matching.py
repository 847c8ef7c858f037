"""Gradient and distribution matching on this machine: seconds per outer iteration (one image
update) of DC, DSA and DM, and what a short DM run reaches under a reduced evaluation.

    OMP_NUM_THREADS=1 python benchmarks/matching.py speed --ipc 1 10
    OMP_NUM_THREADS=1 python benchmarks/matching.py dm-run --iterations 300 --real-batch 64

speed: the paper's settings (width 128, 256 real images per class) unless overridden. DC's
iterations are of two kinds — on a fresh network, and after `inner_loop` epochs of training the
current network on the set (ipc 10: 50 epochs) — so both are timed separately.

dm-run: DM at 1 image per class from real images, then `ddlab.protocol` with DSA augmentation but
fewer epochs and networks than the paper (the flags), on all 10,000 test images; the real images DM
started from are evaluated the same way, as the baseline it has to beat.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from ddlab import distill, protocol
from ddlab.data import load
from ddlab.methods import DC, DM, DSA, method_for


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_updates(config, data, n: int) -> list[float]:
    """Wall times of the first `n` outer iterations (loss, backward, optimiser step), run by the
    driver without its validation checks."""
    result = distill(dataclasses.replace(config, iterations=n), data, seed=0, progress=False, validate=False)
    _sync(data.device)
    elapsed = [0.0, *result.history["time"]]
    return [later - earlier for earlier, later in zip(elapsed, elapsed[1:])]


def speed(args, data) -> None:
    for ipc in args.ipc:
        for config in (DC(ipc=ipc), DSA(ipc=ipc), DM(ipc=ipc)):
            config = dataclasses.replace(config, width=args.width, real_batch=args.real_batch)
            if isinstance(config, DC) and config.loops()[0] > 1:
                first, second = time_updates(config, data, 2)  # fresh network; then after inner training
                print(
                    f"{type(config).__name__} ipc {ipc}: {first:.2f} s per update on a fresh network, "
                    f"{second:.2f} s after {config.loops()[1]} epochs of network training",
                    flush=True,
                )
            else:
                times = time_updates(config, data, 1 + args.repeats)[1:]  # the first one warms up
                print(
                    f"{type(config).__name__} ipc {ipc}: {sum(times) / len(times):.2f} s per iteration "
                    f"(mean of {len(times)})",
                    flush=True,
                )


def dm_run(args, data) -> None:
    config = DM(ipc=1, real_batch=args.real_batch, width=args.width, iterations=args.iterations)
    start = time.perf_counter()
    result = distill(config, data, seed=0, eval_every=args.iterations, eval_models=1, progress=False)
    seconds = time.perf_counter() - start
    initial = method_for(config)(config, data, torch.Generator().manual_seed(0)).snapshot()  # seed 0's real images
    reduced = dataclasses.replace(protocol.sized(result.config), epochs=args.epochs)
    print(f"evaluation: {reduced}, {args.models} networks, 10,000 test images")
    for name, synthetic in (("DM", result), ("its initial real images", initial)):
        start = time.perf_counter()
        accuracies = protocol.accuracies(synthetic, data, reduced, args.models, torch.Generator().manual_seed(1))
        print(
            f"{name}: {100 * accuracies.mean():.1f} +- {100 * accuracies.std():.1f}% "
            f"(evaluated in {time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    print(
        f"DM: {args.iterations} iterations in {seconds:.0f} s; loss {result.history['loss'][0]:.2f} -> "
        f"{sum(result.history['loss'][-20:]) / 20:.2f} (mean of the last 20)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("speed", "dm-run"))
    parser.add_argument("--ipc", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--real-batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    data = load("mnist", device=args.device)
    print(f"device {data.device}, {torch.get_num_threads()} thread(s)")
    speed(args, data) if args.what == "speed" else dm_run(args, data)


if __name__ == "__main__":
    main()
