"""Scoring networks on the test set, one network at a time on a CPU: how many images per forward pass.

`ddlab.functional.predict_many` runs each network over the 10,000 test images in chunks of
`LOOP_CHUNK` images. The chunk decides how much of a layer's activations stays in the CPU's caches:
this script scores the same networks with the old chunk and the new one, alternately, in one run,
and checks that they predict the same classes.

    OMP_NUM_THREADS=1 python benchmarks/predict_chunk.py
    OMP_NUM_THREADS=1 python benchmarks/predict_chunk.py --chunks 256 64 32 --repeats 5
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

import ddlab
import ddlab.functional as functional
from ddlab.nets import make_net, sample_inits

NETWORKS = (("convnet", 16), ("convnet", 32), ("convnet", 128), ("lenet", None))  # the course's judges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[256, functional.LOOP_CHUNK])
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds; the fastest of each is kept")
    parser.add_argument("--models", type=int, default=2, help="networks scored per call")
    args = parser.parse_args()
    data = ddlab.load("mnist", device="cpu")
    generator = torch.Generator().manual_seed(0)
    print(
        f"{platform.machine()}, {torch.get_num_threads()} thread(s), torch {torch.__version__}; "
        f"{args.models} networks on {len(data.x_test):,} test images, fastest of {args.repeats}\n"
    )
    print("| network | " + " | ".join(f"chunk {c}" for c in args.chunks) + " | ratio (first / last) | same classes |")
    print("|---" * (len(args.chunks) + 3) + "|")
    for arch, width in NETWORKS:
        net = make_net(arch, *data.net_args, **({"width": width} if width else {}))
        params = sample_inits(net, args.models, "default", generator, "cpu")
        best = {chunk: float("inf") for chunk in args.chunks}
        classes = {}
        for _ in range(args.repeats):
            for chunk in args.chunks:
                functional.LOOP_CHUNK = chunk
                began = time.perf_counter()
                classes[chunk] = functional.predict_many(net, params, data.x_test).argmax(-1)
                best[chunk] = min(best[chunk], time.perf_counter() - began)
        same = all(torch.equal(classes[args.chunks[0]], c) for c in classes.values())
        name = f"{arch}" + (f" width {width}" if width else "")
        print(
            f"| {name} | "
            + " | ".join(f"{best[c]:.2f} s" for c in args.chunks)
            + f" | {best[args.chunks[0]] / best[args.chunks[-1]]:.2f}x | {'yes' if same else 'NO'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
