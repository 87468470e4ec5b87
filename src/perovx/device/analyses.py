"""Run the lab analyses a device record has files for, through their public classes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from perovx.errors import InputError, PerovxError

if TYPE_CHECKING:
    from perovx.device.record import DeviceRecord

__all__ = ["run_analyses"]


def _run(name: str, make: Any, notes: list[str]) -> Any:
    """Build and analyse one lab analysis; a failed analysis becomes a note."""
    try:
        analysis = make()
    except PerovxError as exc:
        raise InputError(f"{name}: {exc}") from None
    try:
        analysis.analyze()
    except PerovxError as exc:
        notes.append(f"{name} analysis did not complete ({exc}); its data still enter the fit")
        return analysis, None
    return analysis, analysis.results_data()


def run_analyses(record: DeviceRecord, w_pair_eV: float, notes: list[str]) -> dict[str, Any]:
    """Analysis key → ``(analysis object, result or None)`` for each file of ``record``.

    An analysis that cannot be built (unreadable file, bad columns) raises
    :class:`InputError` naming it; one that runs but cannot finish (e.g. a Hecht sweep
    that never saturates) leaves a note, and its data still enter the joint fit.
    """
    from perovx.metrics.lab import (
        Arrhenius,
        DarkDrift,
        HechtAnalysis,
        IVCurve,
        RadiationStability,
        ResponseTime,
        XRayResponse,
    )

    base = Path(record.base_dir)
    geo = record.geometry
    out: dict[str, Any] = {}
    for key, f in record.measurements.given().items():
        path = f.path(base)
        common = {
            "columns": dict(f.columns) or None,
            "units": dict(f.units) or None,
            "sheet": f.sheet,
        }
        sched = (
            None
            if f.schedule is None
            else (Path(f.schedule) if Path(f.schedule).is_absolute() else base / f.schedule)
        )
        if key == "xray_response":

            def make(path=path, f=f, common=common, sched=sched) -> Any:
                return XRayResponse.from_file(
                    path,
                    area_m2=geo.area,
                    schedule_path=sched,
                    thickness_m=geo.thickness,
                    bias_V=f.bias,
                    beam=f.beam,
                    w_pair_eV=w_pair_eV,
                    **common,
                )

            a = make()
            try:
                a.analyze(integration_time_s=f.integration_time)
                out[key] = (a, a.results_data())
            except PerovxError as exc:
                raise InputError(f"xray-response ({path}): {exc}") from None
            continue
        if key == "iv":
            make = lambda path=path, c=common: IVCurve.from_file(  # noqa: E731
                path,
                area_m2=geo.area,
                thickness_m=geo.thickness,
                relative_permittivity=record.relative_permittivity,
                **c,
            )
        elif key == "hecht":
            make = lambda path=path, c=common: HechtAnalysis.from_file(  # noqa: E731
                path, thickness_m=geo.drift_length_m, **c
            )
        elif key == "arrhenius":
            make = lambda path=path, c=common: Arrhenius.from_file(path, **c)  # noqa: E731
        elif key == "drift":
            make = lambda path=path, f=f, c=common: DarkDrift.from_file(  # noqa: E731
                path, area_m2=geo.area, thickness_m=geo.thickness, bias_V=f.bias, **c
            )
        elif key == "response":
            make = lambda path=path, s=sched, c=common: ResponseTime.from_file(  # noqa: E731
                path, schedule_path=s, **c
            )
        else:
            make = lambda path=path, c=common: RadiationStability.from_file(path, **c)  # noqa: E731
        out[key] = _run(key.replace("_", "-"), make, notes)
    return out
