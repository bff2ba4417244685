"""The ``seedselect`` command line.

Each subcommand is a thin shell over the public API: it parses its options,
calls one function and prints the outcome. A failure prints one line,
``seedselect: error: <reason>``, to stderr and exits non-zero (``--verbose``
shows the traceback instead).

A subcommand is added by writing a ``_add_<name>`` function that creates its
parser on the subparsers object and sets ``handler`` to a function taking the
parsed arguments and returning an exit code, then listing it in
:data:`_SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

__all__ = ["main"]

logger = logging.getLogger(__name__)

_PROG = "seedselect"


class _UsageError(Exception):
    """Bad command-line usage, reported in one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises on bad usage instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _add_demo(subparsers: Any) -> None:
    from .fo._demo import DEFAULT_DATASET_NAME, DEFAULT_IMAGES_DIR

    parser = subparsers.add_parser(
        "demo",
        help="build the digits demo dataset and show its hardest samples",
        description=(
            "Build (or reuse) a FiftyOne dataset of scikit-learn's handwritten "
            "digits with a logistic regression's predictions, score how hard "
            "each sample is, and print the hardest ones. Works offline."
        ),
        epilog=(
            "example:\n"
            "  seedselect demo --top 5\n"
            "  seedselect demo --method margin --images-dir /tmp/digits --overwrite"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--name",
        default=DEFAULT_DATASET_NAME,
        help="FiftyOne dataset name (default: %(default)s)",
    )
    parser.add_argument(
        "--images-dir",
        default=None,
        help=f"where to write the digit images (default: {DEFAULT_IMAGES_DIR})",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="rebuild the dataset even if it exists"
    )
    parser.add_argument(
        "--n-samples",
        type=int,
        default=None,
        help="use only this many digits (default: all 1,797)",
    )
    parser.add_argument(
        "--top", type=int, default=10, help="hardest samples to show (default: 10)"
    )
    parser.add_argument(
        "--method",
        default="entropy",
        choices=["entropy", "margin", "least_confidence", "ratio"],
        help="hardness measure (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed (default: %(default)s)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from .fo._demo import run_demo

    report = run_demo(
        args.name,
        images_dir=args.images_dir,
        overwrite=args.overwrite,
        n_samples=args.n_samples,
        n_show=args.top,
        method=args.method,
        random_state=args.seed,
        progress=False if args.no_progress else None,
    )
    print(report.format())
    return 0


#: Functions that add one subcommand each, in the order --help lists them.
_SUBCOMMANDS: list[Callable[[Any], None]] = [_add_demo]


def _build_parser() -> _Parser:
    from . import __version__

    parser = _Parser(
        prog=_PROG,
        description="Hardness scoring and seed selection on FiftyOne datasets.",
        epilog="example:\n  seedselect demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log progress messages and show full tracebacks on errors",
    )
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="<command>", parser_class=_Parser
    )
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``seedselect`` command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 if the command failed, 2 for bad usage.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(f"{_PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0

    if args.command is None:
        parser.print_help()
        return 2
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    try:
        code = args.handler(args)
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"{_PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
