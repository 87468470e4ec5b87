"""A corpus of bad command lines: each must end with exit status 2 and exactly one line on
stderr, with no traceback (the error path of :func:`perovx.cli.main`).

Every case runs in-process through :func:`perovx.cli._errors.run`, the same function the
``perovx`` script calls, and fails before any heavy work starts, so the corpus is fast.
Placeholders: {bin} a binary file, {missing} a folder that does not exist, {ro} a
read-only folder, {exists} an existing file, {tmp} a fresh folder.
"""

from __future__ import annotations

import os
import sys

import pytest

from perovx.cli import app
from perovx.cli._errors import run

HUGE = "x" * 100_000
E = ["evaluate", "MA3Bi2I9"]
SW = ["sweep", "--material", "MA3Bi2I9"]

CASES: list[list[str]] = [
    # usage errors from typer/click: bad choice, count, missing argument, unknown option
    ["evaluate"],
    ["evaluate", "MA3Bi2I9", "--nope"],
    ["evaluate", "MA3Bi2I9", "extra-argument"],
    ["nosuchcommand"],
    ["evaluate", "MA3Bi2I9", "--thickness"],
    ["beam"],
    ["serve", "--port", "99999"],
    ["serve", "--port", "0"],
    ["serve", "--port", "eighty"],
    ["serve", "--host", "not a host"],
    ["serve", "--host", HUGE],
    ["mc", "--material", "MA3Bi2I9", "--seed", "x"],
    ["mc", "--material", "MA3Bi2I9", "--threads", "many"],
    ["mc"],
    ["sweep"],
    ["materials", "show"],
    ["materials", "nosuch"],
    ["analyze", "nosuch"],
    ["mtf"],
    ["mtf", "{missing}/edge.tif"],
    ["simulate"],
    # quantities: expressions, non-finite values, units, ranges, huge strings
    [*E, "--thickness", "10**10**10 mm"],
    [*E, "--thickness", "10**10**7 mm"],
    [*E, "--thickness", "2*3mm"],
    [*E, "--bias", "1e5*2 V"],
    [*E, "--thickness", "1 furlong"],
    [*E, "--thickness", "10nm"],
    [*E, "--thickness", "1e-30m"],
    [*E, "--thickness", "-1mm"],
    [*E, "--thickness", "0mm"],
    [*E, "--thickness", "inf mm"],
    [*E, "--thickness", "nan mm"],
    [*E, "--thickness", "1e400 mm"],
    [*E, "--thickness", "1V"],
    [*E, "--thickness", ""],
    [*E, "--thickness", HUGE],
    [*E, "--thickness", "1 mm" + ")" * 5000],
    [*E, "--thickness", "(" * 3000 + "1mm"],
    [*E, "--bias", "1e300V"],
    [*E, "--bias", "0V"],
    [*E, "--bias", "-1e300V"],
    [*E, "--bias", "100 furlong"],
    [*E, "--temperature", "-5K"],
    [*E, "--temperature", "0K"],
    [*E, "--temperature", "1e6K"],
    [*E, "--temperature", "40 degC**2"],
    [*E, "--area", "0cm2"],
    [*E, "--area", "1 km2"],
    [*E, "--integration-time", "-1s"],
    [*E, "--integration-time", "1e9 s"],
    [*E, "--electronic-noise", "inf"],
    [*E, "--electronic-noise", "nan"],
    [*E, "--electronic-noise", "-3"],
    [*E, "--electronic-noise", "1e300"],
    [*E, "--mu-tau-e", "0cm2/V"],
    [*E, "--mu-tau-e", "1e30cm2/V"],
    [*E, "--mu-tau-h", "1 V"],
    [*E, "--resistivity", "-1ohm*cm"],
    [*E, "--resistivity", "1e99ohm*cm"],
    [*E, "--density", "0g/cm3"],
    [*E, "--density", "1e9 g/cm3"],
    [*E, "--band-gap", "-1eV"],
    [*E, "--w-pair", "0eV"],
    [*E, "--w-pair", "1e6eV"],
    [*E, "--activation-energy", "99eV"],
    [*E, "--polarity", "sideways"],
    [*E, "--w-model", "nosuch"],
    [*E, "--absorption", "nosuch"],
    [*E, "--beam", "RQA99"],
    [*E, "--beam", HUGE],
    ["evaluate", HUGE],
    ["evaluate", "(" * 3000 + "Cs" + ")" * 3000],
    ["evaluate", "Xx3Bi2I9"],
    ["evaluate", "MA3Bi2I9)("],
    # beam
    ["beam", "RQA99"],
    ["beam", "-5keV"],
    ["beam", "1e400keV"],
    ["beam", "RQA5", "--plot", "{missing}/spectrum.png"],
    ["beam", "RQA5", "--plot", "{exists}/spectrum.png"],
    ["beam", "RQA5", "--plot", "{exists}"],
    # demo
    ["demo", "--out", "{exists}"],
    ["demo", "--out", "{exists}/report"],
    ["demo", "--thickness", "inf mm", "--out", "{tmp}/d"],
    ["demo", "--field", "0V/um", "--out", "{tmp}/d"],
    # sweep
    [*SW, "--thickness", "1mm", "--field", "inf V/um"],
    [*SW, "--thickness", "1mm", "--field", "nan V/um"],
    [*SW, "--thickness", "1mm", "--field", "1e300 V/um"],
    [*SW, "--thickness", "1mm:2mm:x"],
    [*SW, "--thickness", "1mm:2mm:0"],
    [*SW, "--thickness", "1mm:2mm:100000"],
    [*SW, "--thickness", "1mm:2mm"],
    [*SW, "--thickness", "5cm", "--field", "100V/um"],  # bias 5 MV
    [*SW, "--thickness", "1mm", "--out", "{exists}"],
    [*SW, "--thickness", "1mm", "--out", "{tmp}/s.xyz"],
    [*SW, "--thickness", "1mm", "--out", "{missing}/s.json"],
    [*SW, "--thickness", "1mm", "--out", "{exists}/s.json"],
    [*SW, "--thickness", "1mm", "--dask", "not an address"],
    ["sweep", "--material", "C", "--thickness", "1mm"],
    # materials
    ["materials", "show", "nosuch-material"],
    ["materials", "show", HUGE],
    ["materials", "add", "--file", "{bin}"],
    ["materials", "add", "--file", "{missing}/m.json"],
    ["materials", "add", "mine", "--formula", "(" * 3000 + "Cs" + ")" * 3000],
    ["materials", "add", "mine", "--formula", "Cs3Bi2I9", "--density", "inf g/cm3"],
    ["materials", "add", "mine", "--formula", "Cs3Bi2I9", "--density", "10**10**10 g/cm3"],
    ["materials", "export", "{exists}"],
    ["materials", "export", "{exists}/m.json"],
    # Monte Carlo
    ["mc", "--material", "MA3Bi2I9", "--thickness", "10**10**10 mm"],
    ["mc", "--material", "MA3Bi2I9", "--thickness", "inf mm"],
    ["mc", "--material", "MA3Bi2I9", "--histories", "-5"],
    ["mc", "--material", "MA3Bi2I9", "--histories", "1e400"],
    ["mc", "--material", "MA3Bi2I9", "--beam", "-60keV"],
    # simulate
    ["simulate", "{bin}"],
    ["simulate", "{missing}/sim.toml"],
    # lab analyses
    ["analyze", "iv", "{bin}"],
    ["analyze", "iv", "{missing}/iv.csv"],
    ["analyze", "hecht", "{bin}"],
    # image quality
    ["mtf", "{bin}"],
    ["nps", "{bin}"],
    ["mtf", "{bin}", "--pixel-pitch", "inf mm"],
    ["mtf", "{bin}", "--oversampling", "many"],
]


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("bad_inputs")
    binary = root / "binary.toml"
    binary.write_bytes(bytes(range(256)) * 8)
    exists = root / "exists.png"
    exists.write_bytes(b"keep me")
    ro = root / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    return {"bin": str(binary), "missing": str(root / "no" / "such"), "ro": str(ro),
            "exists": str(exists), "tmp": str(root)}


