"""The command line's error path: one line and status 2 for every user-caused error.

:func:`run` calls the typer application without click's standalone mode and turns what
comes back into an exit status:

==========================================================  ======  ==========================
what happened                                               status  printed on stderr
==========================================================  ======  ==========================
success                                                     0       ``note:`` lines for
                                                                    library warnings
:class:`~perovx.errors.PerovxError`, click usage error,     2       ``perovx: error: …``
file-system error (path named), text decoding error,
memory exhausted
Ctrl-C                                                      130     ``perovx: interrupted``
anything else (a bug in perovx)                             1       ``perovx: internal error:
                                                                    <type>: <msg> (rerun with
                                                                    --debug …)``
==========================================================  ======  ==========================

Messages are collapsed to one line and cut to :data:`MAX_LINE` characters, so no input
(a 100 KB name echoed in a message) can flood the terminal.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

__all__ = ["MAX_LINE", "one_line", "run"]

#: Longest error or note line printed, characters.
MAX_LINE = 400
#: Most notes printed after a result.
_MAX_NOTES = 8


def one_line(message: object) -> str:
    """``message`` with its whitespace collapsed, cut to :data:`MAX_LINE` characters."""
    text = " ".join(str(message).split())
    if len(text) > MAX_LINE:
        text = text[: MAX_LINE - 1] + "…"
    return text


def _echo_err(line: str) -> None:
    import typer

    typer.echo(line, err=True)


def _error(message: object) -> int:
    _echo_err(one_line(f"perovx: error: {message}"))
    return 2


class _Collect(logging.Handler):
    """Holds library log records (tifffile, zarr, distributed) until the command ends."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _os_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    return f"{where}: {reason}" if where else reason


def _classify(exc: BaseException) -> int | None:
    """Print the line for a user-caused error and return its status (None: not one)."""
    import typer
    from typer import _click as click  # typer ships its own copy of click

    from perovx.errors import PerovxError

    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        typer.echo(exc.format_message())
        return 0
    if isinstance(exc, click.exceptions.UsageError):
        where = ""
        if exc.ctx is not None:
            where = f" (see '{exc.ctx.command_path} --help')"
        return _error(f"{exc.format_message()}{where}")
    if isinstance(exc, click.exceptions.ClickException):
        return _error(exc.format_message())
    if isinstance(exc, typer.Abort | KeyboardInterrupt):
        _echo_err("perovx: interrupted")
        return 130
    if isinstance(exc, PerovxError):
        return _error(exc)
    if isinstance(exc, UnicodeDecodeError):
        return _error("a file given is not UTF-8 text (a binary file?): cannot decode byte "
                      f"{exc.object[exc.start:exc.start + 1]!r} at position {exc.start}")
    if isinstance(exc, OSError):
        return _error(_os_error(exc))
    if isinstance(exc, MemoryError):
        return _error("not enough memory for this request; ask for a smaller one")
    return None


def run(app: Any, args: list[str]) -> int:
    """Run the typer ``app`` on ``args`` and return the exit status (see the module doc)."""
    debug = "--debug" in args or os.environ.get("PEROVX_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != "--debug"]
    collector = _Collect()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                rv = app(args=args, prog_name="perovx", standalone_mode=False)
            except SystemExit as exc:  # a library calling sys.exit: keep its status
                code = exc.code
                return code if isinstance(code, int) else (0 if code is None else 1)
            except BaseException as exc:
                if debug:
                    raise
                status = _classify(exc)
                if status is None:
                    _echo_err(one_line(
                        f"perovx: internal error: {type(exc).__name__}: {exc}")
                        [: MAX_LINE - 40] + " (rerun with --debug for the traceback)")
                    return 1
                return status
    finally:
        root.removeHandler(collector)
    status = rv if isinstance(rv, int) else 0
    if status == 0:
        _notes([str(w.message) for w in caught]
               + [r.getMessage() for r in collector.records])
    return status


def _notes(messages: list[str]) -> None:
    seen: list[str] = []
    for message in messages:
        line = one_line(message)
        if line and line not in seen:
            seen.append(line)
    for line in seen[:_MAX_NOTES]:
        _echo_err(f"note: {line}")
    if len(seen) > _MAX_NOTES:
        _echo_err(f"note: {len(seen) - _MAX_NOTES} more warnings not shown")
