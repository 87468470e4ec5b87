"""The web page's long computations, run in a job's own process (:mod:`perovx.web.jobs`).

Each task is ``task(params, inputs, workdir, progress)``: ``params`` is the form's text
(every quantity parsed here by :func:`perovx.units.parse_quantity`), ``inputs`` maps an
uploaded file's name to its content-addressed path, ``workdir`` is the job's own folder
for the files it writes and ``progress(message, fraction)`` reports how far it is. A task
returns ``{"result": <JSON>, "files": {label: file name in workdir}, "figures": {...}}``
where ``figures`` is the flat name → number map the record store tracks over time.

Nothing here executes or unpickles an upload: tables go through
:func:`perovx.io.tables.read_table`, TOML through :mod:`tomllib`.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from perovx.errors import InputError, PerovxError
from perovx.store.records import flat_figures

__all__ = ["ANALYSIS_OPTIONS", "TASKS", "guess_analysis", "lab_words", "table_columns"]

Progress = Callable[[str, float], None]

#: Form field → (keyword of ``from_file``, row of :data:`perovx.units.FIELDS`, description).
ANALYSIS_OPTIONS: dict[str, tuple[str, str, str]] = {
    "area": ("area_m2", "area", "electrode area"),
    "thickness": ("thickness_m", "thickness", "layer thickness"),
    "bias": ("bias_V", "bias", "bias"),
}

_EXAMPLES = {"area": "4 mm2", "thickness": "1 mm", "bias": "100 V"}

#: Longest text a form field may hold, characters.
MAX_FIELD_CHARS = 200


def _text(params: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = params.get(key, default)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = str(value)
    if len(text) > MAX_FIELD_CHARS:
        raise InputError(f"{key}: at most {MAX_FIELD_CHARS} characters, got {len(text)}")
    return text.strip()


def table_columns(path: str | Path, mapping: Mapping[str, str] | None = None
                  ) -> dict[str, Any]:
    """Headers of a measurement file, the kinds perovx recognises and its guess.

    Parameters
    ----------
    path
        The measurement file.
    mapping
        Kind → header chosen by the user; the guess uses the kinds after it (the
        ``kinds`` returned are those perovx recognised by itself).

    Returns
    -------
    dict
        ``{"headers": [...], "kinds": {header: kind}, "guess": name or None,
        "reason": text}``.
    """
    from perovx.io.tables import KINDS, read_table

    table = read_table(path)
    kinds = table.kinds()
    effective = {h: k for h, k in kinds.items() if k not in (mapping or {})}
    for kind, header in (mapping or {}).items():
        if header not in table.headers:
            raise InputError(f"{Path(path).name}: no column {header[:40]!r} to read as "
                             f"{kind[:40]} (columns: {', '.join(table.headers)[:200]})")
        effective[header] = kind
    guess, reason = guess_analysis(set(effective.values()), list(table.headers))
    return {"headers": list(table.headers), "kinds": kinds, "guess": guess,
            "reason": reason, "known_kinds": list(KINDS)}


def guess_analysis(kinds: set[str], headers: list[str]) -> tuple[str | None, str]:
    """The lab analysis a file's column kinds point to, and why.

    Parameters
    ----------
    kinds
        Column kinds recognised in the file (keys of :data:`perovx.io.tables.KINDS`).
    headers
        The file's headers (words such as "photo" or "pulse" break ties).
    """
    words = " ".join(headers).lower()
    if "temperature" in kinds:
        return "arrhenius", "a temperature column: Arrhenius plot of the conduction"
    if "dose" in kinds and kinds & {"sensitivity", "relative_sensitivity", "current",
                                    "charge", "current_density"}:
        return "stability", "accumulated dose and a sensitivity: radiation stability"
    if "voltage" in kinds:
        if "charge" in kinds or "photo" in words or "dark_current" in kinds:
            return "hecht", "bias with a photocurrent or charge: Hecht μτ"
        return "iv", "voltage and current: dark I–V"
    if "time" in kinds:
        if "dose_rate" in kinds:
            return "xray-response", "time, current and dose rate: X-ray response"
        if "dark_current" in kinds or "dark" in words:
            return "drift", "time and a dark current: dark-current drift"
        if kinds & {"current", "current_density"}:
            return "response", "time and current: response time (choose another if not)"
    return None, "no analysis matches these columns; map them below or choose one"


#: Most files one lab job maps columns for (``columns_by_file``).
MAX_MAPPED_FILES = 20


def _mapping(params: Mapping[str, Any], key: str) -> dict[str, str] | None:
    raw = params.get(key) or {}
    if not isinstance(raw, Mapping):
        raise InputError(f"{key}: expected a table of kind → header")
    out = {}
    for k, v in raw.items():
        if v in (None, ""):
            continue
        if len(str(k)) > 40 or len(str(v)) > MAX_FIELD_CHARS:
            raise InputError(f"{key}: entry too long")
        out[str(k)] = str(v)
    return out or None


def lab_task(params: Mapping[str, Any], inputs: Mapping[str, Path], workdir: Path,
             progress: Progress) -> dict[str, Any]:
    """Run one lab analysis on each uploaded measurement file.

    ``params``: ``analysis`` (a name of :data:`perovx.metrics.lab.ANALYSES`, or
    ``"auto"``), ``area``, ``thickness``, ``bias`` (text with units, used by the
    analyses that take them), ``columns`` (kind → header, for every file) and
    ``columns_by_file`` (upload name → {kind → header}, for one file; it wins over
    ``columns``), ``units_by_file`` (upload name → {kind → unit}, for columns whose
    header gives none). With ``"auto"`` the analysis is guessed from the column kinds
    after the mapping.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perovx.metrics.lab import ANALYSES
    from perovx.units import parse_quantity

    if not inputs:
        raise InputError("no measurement file: upload one or more first")
    workdir = Path(workdir).resolve()
    chosen = _text(params, "analysis", "auto")
    columns = _mapping(params, "columns")
    by_file = params.get("columns_by_file") or {}
    units_by_file = params.get("units_by_file") or {}
    for key, table in (("columns_by_file", by_file), ("units_by_file", units_by_file)):
        if not isinstance(table, Mapping) or len(table) > MAX_MAPPED_FILES:
            raise InputError(f"{key}: a table of file name → {{kind: text}} for at most "
                             f"{MAX_MAPPED_FILES} files")
    results = []
    figures: dict[str, float] = {}
    for n, (name, path) in enumerate(sorted(inputs.items())):
        progress(f"analysing {name}", n / len(inputs))
        mapped = _mapping(by_file, name) or columns
        analysis = chosen
        if analysis == "auto":
            analysis = table_columns(path, mapped)["guess"]
            if analysis is None:
                raise InputError(f"{name}: cannot tell the analysis from the columns; choose one "
                                 "in the analysis field")
        if analysis not in ANALYSES:
            raise InputError(f"analysis: unknown {analysis!r}; choose one of "
                             f"{', '.join(ANALYSES)}")
        cls = ANALYSES[analysis]
        accepted = inspect.signature(cls.from_file).parameters
        kwargs: dict[str, Any] = {}
        for field, (keyword, row, label) in ANALYSIS_OPTIONS.items():
            if keyword not in accepted:
                continue
            text = _text(params, field)
            required = accepted[keyword].default is inspect.Parameter.empty
            if text is None:
                if required:
                    raise InputError(f"{field}: the {label} is needed for the {analysis} "
                                     f"analysis (e.g. {_EXAMPLES[field]})")
                continue
            kwargs[keyword] = parse_quantity(text, field=row, name=field)
        if mapped:
            kwargs["columns"] = mapped
        units = _mapping(units_by_file, name)
        if units and "units" in accepted:
            kwargs["units"] = units
        permittivity = _text(params, "permittivity")
        if permittivity is not None and "relative_permittivity" in accepted:
            kwargs["relative_permittivity"] = parse_quantity(
                permittivity, "1", name="relative permittivity", minimum=1, maximum=1e4)
        try:
            with _as_uploaded(path, name, workdir / "inputs") as named:
                run = cls.from_file(named, **kwargs).analyze()
                data = run.results_data()
        except PerovxError as exc:
            raise InputError(lab_words(str(exc))) from None
        stem = f"{n}_{analysis}"
        png = workdir / f"{stem}.png"
        with _as_uploaded(path, name, workdir / "inputs"):
            fig = run.plot_analyzed(png)
        plt.close(fig)
        row = data.to_dict()
        row["source"] = name  # the upload's name, not the server's path
        if isinstance(row.get("notes"), list):
            row["notes"] = [lab_words(str(n)) for n in row["notes"]]
        (workdir / f"{stem}.csv").write_text(_figures_csv(data))
        results.append({"file": name, "analysis": analysis, "results": row,
                        "summary": run.results().replace(str(path), name), "png": png.name,
                        "csv": f"{stem}.csv"})
        prefix = "" if len(inputs) == 1 else f"{name}:"
        figures.update({prefix + k: v for k, v in flat_figures(row).items()})
    progress("done", 1.0)
    files = {}
    for r in results:
        files[r["png"]] = r["png"]
        files[r["csv"]] = r["csv"]
    return {"result": {"analyses": results}, "files": files, "figures": figures}


