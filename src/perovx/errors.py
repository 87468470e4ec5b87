"""Exception types of perovx.

Every error a user can cause derives from :class:`PerovxError` and also from the
matching built-in (``ValueError`` for bad values, ``OSError`` for files), so callers
may catch either. Messages say what was wrong, where (file, line, field), the value
received with its unit, the allowed range and, when it is guessable, the likely cause.
The command line turns any ``PerovxError`` into one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "DataRangeError",
    "DomainError",
    "FileFormatError",
    "FitError",
    "InputError",
    "OutputError",
    "PerovxError",
    "ResourceLimitError",
    "UnknownNameError",
]


class PerovxError(Exception):
    """Base class of every error perovx raises on purpose."""


class InputError(PerovxError, ValueError):
    """A value given by the user is malformed or out of its allowed range."""


class UnknownNameError(InputError, KeyError):
    """A name (element, cation, material, beam quality) is not known."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class DataRangeError(InputError):
    """A request falls outside the range of the underlying physics data tables."""


class DomainError(InputError, ArithmeticError):
    """A model's result left its physical domain (CCE outside [0, 1], S > S0 × gain, a
    non-finite LoD) for inputs at the edge of the model's validity."""


class FileFormatError(PerovxError, OSError):
    """A file cannot be read: missing, empty, or with content that does not parse."""


class FitError(PerovxError, RuntimeError):
    """A fit did not converge or is not determined by the data."""


class OutputError(PerovxError, OSError):
    """An output cannot be written: its folder is missing or read-only, or the name is taken."""


class ResourceLimitError(InputError):
    """A request would need more memory or time than the limits allow (the message names
    the option that raises them)."""
