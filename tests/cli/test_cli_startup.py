"""The import graph behind `perovx --help` and `perovx evaluate` stays light.

Each check runs in a fresh interpreter and looks at ``sys.modules``: a heavy library
imported at the top of a CLI module (or of a package ``__init__`` on the evaluate path)
makes every command pay for it at start-up.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib", "numba", "xarray", "dask", "pandas", "spekpy", "lmfit",
         "skimage")


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, check=False)


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys, json\n{code}\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))")
    proc = _run(probe)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    return sorted(loaded.intersection(HEAVY))


def test_cli_import_is_light() -> None:
    assert _loaded_after("import perovx.cli") == []


def test_evaluate_import_path_is_light() -> None:
    # Everything the evaluate command imports before it parses its arguments.
    code = (
        "import perovx.cli\n"
        "from perovx.metrics.detector import evaluate\n"
        "from perovx.readout.noise import NoiseModel\n"
        "from perovx.spectra import get_beam\n"
        "from perovx.materials import get_material\n"
        "import perovx.units\n"
        "import rich.table, rich.console\n"
    )
    assert _loaded_after(code) == []
    # nor the parts of perovx evaluate does not use (loaded on first use)
    probe = (f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m in "
             "('perovx.transport.charge', 'perovx.transport.ramo', "
             "'perovx.transport.instability', 'perovx.readout.simulate', "
             "'perovx.metrics.mtf')))")
    proc = _run(probe)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("argv", [
    ["evaluate", "MA3Bi2I9", "--thickness", "1mm", "--bias", "100V", "--beam", "RQA5"],
    ["evaluate", "CdTe", "--beam", "60keV", "--json"],
])
def test_evaluate_runs_without_heavy_libraries(argv: list[str]) -> None:
    # The heavy libraries are made unimportable: the command must not need any of them
    # (a library that probes for them, as pint does for scipy and dask, sees them absent).
    # SpekPy builds a tube spectrum the first time only; later runs read the spectrum
    # cache in the perovx home the subprocess shares with this one.
    from perovx.spectra import get_beam
    from perovx.spectra.tube import _spekpy_spectrum

    # in-memory caches may hold a spectrum another test computed under another home:
    # compute it afresh so that it lands in the cache folder of this process's home
    get_beam.cache_clear()
    _spekpy_spectrum.cache_clear()
    get_beam("RQA5")
    block = "".join(f"sys.modules[{name!r}] = None\n" for name in HEAVY)
    code = (f"import sys\n{block}sys.argv = ['perovx', *{argv!r}]\n"
            "from perovx.cli import main\nmain()\n")
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert "sensitivity" in proc.stdout


def test_single_command_app_matches_the_full_one():
    # `perovx evaluate` runs on an application holding only that command (typer then
    # builds one command's options, not all of them): same output, same errors.
    from typer.testing import CliRunner

    from perovx.cli import _app_for, app

    runner = CliRunner()
    args = ["evaluate", "CdTe", "--beam", "60keV", "--json"]
    full = runner.invoke(app, args)
    single = runner.invoke(_app_for(args), args)
    assert full.exit_code == single.exit_code == 0
    assert json.loads(full.stdout) == json.loads(single.stdout)
    for bad in (["evaluate", "CdTe", "--bogus"], ["evaluate", "CdTe", "--thickness", "1xx"]):
        assert runner.invoke(_app_for(bad), bad).exit_code == 2
        assert runner.invoke(app, bad).exit_code == 2
    usage = runner.invoke(_app_for(["evaluate", "--help"]), ["evaluate", "--help"])
    assert "perovx evaluate" in usage.stdout
    assert usage.stdout == runner.invoke(app, ["evaluate", "--help"]).stdout
    assert _app_for(["no-such-command"]) is app


@pytest.mark.parametrize("argv", [["materials", "list", "--json"], ["materials", "--help"],
                                  ["materials", "list", "--form", "XX"],
                                  ["materials", "no-such-command"], ["analyze", "--help"]])
def test_single_group_app_matches_the_full_one(argv: list[str]) -> None:
    # `perovx materials …` runs on an application holding only that group
    from typer.testing import CliRunner

    from perovx.cli import _app_for, app

    single = _app_for(argv)
    assert single is not app
    assert [g.name for g in single.registered_groups] == [argv[0]]
    assert single.registered_commands == []
    runner = CliRunner()
    full, light = runner.invoke(app, argv), runner.invoke(single, argv)
    assert light.exit_code == full.exit_code
    assert light.output == full.output


@pytest.mark.parametrize("argv", [["--help"], []])
def test_help_listing_matches_the_full_app(argv: list[str]) -> None:
    # `perovx --help` (and bare `perovx`) runs on the command listing: every command by
    # name and help, no command's options; the text and exit status are the full app's.
    from typer.testing import CliRunner

    from perovx.cli import _app_for, app

    listing = _app_for(argv)
    assert listing is not app
    runner = CliRunner()
    full, light = runner.invoke(app, argv), runner.invoke(listing, argv)
    assert light.exit_code == full.exit_code
    assert light.output == full.output
    for info in app.registered_commands:  # each command is listed
        assert (info.name or info.callback.__name__) in light.output
    # the full application is untouched: its commands keep their callbacks and options
    evaluate = next(i for i in app.registered_commands if i.name == "evaluate")
    assert "thickness" in inspect.signature(evaluate.callback).parameters


def test_help_does_not_read_command_signatures() -> None:
    # the listing builds no command's options: no pydantic (typer's option coercion)
    # and no numpy are loaded for `perovx --help`
    code = ("import sys\nfrom perovx.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'numpy'}))")
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"



@pytest.mark.parametrize("argv", [["--help"], ["evaluate", "--help"], ["materials", "--help"]])
def test_help_pages_skip_markdown_and_tracebacks_and_read_the_same(argv: list[str]) -> None:
    # main() renders help pages without importing rich.markdown (markdown-it) and
    # rich.traceback (pygments); the page is the one the plain typer app prints
    env = {"COLUMNS": "100", "TERMINAL_WIDTH": "100"}
    light = _run("import sys\nsys.argv[0] = 'perovx'\nfrom perovx.cli import main\n"
                 f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
                 "print(sorted({m.split('.')[0] for m in sys.modules} & "
                 "{'markdown_it', 'pygments'}))", env)
    plain = _run(f"import sys\nsys.argv[0] = 'perovx'\nfrom perovx.cli import app\n"
                 f"app({argv!r})", env)
    assert light.returncode == 0, light.stderr
    page, loaded = light.stdout.rstrip("\n").rsplit("\n", 1)
    assert loaded == "[]"
    assert page + "\n" == plain.stdout
    assert "Usage: " in page


def test_help_stand_ins_load_the_real_rich_classes() -> None:
    code = (
        "from perovx.cli._help import load_help_renderer\n"
        "load_help_renderer()\n"
        "import sys, typer.rich_utils as r\n"
        "assert 'rich.markdown' not in sys.modules and 'rich.traceback' not in sys.modules\n"
        "m = r.Markdown('*x*')\n"
        "import rich.markdown, rich.traceback\n"
        "assert type(m) is rich.markdown.Markdown and isinstance(m, r.Markdown)\n"
        "assert r.Traceback.from_exception == rich.traceback.Traceback.from_exception\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError as exc:\n"
        "    tb = r.Traceback.from_exception(type(exc), exc, exc.__traceback__)\n"
        "assert isinstance(tb, rich.traceback.Traceback)\n"
        "load_help_renderer()  # a second call does nothing\n"
        "print('ok')\n"
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