#: Command-line options of the lab analyses → the lab page's words for them.
_LAB_FLAGS = (
    (re.compile(r"(?:give it )?with --unit (\w+)=UNIT"), r"give its unit in the Columns table"),
    (re.compile(r"--unit (\w+)=(\S+?)(?=[:;,)]|\s|$)"), r"the unit \2 of the \1 column"),
    (re.compile(r"(?:map the column explicitly )?with --column (\w+)=('[^']*'|\S+)"),
     r"read \2 as \1 in the Columns table"),
    (re.compile(r"--column (\w+)=('[^']*'|\S+)"), r"\2 read as \1 (Columns table)"),
    (re.compile(r"--column\b"), "the Columns table"),
    (re.compile(r"--unit\b"), "the unit boxes of the Columns table"),
    (re.compile(r"\(--permittivity\)|--permittivity"), "(the relative permittivity field)"),
    (re.compile(r"--area\b"), "the electrode area field"),
    (re.compile(r"--thickness\b"), "the thickness field"),
    (re.compile(r"--bias\b"), "the bias field"),
)


def lab_words(message: str) -> str:
    """A lab analysis's message with command-line options named as the lab page's fields
    (options the page lacks stay as they are)."""
    for pattern, words in _LAB_FLAGS:
        message = pattern.sub(words, message)
    return message


