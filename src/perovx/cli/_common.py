"""Shared pieces of the command line: error reporting, JSON output, progress bars."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from perovx.errors import PerovxError

__all__ = ["dump_json", "fail", "handle_errors"]

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one line (cut to 400 characters) on stderr; return exit code 2."""
    from perovx.cli._errors import one_line

    typer.echo(one_line(f"perovx: error: {message}"), err=True)
    return typer.Exit(code=2)


def handle_errors(func: F) -> F:
    """Turn a :class:`PerovxError` raised by a command into one line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PerovxError as exc:
            raise fail(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def dump_json(obj: Any) -> None:
    """Write ``obj`` as indented JSON to stdout."""
    from perovx.io.serialize import jsonable

    json.dump(jsonable(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")
