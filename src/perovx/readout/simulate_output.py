"""Writing the results of ``perovx simulate``: claim the output set, then publish it.

:func:`claim_outputs` takes the output set (folder + name) for the whole run before any
work (:func:`perovx.io.atomic.claim`); :func:`write_outputs` writes the 16-bit TIFF
images, the DICOM image, the PNG preview and the JSON summary under temporary names and
publishes them together when all are complete, the JSON summary last (its presence marks
a complete set). A run killed at any moment leaves under the final names only complete
files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.io.serialize import jsonable
from perovx.readout.config import SimulateConfig

if TYPE_CHECKING:
    import xarray

    from perovx.io.atomic import OutputClaim
    from perovx.readout.modes import Acquisition
    from perovx.readout.simulate import ImagingSystem

__all__ = ["claim_outputs", "output_paths", "write_outputs"]


def _metadata(config: SimulateConfig, system: ImagingSystem, acq: Acquisition) -> dict[str, Any]:
    from perovx.spectra import QUALITIES

    spec = config.beam.spectrum.strip()
    kvp = None
    if spec.upper() in QUALITIES:
        kvp = float(QUALITIES[spec.upper()].kvp)
    elif "kvp" in spec.lower():
        try:
            kvp = float(spec.lower().split("kvp")[0])
        except ValueError:
            kvp = None
    indirect = getattr(config.detector, "kind", "direct") == "indirect"
    meta = {
        "tube_voltage_kV": kvp,
        "exposure_time_s": acq.plan.acquisition_time_s,
        "entrance_air_kerma_Gy": acq.plan.entrance_air_kerma_Gy,
        "detector_air_kerma_Gy": acq.plan.detector_air_kerma_Gy,
        "source_detector_distance_m": config.beam.source_image_distance_m,
        "beam_quality": spec,
        "detector_type": "SCINTILLATOR" if indirect else "DIRECT",
        "detector_id": system.material.name[:16],
        "detector_description": system.description if indirect  # type: ignore[attr-defined]
        else f"{system.material.name} {config.detector.thickness_m * 1e3:g}"
             f" mm, {config.detector.bias_V:+g} V, {config.detector.process}",
        "manufacturer": "perovx simulation",
        "imaging_mode": acq.plan.mode,
        "pixel_pitch_m": config.panel.pixel_pitch_m,
        "units": "ADC codes above offset (offset and gain corrected)",
        "dn_per_electron": config.panel.dn_per_electron,
    }
    return {k: v for k, v in meta.items() if v is not None}


def output_paths(config: SimulateConfig) -> list[Path]:
    """The files :func:`simulate` writes for ``config`` (empty without a directory)."""
    out = config.output
    if out.directory is None:
        return []
    directory = Path(out.directory)
    suffixes = {"tiff": [".tif", "_raw.tif"], "dicom": [".dcm"], "png": [".png"],
                "json": [".json"]}
    return [directory / f"{out.name}{sfx}" for fmt in out.formats for sfx in suffixes[fmt]]


def write_outputs(image: xarray.DataArray, acq: Acquisition, summary: dict[str, Any],
           config: SimulateConfig, system: ImagingSystem, *,
           overwrite: bool = False) -> dict[str, str]:
    """Write the output set: every file under a temporary name, all published at the end.

    The JSON summary is published last: its presence marks a complete set.
    """
    from contextlib import ExitStack

    from perovx.io.atomic import atomic_path

    out = config.output
    assert out.directory is not None
    directory = Path(out.directory)
    pitch = config.panel.pixel_pitch_m
    meta = _metadata(config, system, acq)
    files: dict[str, str] = {}
    data16 = np.clip(np.rint(image.values), 0, 65535).astype(np.uint16)
    with ExitStack() as stack:
        def target(suffix: str, what: str) -> Path:
            return stack.enter_context(atomic_path(directory / f"{out.name}{suffix}",
                                                   overwrite=overwrite, what=what))

        json_tmp = target(".json", "JSON summary") if "json" in out.formats else None
        if "tiff" in out.formats:
            from perovx.io.images import write_tiff

            write_tiff(target(".tif", "TIFF image"), data16, pixel_pitch_m=pitch,
                       metadata=meta)
            files["tiff"] = str(directory / f"{out.name}.tif")
            raw16 = np.clip(np.rint(acq.raw_dn), 0, 65535).astype(np.uint16)
            write_tiff(target("_raw.tif", "TIFF image"), raw16, pixel_pitch_m=pitch,
                       metadata={**meta, "units": "raw ADC codes"})
            files["tiff_raw"] = str(directory / f"{out.name}_raw.tif")
        if "dicom" in out.formats:
            from perovx.io.images import write_dicom

            write_dicom(target(".dcm", "DICOM image"), data16, pixel_pitch_m=pitch,
                        metadata=meta)
            files["dicom"] = str(directory / f"{out.name}.dcm")
        if "png" in out.formats:
            _preview(image.values, target(".png", "PNG preview"))
            files["png"] = str(directory / f"{out.name}.png")
        if json_tmp is not None:
            files["json"] = str(directory / f"{out.name}.json")
            summary = {**summary, "files": files}
            json_tmp.write_text(json.dumps(jsonable(summary), indent=2, allow_nan=False) + "\n",
                                encoding="utf-8")
    return files


def _preview(data: np.ndarray, path: Path) -> Path:
    """Grey-scale PNG windowed on the 0.5–99.5 % percentiles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo, hi = np.percentile(data, [0.5, 99.5])
    if hi <= lo:
        hi = lo + 1.0
    plt.imsave(path, data, cmap="gray", vmin=lo, vmax=hi, format="png")
    return path


def claim_outputs(cfg: SimulateConfig, *, overwrite: bool) -> OutputClaim:
    """Claim the output set for this run (one line if taken or not writable)."""
    from perovx.errors import OutputError
    from perovx.io.atomic import claim

    assert cfg.output.directory is not None
    directory = Path(cfg.output.directory)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: is a file; [output] directory / --out must name a "
                          "folder")

    def check_existing() -> None:
        existing = [str(p) for p in output_paths(cfg) if p.exists()]
        if existing and not overwrite:
            raise OutputError(
                f"{existing[0]}: exists ({len(existing)} output file(s) in the way); "
                "choose another [output] directory or name, or pass --overwrite"
            )

    check_existing()
    held = claim(directory, cfg.output.name)
    try:
        check_existing()  # a run that finished meanwhile
    except BaseException:
        held.release()
        raise
    # temporary files of this output set left by a killed run (the claim proves it dead)
    for path in output_paths(cfg):
        stem = path.name[: -len(path.suffix)] if path.suffix else path.name
        for pattern in (f".{stem}.*.partial*", f"..{stem}.*.partial*"):
            for old in directory.glob(pattern):
                old.unlink(missing_ok=True)
    return held