@contextlib.contextmanager
def _as_uploaded(path: Path, name: str, folder: Path) -> Iterator[Path]:
    """The stored upload ``path`` as a file named ``name`` in the current folder, so that
    an analysis's messages and plot titles name the user's file, not the server's path.

    ``folder`` (inside the job's folder) holds the copy and is the working folder while
    the context lasts (a job runs in its own process)."""
    import os

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(name).name
    if not target.exists():
        shutil.copyfile(path, target)
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield Path(target.name)
    finally:
        os.chdir(before)


def _figures_csv(data: Any) -> str:
    """Figures of merit as CSV: name, value, uncertainty, unit (field units)."""
    from perovx.metrics.lab.result import UNITS

    lines = ["name,value,uncertainty,unit,convention"]
    for name, m in data.measurements().items():
        unc = m.field_uncertainty
        conv = m.convention.replace('"', "'")
        lines.append(f'{name},{m.field_value:.6g},{"" if unc is None else f"{unc:.6g}"},'
                     f'{UNITS[m.unit][2]},"{conv}"')
    return "\n".join(lines) + "\n"


def device_task(params: Mapping[str, Any], inputs: Mapping[str, Path], workdir: Path,
                progress: Progress) -> dict[str, Any]:
    """Fit a device record (an uploaded TOML) to its uploaded measurement files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perovx.device import Device
    from perovx.io.serialize import jsonable
    from perovx.store import device_fit_figures

    records = [n for n in inputs if n.lower().endswith(".toml")]
    if len(records) != 1:
        raise InputError(f"device: upload exactly one record .toml with its files, got "
                         f"{len(records)} .toml files")
    folder = workdir / "record"
    folder.mkdir()
    for name, path in inputs.items():  # the record names its files by their upload names
        shutil.copyfile(path, folder / name)
    progress("reading the record", 0.05)
    device = Device.from_file(folder / records[0])
    progress("fitting the device model", 0.2)
    fit = device.fit()
    progress("drawing", 0.9)
    from perovx.device.plots import plot_fit

    plot_fit(fit).savefig(workdir / "device_fit.png", dpi=110)
    plt.close("all")
    out = jsonable(fit.to_dict())
    out.pop("analyses", None)
    figures = device_fit_figures(out)
    progress("done", 1.0)
    return {"result": out, "files": {"device_fit.png": "device_fit.png"}, "figures": figures,
            "title": out.get("title")}


#: The imaging page's form fields → (section, key) of the simulate configuration.
IMAGING_FIELDS: dict[str, tuple[str, str]] = {
    "material": ("detector", "material"), "thickness": ("detector", "thickness"),
    "bias": ("detector", "bias"), "mu_tau_e": ("detector", "mu_tau_e"),
    "mu_tau_h": ("detector", "mu_tau_h"), "resistivity": ("detector", "resistivity"),
    "pitch": ("panel", "pitch"), "rows": ("panel", "rows"), "columns": ("panel", "columns"),
    "integration_time": ("panel", "integration_time"),
    "electronic_noise": ("panel", "electronic_noise"),
    "full_scale_charge": ("panel", "full_scale_charge"), "spectrum": ("beam", "spectrum"),
    "air_kerma": ("mode", "air_kerma"), "phantom": ("object", "phantom"),
    "kernels": ("simulation", "kernels"), "seed": ("simulation", "seed"),
}
_INTEGER_FIELDS = {"rows", "columns", "electronic_noise", "seed"}

#: The configuration the imaging form starts from: a 128 × 128 preview panel of 1 mm
#: pixels (the hand phantom fills it) that simulates in seconds.
BASE_IMAGING: dict[str, dict[str, Any]] = {
    "detector": {"material": "MA3Bi2I9", "thickness": "1 mm", "bias": "-200 V"},
    "panel": {"pitch": "1 mm", "rows": 128, "columns": 128, "integration_time": "100 ms",
              "electronic_noise": 1500, "adc_bits": 16, "full_scale_charge": "50 pC"},
    "beam": {"spectrum": "RQA5", "source_image_distance": "1.5 m"},
    "mode": {"type": "pixel_array", "air_kerma": "1 uGy", "frames": 1},
    "object": {"phantom": "hand"},
    "simulation": {"seed": 1, "oversample": 1, "energy_groups": 6, "kernels": "local"},
}


def imaging_config(params: Mapping[str, Any], inputs: Mapping[str, Path]) -> dict[str, Any]:
    """The simulate configuration of an uploaded TOML, or of the form over the base one."""
    tomls = [p for n, p in inputs.items() if n.lower().endswith(".toml")]
    if len(tomls) > 1:
        raise InputError("imaging: upload at most one configuration .toml")
    if tomls:
        try:
            doc = tomllib.loads(tomls[0].read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"configuration TOML: {exc}") from None
    else:
        doc = {k: dict(v) for k, v in BASE_IMAGING.items()}
        for field, (section, key) in IMAGING_FIELDS.items():
            text = _text(params, field)
            if text is None:
                if key in ("mu_tau_e", "mu_tau_h", "resistivity"):
                    doc[section].pop(key, None)
                continue
            if field in _INTEGER_FIELDS:
                try:
                    doc[section][key] = int(text)
                except ValueError:
                    raise InputError(f"{field}: a whole number, got {text[:40]!r}") from None
            else:
                doc[section][key] = text
    doc.pop("output", None)  # the job sets its own
    return doc


def imaging_task(params: Mapping[str, Any], inputs: Mapping[str, Path], workdir: Path,
                 progress: Progress) -> dict[str, Any]:
    """Simulate an image; return it (downsampled to ≤ 256 px a side), its TIFF and DICOM."""
    import numpy as np

    from perovx.readout.config import parse_config
    from perovx.readout.simulate import simulate

    doc = imaging_config(params, inputs)
    # the simulate chain writes its own TIFF and DICOM into the job's folder
    doc["output"] = {"directory": "out", "formats": ["tiff", "dicom"], "name": "image"}
    cfg = parse_config(doc, source="imaging form", base_dir=workdir)
    image = simulate(cfg, write=True,
                     progress=lambda stage, fraction: progress(stage, 0.05 + 0.9 * fraction))
    data = np.asarray(image.values, dtype=np.float32)
    files = {p.name: f"out/{p.name}" for p in sorted((workdir / "out").iterdir())
             if p.suffix in (".tif", ".dcm")}
    step = max(1, math.ceil(max(data.shape) / 256))
    small = data[::step, ::step]
    finite = small[np.isfinite(small)]
    lo, hi = (float(np.percentile(finite, 1)), float(np.percentile(finite, 99))) if finite.size \
        else (0.0, 1.0)
    summary = image.attrs.get("summary_json")
    summary_data = _json_or_none(summary)
    quality = None
    if _text(params, "image_quality") in ("on", "true", "1"):
        progress("image quality: edge and flat field", 0.9)
        quality = image_quality(doc, workdir)
    progress("done", 1.0)
    figures = flat_figures({k: v for k, v in (summary_data or {}).items()
                            if not isinstance(v, list)})
    if quality is not None:
        figures.update({k: v for k, v in quality.items() if not isinstance(v, list)})
    return {"result": {"shape": list(data.shape), "step": step,
                       "image": np.where(np.isfinite(small), small, 0).round(3).tolist(),
                       "window": [lo, hi], "min": float(np.nanmin(data)),
                       "max": float(np.nanmax(data)), "summary": summary_data, "config": doc,
                       "quality": quality},
            "files": files, "figures": figures}


def image_quality(doc: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """MTF (slanted edge), NNPS and DQE of the configured panel (pixel arrays only).

    Two more simulations of the same panel and beam: a tungsten edge (IEC 62220-1-1) and an
    open field; :func:`perovx.metrics.slanted_edge_mtf`,
    :func:`perovx.metrics.noise_power_spectrum` and
    :func:`perovx.metrics.detective_quantum_efficiency` on them. Frequencies in
    cycles/mm; the DQE's q from the beam named in the configuration.
    """
    import numpy as np

    from perovx.metrics import (
        detective_quantum_efficiency,
        noise_power_spectrum,
        slanted_edge_mtf,
    )
    from perovx.readout.config import parse_config
    from perovx.readout.simulate import simulate
    from perovx.units import parse_quantity

    mode = doc.get("mode", {})
    if mode.get("type", "pixel_array") != "pixel_array":
        raise InputError("image quality: only for a pixel_array panel (mode type)")
    images = {}
    for phantom in ("edge", "none"):
        one = {k: dict(v) for k, v in doc.items() if isinstance(v, Mapping)}
        one["object"] = {"phantom": phantom}
        one.pop("output", None)
        cfg = parse_config(one, source="image quality", base_dir=workdir)
        images[phantom] = np.asarray(simulate(cfg, write=False).values, dtype=float)
    pitch = parse_quantity(str(doc["panel"]["pitch"]), field="pixel pitch", name="pitch")
    kerma = parse_quantity(str(mode.get("air_kerma", "")), "Gy", name="air kerma", minimum=0,
                           allow_zero=False)
    side = min(images["none"].shape)
    roi = 16
    while roi * 4 <= side and roi < 256:
        roi *= 2
    mtf = slanted_edge_mtf(images["edge"], pixel_pitch_m=pitch)
    nps = noise_power_spectrum(images["none"], pixel_pitch_m=pitch, roi_size_px=roi,
                               area="full")
    dqe = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=kerma,
                                       beam=str(doc.get("beam", {}).get("spectrum", "RQA5")))
    nnps = nps.nps_radial / nps.mean_signal**2
    nyquist = 0.5 / pitch
    keep_m = mtf.frequency_per_m <= nyquist
    keep_n = (nps.frequency_per_m > 0) & (nps.frequency_per_m <= nyquist)
    keep_d = dqe.frequency_per_m <= nyquist
    return {
        "mtf_frequency_per_mm": (mtf.frequency_per_m[keep_m] / 1e3).tolist(),
        "mtf": mtf.mtf[keep_m].tolist(),
        "nnps_frequency_per_mm": (nps.frequency_per_m[keep_n] / 1e3).tolist(),
        "nnps_mm2": (nnps[keep_n] * 1e6).tolist(),
        "dqe_frequency_per_mm": (dqe.frequency_per_m[keep_d] / 1e3).tolist(),
        "dqe": dqe.dqe[keep_d].tolist(),
        "nyquist_per_mm": nyquist / 1e3,
        "nps_roi_px": roi,
        "notes": list(getattr(nps, "notes", ())) + list(getattr(dqe, "notes", ())),
    }


def _json_or_none(text: Any) -> Any:
    import json

    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return None
    return text if isinstance(text, dict) else None


def _design_tasks() -> Any:
    from perovx.web import design_tasks

    return design_tasks


#: Job kind → task.
TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "lab": lab_task,
    "device": device_task,
    "imaging": imaging_task,
    "compare": lambda *a: _design_tasks().compare_task(*a),
    "design": lambda *a: _design_tasks().design_task(*a),
    "search": lambda *a: _design_tasks().search_task(*a),
}