def _label(case: list[str]) -> str:
    text = " ".join(a if len(a) < 30 else a[:12] + f"…({len(a)})" for a in case)
    return text or "<none>"


@pytest.mark.parametrize("case", CASES, ids=[_label(c) for c in CASES])
def test_bad_command_line(case: list[str], places: dict[str, str], capsys, monkeypatch,
                          tmp_path) -> None:
    monkeypatch.setenv("PEROVX_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PEROVX_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["perovx"])
    args = [a.format(**places) if "{" in a and len(a) < 200 else a for a in case]
    status = run(app, args)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert "Traceback" not in out + err
    assert status == 2, (status, err[-500:])
    assert len(lines) == 1, err[-1000:]
    assert lines[0].startswith("perovx: error: ") and len(lines[0]) <= 400
    assert (places_path := places["exists"]) and open(places_path, "rb").read() == b"keep me"


def test_corpus_size() -> None:
    assert len(CASES) >= 80


def test_debug_shows_the_traceback_and_internal_errors_are_one_line(capsys, monkeypatch) -> None:
    import typer

    boom = typer.Typer()

    @boom.command()
    def crash() -> None:
        raise ZeroDivisionError("division by zero")

    @boom.command()
    def other() -> None:
        pass

    assert run(boom, ["crash"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["perovx: internal error: ZeroDivisionError: division by zero "
                                "(rerun with --debug for the traceback)"]
    with pytest.raises(ZeroDivisionError):
        run(boom, ["--debug", "crash"])
    monkeypatch.setenv("PEROVX_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run(boom, ["crash"])


def test_warnings_become_notes_after_success_and_vanish_on_error(capsys) -> None:
    import logging
    import warnings

    import numpy as np
    import typer

    from perovx.errors import InputError

    noisy = typer.Typer()

    @noisy.command()
    def ok() -> None:
        with np.errstate(divide="warn"):
            np.float64(1.0) / np.float64(0.0)
        logging.getLogger("tifffile").warning("tifffile: ignoring a broken tag")
        typer.echo("result")

    @noisy.command()
    def bad() -> None:
        warnings.warn("a library warning", RuntimeWarning, stacklevel=1)
        raise InputError("thickness must be between 100 nm and 10 cm, got '1 km' (1000 m)")

    assert run(noisy, ["ok"]) == 0
    out, err = capsys.readouterr()
    assert out == "result\n"
    assert err.splitlines() == ["note: divide by zero encountered in scalar divide",
                                "note: tifffile: ignoring a broken tag"]
    assert run(noisy, ["bad"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "perovx: error: thickness must be between 100 nm and 10 cm, got '1 km' (1000 m)"]


@pytest.mark.skipif(os.name != "posix", reason="needs a POSIX shell")
def test_the_installed_script_uses_the_same_path(tmp_path) -> None:
    import subprocess

    code = "from perovx.cli import main; main()"
    proc = subprocess.run([sys.executable, "-c", code, "evaluate", "MA3Bi2I9", "--polarity", "x"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PEROVX_HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "perovx: error: Invalid value: polarity must be 'negative' or 'positive' "
        "(see 'perovx evaluate --help')"]
