"""The ``tocsin`` command line (contract section 6): simulate, track, run, replay, evaluate.

Commands import their stage lazily so that ``tocsin --help`` stays fast. Bad input anywhere becomes
one message naming file, place and field on standard error and exit status 2.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from tocsin.errors import BadInputError

app = typer.Typer(
    name="tocsin",
    help="Open-source early warning for ballistic missiles, rockets and mortars: sensors to sirens.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

P = ParamSpec("P")
R = TypeVar("R")


def bad_input_exits_2(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`BadInputError` into one stderr line and exit status 2 (contract section 6)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except BadInputError as e:
            print(f"tocsin: bad input: {e}", file=sys.stderr)
            raise typer.Exit(code=2) from None

    return wrapper


def show_progress() -> bool:
    """Progress bars only for a person at a terminal: not in CI, not when stderr is piped."""
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


@app.command()
@bad_input_exits_2
def simulate(
    scenario: Annotated[str, typer.Argument(help="Bundled scenario name or a scenario YAML file.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the five contract files into.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives identical files.")
    ] = 0,
) -> None:
    """Simulate a scenario into DIR: sensors, measurements, zones, truth and events files."""
    from tocsin.cli.simulate_cmd import run_simulate

    run_simulate(scenario, out, seed, progress=show_progress())


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
