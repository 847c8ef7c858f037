"""Where the default profile's time goes in notebooks 10 and 11 (the analyses) and 09 (the
leaderboard), measured at reduced sizes and extrapolated, old budget against new.

Each heavy call of those notebooks is a sum of a few unit costs: training networks on a set under
the protocol (cost ~ images x epochs x networks), predicting test images, and stepping real
training. This script measures the units once (one thread, so a loaded machine's other jobs do not
fold into the numbers as thread contention) and prints the estimate of every heavy cell under the
budgets before and after the cut (benchmarks/RESULTS.md, notebooks 09-11 section).

    OMP_NUM_THREADS=1 DDLAB_PROFILE=default python benchmarks/analysis_speed.py
"""

from __future__ import annotations

import time
from dataclasses import replace

import torch

import ddlab
from ddlab import protocol, recipes
from ddlab.analysis import real_training
from ddlab.functional import predict_many
from ddlab.nets import make_net, sample_inits
from ddlab.synthetic import SyntheticSet


def cpu(f) -> float:
    start = time.process_time()
    f()
    return time.process_time() - start


def main() -> None:
    data = ddlab.load("mnist")
    dm = ddlab.assets.load("dm_mnist_10", data.device)
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    base = protocol.sized(dm.config, recipes.Budget(0.1, 2, width=16))  # width 16, DSA, 100 epochs
    ten = replace(base, epochs=10)
    protocol.train(dm, data, replace(ten, epochs=2), 2, g())  # warm-up
    # training: CPU seconds per 100 epochs for 1 network, by set size (10 epochs measured, x 10)
    train = {}
    for n in (10, 30, 110, 260, 510):
        s = SyntheticSet(data.x_train[:n], data.y_train[:n], None, dm.config)
        train[n] = 10 * cpu(lambda: protocol.train(s, data, ten, 2, g())) / 2  # noqa: B023 (cpu() calls it at once)
    net, params = protocol.train(dm, data, replace(ten, epochs=1), 2, g())
    predict = cpu(lambda: predict_many(net, params, data.x_test[:2000])) / 2 / 2  # per network per 1000 images
    convnet = make_net("convnet", *data.net_args, width=16)
    inits = sample_inits(convnet, 2, "default", g(), data.device)
    step = (
        cpu(lambda: real_training.watch(convnet, inits, data, 20, 20, lambda p: None, g())) / 20 / 2
    )  # per step per net
    print("units (CPU s, one thread):")
    print("  train 100 epochs, 1 network, by images:", {k: round(v, 2) for k, v in train.items()})
    print(
        f"  predict 1,000 test images, 1 network: {predict:.3f}   real-training step (batch 128), 1 network: {step:.4f}"
    )

    def t(n: int) -> float:  # interpolated per-network cost
        sizes = sorted(train)
        lo = max([s for s in sizes if s <= n] or [sizes[0]])
        hi = min([s for s in sizes if s >= n] or [sizes[-1]])
        return train[lo] if lo == hi else train[lo] + (train[hi] - train[lo]) * (n - lo) / (hi - lo)

    def mixing(ks, nets, test):
        return sum(nets * (t(10 + 10 * k) + t(10 + 10 * k)) + 2 * nets * predict * test / 1000 for k in ks)

    def variants(nets, test):  # 3x longer, plain SGD, LeNet, MLP at k = 0 (LeNet/MLP counted as ConvNet)
        return nets * 2 * (3 * t(10) + 3 * t(10)) + 8 * nets * predict * test / 1000

    def agreement(subsets, nets, test, steps, every, n_sets=3):
        subset = sum(nets * t(10 * ipc) + nets * predict * test / 1000 for ipc in subsets)
        early = nets * step * steps + (steps // every + 1) * nets * predict * test / 1000
        return subset + early + n_sets * (nets * t(10) + nets * predict * test / 1000)

    def recognition_curve(steps, every, nets, n_sets):
        return nets * step * steps + (steps // every + 1) * nets * predict * (2000 + 10 * n_sets) / 1000

    rows = [
        ("10: analysis.mixing", mixing((0, 2, 10, 50), 2, 10_000), mixing((0, 2, 10, 25), 2, 2000)),
        ("10: other procedures", variants(2, 10_000), variants(2, 2000)),
        (
            "11: analysis.agreement",
            agreement((1, 2, 5, 10, 20, 50), 4, 10_000, 300, 10),
            agreement((1, 2, 5, 10, 20), 3, 2000, 200, 10),
        ),
        ("11: recognition during training", recognition_curve(300, 20, 4, 4), recognition_curve(200, 20, 3, 4)),
    ]
    # notebook 09: every row is scored on a width-32 ConvNet (3 networks); 7 image sets per ipc
    wide = replace(base, width=32, epochs=15)
    hundred = ddlab.assets.load("dm_mnist_100", data.device)
    w32 = {
        n: 100 / 15 * cpu(lambda: protocol.train(s, data, wide, 3, g())) / 3  # noqa: B023 (called at once)
        for n, s in ((10, dm), (100, hundred))
    }  # per network per 100 epochs
    net32, params32 = protocol.train(dm, data, replace(wide, epochs=1), 3, g())
    predict32 = cpu(lambda: predict_many(net32, params32, data.x_test[:2000])) / 3 / 2
    print(
        f"  width 32, 100 epochs, 1 network: {w32[10]:.2f} (10 images), {w32[100]:.2f} (100); "
        f"predict 1,000: {predict32:.3f}"
    )

    def rows_09(fraction, test):  # 7 image sets at 1 and at 10 per class, 3 networks; DSA epochs 1000
        epochs = fraction * 1000 / 100
        return 7 * 3 * epochs * (w32[10] + w32[100]) + 14 * 3 * predict32 * test / 1000

    def cross_09(fraction, test):  # MLP and LeNet on the 14 ConvNet-made sets (counted at width-16 ConvNet cost)
        epochs = fraction * 1000 / 100
        return 2 * 7 * 3 * epochs * (t(10) + t(110)) + 28 * 3 * predict * test / 1000

    rows.append(("09: rows (scoring, without DD's live run)", rows_09(0.15, 5000), rows_09(0.1, 2000)))
    rows.append(("09: cross-architecture", cross_09(0.15, 5000), cross_09(0.1, 2000)))
    print("\n| cell | before (CPU s) | after (CPU s) | ratio |\n|---|---|---|---|")
    for name, before, after in rows:
        print(f"| {name} | {before:.0f} | {after:.0f} | {before / after:.1f}x |")


if __name__ == "__main__":
    main()
