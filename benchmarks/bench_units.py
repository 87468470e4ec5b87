"""Benchmark: reading quantities with perovx's own parser against pint, in one process.

Target: importing :mod:`perovx.units` and reading one quantity adds under 20 ms to a
command (the CLI budget for ``perovx evaluate`` is 0.5 s overall), and one read costs
under 50 µs. The reference run in the same process is pint's: ``import pint``, a registry
built from pint's own definitions (without the pickle cache perovx no longer uses), and
``Quantity(text).to(unit)``; the printed ratios show what leaving pint off the quantity
path buys.

Run: ``python benchmarks/bench_units.py`` (import times are only meaningful in a fresh
process: run it as a script, not inside a session that already imported pint).
"""

from __future__ import annotations

import functools  # noqa: F401  (loaded by typer in every CLI run: not perovx's cost)
import math  # noqa: F401
import re  # noqa: F401
import sys
import time
import typing  # noqa: F401

TARGET_IMPORT_S = 20e-3
TARGET_PARSE_S = 50e-6
# (text for perovx, field, (number, unit) for pint, target unit): pint is handed the number
# and the unit apart (as perovx's old code did), since Quantity("40 degC") is an error.
TEXTS = [("2.8e-3 cm2/V", "mu-tau", (2.8e-3, "cm**2/V"), "m**2/V"),
         ("5 nGy/s", "dose rate", (5.0, "nGy/s"), "Gy/s"),
         ("1e11 ohm*cm", "resistivity", (1e11, "ohm*cm"), "ohm*m"),
         ("40 degC", "temperature", (40.0, "degC"), "K"),
         ("500 um", "thickness", (500.0, "um"), "m")]


def main() -> None:
    if "pint" in sys.modules or "perovx.units" in sys.modules:
        print("run this benchmark in a fresh process")
    start = time.perf_counter()
    from perovx.units import parse_quantity

    parse_quantity("1 mm", field="thickness")
    ours_import = time.perf_counter() - start

    start = time.perf_counter()
    import pint

    reg = pint.UnitRegistry()
    reg.Quantity("1 mm").to("m")
    pint_import = time.perf_counter() - start

    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        for text, field, _, _ in TEXTS:
            parse_quantity(text, field=field)
    ours = (time.perf_counter() - start) / (n * len(TEXTS))
    start = time.perf_counter()
    for _ in range(n // 10):
        for _, _, (number, unit), target in TEXTS:
            reg.Quantity(number, unit).to(target)
    theirs = (time.perf_counter() - start) / (n // 10 * len(TEXTS))

    print(f"import + first read: perovx.units {ours_import * 1e3:.1f} ms, "
          f"pint {pint_import * 1e3:.0f} ms (ratio {pint_import / ours_import:.0f}x); "
          f"target < {TARGET_IMPORT_S * 1e3:.0f} ms: "
          f"{'met' if ours_import < TARGET_IMPORT_S else 'MISSED'}")
    print(f"one read: perovx.units {ours * 1e6:.1f} µs, pint {theirs * 1e6:.0f} µs "
          f"(ratio {theirs / ours:.0f}x); target < {TARGET_PARSE_S * 1e6:.0f} µs: "
          f"{'met' if ours < TARGET_PARSE_S else 'MISSED'}")


if __name__ == "__main__":
    main()
