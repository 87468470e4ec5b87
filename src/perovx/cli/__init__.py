"""The ``perovx`` command line.

Each command group lives in its own module with a ``register(app)`` function; modules
import only typer at import time so ``perovx --help`` stays fast, and load numpy,
spekpy, numba or matplotlib inside the commands that need them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, NoReturn

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="perovx",
    help=(
        "Design, simulate and characterise halide-perovskite X-ray detectors.\n\n"
        "Quantities take units: --thickness 1mm or 500um, --bias 100V, --area 0.04cm2. "
        "Beams: an IEC 61267 quality (RQA5, RQR5 ...), a monoenergetic line (60keV) or a "
        "tube (70kVp). Sensitivities are in µC Gy_air⁻¹ cm⁻², dose rates in nGy_air s⁻¹. "
        "Every command has --help; most have --json."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command-group modules, in the order their commands appear in --help.
_GROUPS = (
    "perovx.cli.core",
    "perovx.cli.materials",
    "perovx.cli.analyze",
    "perovx.cli.image_quality",
    "perovx.cli.mc",
    "perovx.cli.simulate",
    "perovx.cli.sweep",
    "perovx.cli.device",
    "perovx.cli.design",
)

for _name in _GROUPS:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a group not built yet in this checkout
        if exc.name != _name:
            raise
        continue
    _module.register(app)


def _app_for(argv: list[str]) -> typer.Typer:
    """The application to run for ``argv``: only the named command or command group.

    Typer builds every command's options (with a pydantic adapter each) before it runs
    one; for ``perovx evaluate …`` that would be all the other commands' work too. A
    one-command application with the same settings parses and runs the command exactly
    as the full one does, and its usage line still reads ``perovx evaluate``; the same
    holds for a group (``perovx materials list``) with its own commands. For
    ``perovx --help`` (and bare ``perovx``, which shows the same help) the application
    is :func:`_listing_app`: the command list without any command's options.
    """
    if all(a == "--help" for a in argv):
        return _listing_app()
    name = argv[0] if argv else ""
    commands = [info for info in app.registered_commands if info.name == name]
    groups = [info for info in app.registered_groups if info.name == name]
    if not commands and not groups:
        return app
    single = typer.Typer(
        name=app.info.name, help=app.info.help, no_args_is_help=True,
        add_completion=False, pretty_exceptions_enable=False,
    )
    single.callback()(_no_options)  # a group, so the command keeps its name
    single.registered_commands.extend(commands[:1])
    single.registered_groups.extend(groups[:1] if not commands else [])
    return single


def _listing_app() -> typer.Typer:
    """``app`` as its top-level help sees it: each command and group by name and help only.

    The top-level help lists the commands (name, first line of help, panel) and the
    groups, and the options before the command. Typer would still read every command's
    signature (evaluating its annotations) to build options the listing never shows;
    here each command keeps its name, help and settings but stands on a callback without
    parameters, and each group keeps its own help and callback without its commands.
    The help text is the same as the full application's (tested).
    """
    import copy

    listing = copy.copy(app)
    listing.registered_commands = []
    for info in app.registered_commands:
        bare = copy.copy(info)
        bare.callback = _bare_callback(info.callback)
        listing.registered_commands.append(bare)
    listing.registered_groups = []
    for group in app.registered_groups:
        bare_group = copy.copy(group)
        if group.typer_instance is not None:
            sub = copy.copy(group.typer_instance)
            sub.registered_commands, sub.registered_groups = [], []
            bare_group.typer_instance = sub
        listing.registered_groups.append(bare_group)
    return listing


def _bare_callback(callback: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """A callback without parameters bearing ``callback``'s name, docstring and module.

    (Not ``functools.wraps``: its ``__wrapped__`` would lead typer to the signature.)
    """
    if callback is None:
        return None

    def bare() -> None:
        raise AssertionError("the help listing runs no command")  # pragma: no cover

    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(bare, attr, getattr(callback, attr, None))
    return bare


def _no_options() -> None:
    """Design, simulate and characterise halide-perovskite X-ray detectors."""


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option(
        "--debug", help="On an error, show the Python traceback (also: PEROVX_DEBUG=1).")] = False,
) -> None:
    """Options before the command (``--debug``: taken out of the arguments by main())."""


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the ``perovx`` script: run a command and exit with its status.

    Every error a user can cause ends as one line on stderr and exit status 2; any other
    exception as one "internal error" line and status 1, with the traceback only under
    ``--debug`` (anywhere in the arguments) or ``PEROVX_DEBUG=1``. Library warnings
    raised during a command are printed as ``note:`` lines after a successful result.
    """
    from perovx.cli._errors import run

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or "--help" in args:  # a help page: render it without rich's extras
        from perovx.cli._help import load_help_renderer

        load_help_renderer()
    sys.exit(run(_app_for([a for a in args if a != "--debug"]), args))
