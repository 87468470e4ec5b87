"""``perovx simulate`` with a ``[counting]`` section: a photon-counting image of the object.

The chain: beam → object (polychromatic Beer–Lambert,
:func:`~perovx.interaction.phantoms.transmitted_fluence`) → expected photons per cell
and energy group at the configured air kerma → per-photon Monte Carlo events of each
group's energy (:func:`~perovx.interaction.montecarlo.events.photon_events`) → charge
clouds, thresholds, charge summing, dead time and pile-up
(:func:`~perovx.readout.counting.count_images`) → count images per threshold, written
as a multi-page TIFF (one page per threshold), a DICOM of the lowest threshold, a PNG
preview and a JSON summary.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError, PerovxError
from perovx.io.serialize import jsonable
from perovx.readout.config import SimulateConfig
from perovx.readout.counting import CountImages, count_images, spectral_response

if TYPE_CHECKING:
    import xarray

__all__ = ["simulate_counting"]


def _system(cfg: SimulateConfig) -> dict[str, Any]:
    """Material, film density, charge transport, beam and energy groups of a config."""
    from perovx.materials import get_material
    from perovx.readout.process import get_process
    from perovx.readout.simulate import energy_groups
    from perovx.spectra import get_beam
    from perovx.transport.charge import ChargeTransport

    det = cfg.detector
    src = cfg.source
    try:
        material = get_material(det.material)
    except PerovxError as exc:
        raise InputError(f"{src}: [detector] material: {exc}") from None
    crystal = det.density_kg_m3 if det.density_kg_m3 is not None else material.density()
    film_density = get_process(det.process).packing_fraction * crystal
    try:
        transport = ChargeTransport.from_material(
            material, thickness_m=det.thickness_m, bias_V=det.bias_V,
            temperature_K=det.temperature_K, fano_factor=det.fano_factor,
            w_pair_eV=det.w_pair_eV, mu_tau_e_m2_per_V=det.mu_tau_e_m2_per_V,
            mu_tau_h_m2_per_V=det.mu_tau_h_m2_per_V,
        )
    except InputError as exc:
        raise InputError(f"{src}: [detector]: {exc} (give mu_tau_e / mu_tau_h)") from None
    try:
        beam = get_beam(cfg.beam.spectrum)
    except PerovxError as exc:
        raise InputError(f"{src}: [beam] spectrum: {exc}") from None
    groups = energy_groups(beam, material, cfg.simulation.energy_groups)
    return {"material": material, "film_density": film_density, "transport": transport,
            "beam": beam, "groups": groups}


def _dataarray(res: CountImages, cfg: SimulateConfig, summary: dict[str, Any]) -> Any:
    da = res.to_dataarray()
    da.name = cfg.output.name
    da.attrs.update({
        "pixel_spacing_mm": cfg.panel.pixel_pitch_m * 1e3,
        "imaging_mode": "photon_counting",
        "beam": cfg.beam.spectrum,
        "summary_json": json.dumps(jsonable(summary), allow_nan=False),
    })
    return da


def _write(da: Any, res: CountImages, summary: dict[str, Any], cfg: SimulateConfig, *,
           overwrite: bool, spectrum: tuple[np.ndarray, np.ndarray]) -> dict[str, str]:
    """Write the count images and the summary, every file published when complete."""
    from contextlib import ExitStack

    from perovx.io.atomic import atomic_path
    from perovx.readout.simulate_output import _preview

    out = cfg.output
    assert out.directory is not None
    directory = Path(out.directory)
    pitch = cfg.panel.pixel_pitch_m
    meta = {"units": "counts", "thresholds_keV": list(res.thresholds_keV),
            "beam": cfg.beam.spectrum, "imaging_mode": "photon_counting"}
    counts16 = np.clip(res.above_threshold, 0, 65535).astype(np.uint16)
    files: dict[str, str] = {}
    with ExitStack() as stack:
        def target(suffix: str, what: str) -> Path:
            return stack.enter_context(atomic_path(directory / f"{out.name}{suffix}",
                                                   overwrite=overwrite, what=what))

        json_tmp = target(".json", "JSON summary") if "json" in out.formats else None
        if "tiff" in out.formats:
            from perovx.io.images import write_tiff

            write_tiff(target(".tif", "TIFF image"), counts16, pixel_pitch_m=pitch,
                       metadata=meta)
            files["tiff"] = str(directory / f"{out.name}.tif")
        if "dicom" in out.formats:
            from perovx.io.images import write_dicom

            write_dicom(target(".dcm", "DICOM image"), counts16[0], pixel_pitch_m=pitch,
                        metadata=meta)
            files["dicom"] = str(directory / f"{out.name}.dcm")
        if "png" in out.formats:
            _preview(res.above_threshold[0].astype(float), target(".png", "PNG preview"))
            files["png"] = str(directory / f"{out.name}.png")
            from perovx.readout.counting import plot_spectral_response

            fig = plot_spectral_response(*spectrum, thresholds_keV=res.thresholds_keV,
                                         label=f"open beam {cfg.beam.spectrum}")
            fig.savefig(target("_spectrum.png", "spectrum plot"), format="png", dpi=120)
            import matplotlib.pyplot as plt

            plt.close(fig)
            files["spectrum_png"] = str(directory / f"{out.name}_spectrum.png")
        if json_tmp is not None:
            files["json"] = str(directory / f"{out.name}.json")
            json_tmp.write_text(json.dumps(jsonable({**summary, "files": files}), indent=2,
                                           allow_nan=False) + "\n", encoding="utf-8")
    return files


def simulate_counting(cfg: SimulateConfig, *, write: bool, overwrite: bool,
                      progress: Callable[[str, float], None] | None = None) -> xarray.DataArray:
    """Photon-counting image of a configuration with a ``[counting]`` section.

    Parameters
    ----------
    cfg
        A checked configuration (``cfg.counting`` set; pixel-array mode).
    write
        Write the output files of ``[output]`` (the caller has claimed them).
    overwrite
        Replace existing files.
    progress
        Called as ``progress(stage, fraction)``.

    Returns
    -------
    xarray.DataArray
        Counts above each threshold, dims ``("threshold", "y", "x")`` (keV, mm), with the
        JSON summary under ``attrs["summary_json"]``.
    """
    from perovx.interaction.montecarlo import Stack
    from perovx.interaction.montecarlo.events import photon_events
    from perovx.interaction.phantoms import transmitted_fluence
    from perovx.readout.simulate import build_object

    counting = cfg.counting
    if counting is None:
        raise InputError(f"{cfg.source}: no [counting] section")
    report = progress or (lambda stage, fraction: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    report("materials", 0.0)
    sys_ = _system(cfg)
    groups = sys_["groups"]
    report("materials", 1.0)
    stack = Stack.slab(sys_["material"], cfg.detector.thickness_m,
                       density_kg_m3=sys_["film_density"])
    report("kernels", 0.0)
    seed = cfg.simulation.seed
    events = [photon_events(stack, float(e), histories=counting.histories, seed=seed + 1 + g)
              for g, e in enumerate(groups.energy_keV)]
    timings["events"] = time.perf_counter() - t0
    report("kernels", 1.0)
    report("object", 0.0)
    t1 = time.perf_counter()
    phantom = build_object(cfg)
    os_ = cfg.simulation.oversample
    beam = sys_["beam"]
    fluence = transmitted_fluence(
        phantom, beam.energy_keV, beam.fluence_per_Gy, groups.index, groups=groups.count,
        scatter_fraction=cfg.object.scatter_fraction,
        scatter_sigma_m=cfg.object.scatter_sigma_m,
        shape=(cfg.image_shape[0] * os_, cfg.image_shape[1] * os_),
    )
    cell = cfg.panel.pixel_pitch_m / os_
    kerma = float(cfg.mode.air_kerma_Gy)  # type: ignore[attr-defined]
    photons = fluence * kerma * cell * cell
    timings["object"] = time.perf_counter() - t1
    report("object", 1.0)
    report("acquisition", 0.0)
    t2 = time.perf_counter()
    rate = None
    if counting.air_kerma_rate_Gy_per_s is not None:
        rate = float(np.sum(groups.fluence_per_Gy)) * counting.air_kerma_rate_Gy_per_s
    try:
        res = count_images(events, photons, counting.readout, transport=sys_["transport"],
                           fluence_rate_per_m2_s=rate, subsample=os_, seed=seed)
    except InputError as exc:
        raise InputError(f"{cfg.source}: [counting]: {exc}") from None
    timings["acquisition"] = time.perf_counter() - t2
    report("acquisition", 1.0)
    open_photons = float(np.sum(groups.fluence_per_Gy)) * kerma * cfg.panel.pixel_pitch_m ** 2
    summary = {
        "title": cfg.title,
        "imaging_mode": "photon_counting",
        "detector": {"material": sys_["material"].name,
                     "thickness_mm": cfg.detector.thickness_m * 1e3,
                     "bias_V": cfg.detector.bias_V},
        "beam": cfg.beam.spectrum,
        "air_kerma_uGy": kerma * 1e6,
        "open_field_photons_per_pixel": open_photons,
        "thresholds_keV": list(res.thresholds_keV),
        "charge_sharing": counting.readout.charge_sharing,
        "anti_coincidence": counting.readout.anti_coincidence,
        "dead_time_s": counting.readout.dead_time_s,
        "dead_time_model": counting.readout.dead_time_model,
        "frame_time_s": res.frame_time_s if math.isfinite(res.frame_time_s) else None,
        "photons": res.photons,
        "pulses_above_lowest_threshold": res.pulses_above_first,
        "registered_above_lowest_threshold": res.registered_above_first,
        "mean_counts": [float(a.mean()) for a in res.above_threshold],
        "energy_groups_keV": [float(e) for e in groups.energy_keV],
        "monte_carlo_events_per_group": counting.histories,
        "timings_s": timings,
    }
    # counted spectrum of the open beam: each group's response weighted by its photons
    weights = np.asarray(groups.fluence_per_Gy, dtype=float)
    weights = weights / weights.sum()
    edges = per_keV = None
    for g, ev in enumerate(events):
        e, h = spectral_response(ev, counting.readout, photons=5000,
                                 transport=sys_["transport"], seed=seed + 7 + g,
                                 bin_keV=0.5, max_keV=float(groups.energy_keV.max()) * 1.3)
        edges, per_keV = e, (h * weights[g] if per_keV is None else per_keV + h * weights[g])
    assert edges is not None and per_keV is not None
    summary["counted_spectrum"] = {"edges_keV": edges, "pulses_per_keV_per_photon": per_keV}
    da = _dataarray(res, cfg, summary)
    if write and cfg.output.directory is not None:
        report("output", 0.0)
        files = _write(da, res, summary, cfg, overwrite=overwrite, spectrum=(edges, per_keV))
        da.attrs["files"] = json.dumps(files)
        report("output", 1.0)
    return da
