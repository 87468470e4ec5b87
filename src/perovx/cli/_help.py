"""Help pages without the parts of rich that help pages never use.

typer renders help with ``typer.rich_utils``, which imports ``rich.markdown`` (and with it
markdown-it) and ``rich.traceback`` (and with it pygments) at its top, for the
``"markdown"`` markup mode and for pretty tracebacks. perovx uses the ``"rich"`` markup
mode and no pretty tracebacks, yet those two imports are about a sixth of
``perovx --help``'s time. :func:`load_help_renderer` imports ``typer.rich_utils`` with
two stand-ins in their place: each loads the real rich class the first time it is used,
so nothing typer could do with them changes; only the import is deferred.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["load_help_renderer"]

# rich modules typer.rich_utils imports one class from, at its top, for features perovx's
# help pages do not use
_DEFERRED = (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback"))


def _real(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


class _DeferredClassType(type):
    """Metaclass of a stand-in: class attributes and type checks go to the real class."""

    _target: tuple[str, str]

    def __getattr__(cls, attr: str) -> Any:  # e.g. Traceback.from_exception
        return getattr(_real(*cls._target), attr)

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _real(*cls._target))

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _real(*cls._target))


def _stand_in(module: str, name: str) -> type:
    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        return _real(module, name)(*args, **kwargs)

    return _DeferredClassType(name, (), {"__new__": staticmethod(__new__),
                                         "_target": (module, name),
                                         "__module__": module,
                                         "__doc__": f"Loads {module}.{name} when used."})


def load_help_renderer() -> None:
    """Import ``typer.rich_utils`` without importing rich's markdown and traceback modules.

    Does nothing when ``typer.rich_utils`` is already imported. The stand-ins exist only
    while typer's module is imported: ``import rich.markdown`` anywhere afterwards gets
    the real module.
    """
    if "typer.rich_utils" in sys.modules:
        return
    placed: dict[str, types.ModuleType] = {}
    for module, name in _DEFERRED:
        if module not in sys.modules:
            stub = types.ModuleType(module)
            setattr(stub, name, _stand_in(module, name))
            placed[module] = stub
    sys.modules.update(placed)
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        for module, stub in placed.items():
            if sys.modules.get(module) is stub:
                del sys.modules[module]
