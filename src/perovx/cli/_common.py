"""Shared pieces of the command line: error reporting, JSON output, progress bars."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from perovx.errors import PerovxError

__all__ = ["dump_json", "fail", "handle_errors", "jsonable"]

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one line on stderr and return an exit with code 2."""
    typer.echo(f"perovx: error: {message}", err=True)
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


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, dataclasses and NaN to plain JSON values (NaN → null)."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj


def dump_json(obj: Any) -> None:
    """Write ``obj`` as indented JSON to stdout."""
    json.dump(jsonable(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")
