"""The CPU speed-ups of issue 26, each old against new in one run: the two formulations alternate,
round after round, in the same process, so a machine shared with other work slows both alike; the
medians and their ratio are printed, with how far the results differ.

    OMP_NUM_THREADS=2 python benchmarks/hot_loop_speedups.py --threads 1 2
    python benchmarks/hot_loop_speedups.py --quick        # a smoke run: tiny widths, one round

relu      ConvNet width 128 forward + backward on 256 images, ReLU out of place (a new tensor per
          call) against in place (`nn.ReLU(inplace=True)`: its backward needs only its output)
dm        one DM outer iteration (ipc 10, 256 real images per class, DSA, width 128): the per-class
          loss with out-of-place ReLU as before, against `DistributionMatching.outer_loss` now
          (real images embedded a few at a time, all classes' synthetic images in one pass)
dm-chunk  the same DM iteration with `dm.CHUNK_BYTES` at several sizes (the chunk of real images)
channels-last  ConvNet forward + backward on 256 images at the evaluation width (32) and the papers'
          (128), in PyTorch's default layout against channels-last (network and images converted):
          the layout oneDNN's convolutions prefer, measured before adopting it
compile   ConvNet forward + backward on 256 images (widths 32 and 128) and LeNet's, eager against
          `torch.compile` of the network (inductor, compiled once for the shape; its compile time
          printed apart): measured before deciding whether the CPU engine should compile
train-step  `train_many` on a CPU (its loop path, how every judge trains its networks): each step's
          gradient by `torch.func.grad` as before, against plain autograd now, for the evaluation
          networks (ConvNet widths 16 and 32, LeNet, MLP) on 10 and 100 images (1 and 10 per class)
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import time

import torch
from torch import nn
from torch.func import functional_call

from ddlab import augment, functional
from ddlab.data import load
from ddlab.functional import Schedule, train_many
from ddlab.methods import DM, dm, method_for
from ddlab.nets import init_params, make_net, sample_inits


def out_of_place(net: nn.Module) -> nn.Module:
    """A copy of the ConvNet template with the ReLUs as they were: out of place."""
    old = copy.deepcopy(net)
    for i, module in enumerate(old.features):
        if isinstance(module, nn.ReLU):
            old.features[i] = nn.ReLU()
    return old


def per_class_dm_loss(method, net: nn.Module) -> torch.Tensor:
    """DM's outer loss as ddlab computed it before issue 26: class by class, the whole real batch in
    one pass, each class's synthetic images in their own pass."""
    theta = method.fresh_network()
    features = {k.removeprefix("features."): v for k, v in theta.items() if k.startswith("features.")}
    embed = lambda x: functional_call(net.features, features, (x,)).flatten(1)  # noqa: E731
    total = 0
    for c in range(method.data.num_classes):
        x_real, x_syn = method.real_images(c), method.class_images(c)
        if method.config.dsa:
            x_real, x_syn = augment.siamese(x_real, x_syn, method.generator)
        with torch.no_grad():
            mean_real = embed(x_real).mean(0)
        total = total + ((mean_real - embed(x_syn).mean(0)) ** 2).sum()
    return total


def alternate(candidates: dict, rounds: int) -> dict[str, float]:
    """Median seconds of each candidate, run in a fresh random order every round after a warm-up."""
    for run in candidates.values():
        run()
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        names = list(candidates)
        random.shuffle(names)
        for name in names:
            start = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def report(title: str, medians: dict[str, float], difference: str) -> None:
    old = next(iter(medians.values()))
    cells = ", ".join(f"{name} {1000 * t:.0f} ms ({old / t:.2f}x)" for name, t in medians.items())
    print(f"{title}: {cells}; {difference}", flush=True)


def relu(width: int, batch: int, rounds: int, data) -> None:
    new_net = make_net("convnet", *data.net_args, width=width)
    old_net = out_of_place(new_net)
    params = {
        k: v.requires_grad_() for k, v in init_params(new_net, "default", torch.Generator().manual_seed(0)).items()
    }
    x, y = data.sample(batch, torch.Generator().manual_seed(1))

    def step(net):
        loss = nn.functional.cross_entropy(functional_call(net, params, (x,)), y)
        return torch.autograd.grad(loss, list(params.values()))

    worst = max((a - b).abs().max().item() for a, b in zip(step(old_net), step(new_net)))
    medians = alternate({"out of place": lambda: step(old_net), "in place": lambda: step(new_net)}, rounds)
    report(
        f"relu, ConvNet width {width}, {batch} images, forward + backward",
        medians,
        f"largest gradient difference {worst:.1e}",
    )


def channels_last(width: int, batch: int, rounds: int, data) -> None:
    plain = make_net("convnet", *data.net_args, width=width)
    params = {k: v.requires_grad_() for k, v in init_params(plain, "default", torch.Generator().manual_seed(0)).items()}
    last = copy.deepcopy(plain).to(memory_format=torch.channels_last)
    params_last = {
        k: (v.detach().contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v.detach()).requires_grad_()
        for k, v in params.items()
    }
    x, y = data.sample(batch, torch.Generator().manual_seed(1))
    x_last = x.contiguous(memory_format=torch.channels_last)

    def step(net, weights, images):
        loss = nn.functional.cross_entropy(functional_call(net, weights, (images,)), y)
        return torch.autograd.grad(loss, list(weights.values()))

    worst = max((a - b).abs().max().item() for a, b in zip(step(plain, params, x), step(last, params_last, x_last)))
    candidates = {
        "default layout": lambda: step(plain, params, x),
        "channels-last": lambda: step(last, params_last, x_last),
    }
    report(
        f"channels-last, ConvNet width {width}, {batch} images, forward + backward",
        alternate(candidates, rounds),
        f"largest gradient difference {worst:.1e}",
    )


def train_step(arch: str, width: int, images: int, epochs: int, rounds: int, data) -> None:
    net = make_net(arch, *data.net_args, width=width)
    inits = sample_inits(net, 1, "default", torch.Generator().manual_seed(0))
    x, y = data.sample(images, torch.Generator().manual_seed(1))
    schedule = Schedule(epochs=epochs, batch_size=256, lr=0.01, momentum=0.9, weight_decay=5e-4)
    func_grad = lambda net, params, x, y, weights: torch.func.grad(functional.loss, argnums=1)(  # noqa: E731
        net, params, x, y, weights
    )

    def train(gradient):
        kept, functional._plain_grad = functional._plain_grad, gradient
        try:
            return train_many(net, inits, x, y, schedule, torch.Generator().manual_seed(2), vectorize=False)
        finally:
            functional._plain_grad = kept

    plain = functional._plain_grad
    worst = max((a - b).abs().max().item() for a, b in zip(train(func_grad).values(), train(plain).values()))
    medians = alternate({"torch.func.grad": lambda: train(func_grad), "autograd": lambda: train(plain)}, rounds)
    named = f"ConvNet width {width}" if arch == "convnet" else arch
    report(
        f"train-step, {named}, {images} images, {epochs} epochs",
        medians,
        f"largest weight difference after training {worst:.1e}",
    )


def dm_iteration(config: DM, data, rounds: int, chunk_bytes: tuple[int, ...] = ()) -> None:
    method = method_for(config)(config, data, torch.Generator().manual_seed(0))
    old_net = out_of_place(method.net)

    def old():
        per_class_dm_loss(method, old_net).backward()

    def new():
        method.outer_loss().backward()

    state = method.generator.get_state()
    old_loss = per_class_dm_loss(method, old_net)
    method.generator.set_state(state)
    new_loss = method.outer_loss()
    difference = f"loss {old_loss.item():.6g} before, {new_loss.item():.6g} now"
    candidates = {"per class": old, "now": new}
    for size in chunk_bytes:
        candidates[f"{size >> 20} MiB"] = lambda size=size: _with_chunk(size, new)
    title = (
        f"dm, ipc {config.ipc}, width {config.width}, {config.real_batch} real images per class, outer loss + backward"
    )
    report(title, alternate(candidates, rounds), difference)


def _with_chunk(size: int, run) -> None:
    kept, dm.CHUNK_BYTES = dm.CHUNK_BYTES, size
    try:
        run()
    finally:
        dm.CHUNK_BYTES = kept


COMPARISONS = ("relu", "dm", "dm-chunk", "channels-last", "compile", "train-step")


def compiled(arch: str, width: int, batch: int, rounds: int, data) -> None:
    eager = make_net(arch, *data.net_args, width=width)
    fast = copy.deepcopy(eager)
    x, y = data.sample(batch, torch.Generator().manual_seed(1))

    def step(net):
        net.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(net(x), y).backward()
        return [p.grad for p in net.parameters()]

    start = time.perf_counter()
    fast.compile()
    reference, result = step(eager), step(fast)
    compile_seconds = time.perf_counter() - start
    worst = max((a - b).abs().max().item() for a, b in zip(reference, result))
    report(
        f"compile, {arch}{f' width {width}' if arch == 'convnet' else ''}, {batch} images, forward + backward",
        alternate({"eager": lambda: step(eager), "compiled": lambda: step(fast)}, rounds),
        f"largest gradient difference {worst:.1e}; first compiled step {compile_seconds:.1f} s",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="*", help=f"any of {', '.join(COMPARISONS)} (default: relu dm)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny widths and batches, one round")
    args = parser.parse_args()
    for what in args.what:
        if what not in COMPARISONS:
            parser.error(f"unknown comparison {what!r}; available: {', '.join(COMPARISONS)}")
    data = load("mnist", device="cpu")
    width, batch, rounds = (8, 16, 1) if args.quick else (128, 256, args.rounds)
    config = DM(ipc=10, width=width, real_batch=batch)
    for threads in args.threads:
        torch.set_num_threads(threads)
        print(f"{threads} thread(s), PyTorch {torch.__version__}", flush=True)
        for what in args.what or ["relu", "dm"]:
            if what == "relu":
                relu(width, batch, rounds, data)
            elif what == "channels-last":
                for evaluated in (8,) if args.quick else (32, 128):
                    channels_last(evaluated, batch, rounds, data)
            elif what == "train-step":
                for arch, evaluated in (("convnet", 16), ("convnet", 32), ("lenet", 0), ("mlp", 0)):
                    for images, epochs in ((10, 100), (100, 10)):
                        train_step(arch, evaluated, images, 1 if args.quick else epochs, rounds, data)
            elif what == "compile":
                for arch, evaluated in (
                    (("convnet", 8),) if args.quick else (("convnet", 32), ("convnet", 128), ("lenet", 0))
                ):
                    compiled(arch, evaluated, batch, rounds, data)
            elif what == "dm":
                dm_iteration(config, data, rounds)
            else:
                dm_iteration(config, data, rounds, tuple(k << 20 for k in (1, 2, 8, 16, 64, 1024)))


if __name__ == "__main__":
    main()
