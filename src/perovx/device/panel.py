"""From a fitted device to a flat panel: the ``perovx simulate`` chain with the device's film.

:func:`panel_config` takes a ``perovx simulate`` configuration (a TOML file, its parsed
tables, or the record's ``[panel]`` section) and fills its ``[detector]`` table with the
fitted device: material, thickness, bias of the X-ray measurement (unless the panel sets
its own), μτ of each carrier, resistivity and activation energy. The device's measured
behaviour enters the panel as follows (each a stated approximation):

* **photoconductive gain** G = μτ|V|/L² (ohmic contacts) at the panel's bias: the chain
  collects each pair at most once (trapping, ≈ Hecht), so the gain enters as an effective
  pair-creation energy W±·η_Hecht/G — the chain's collection times G/η_Hecht gives the
  device's G; signal and its quantum noise scale with it, the Fano part of the noise is
  then that of the effective W±;
* **measured excess noise** (beyond dark-current shot noise) of the device at its
  integration time τ: treated as a current noise proportional to the dark current
  (1/f), whose charge grows with the electrode area and the integration time, scaled to
  one pixel (``pitch² × fill factor``) and the panel's integration time, and added in
  quadrature to the panel's electronic noise;
* **lag**: the fitted lag fraction and lag time constant, unless the panel sets them.

The chain itself is :func:`perovx.readout.simulate.parse_config` and
:func:`~perovx.readout.simulate.simulate`, called through their public entry points.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perovx.errors import FileFormatError, InputError

if TYPE_CHECKING:
    import xarray

    from perovx.device.record import DeviceRecord
    from perovx.device.result import DeviceFit

__all__ = ["existing_outputs", "panel_config", "simulate_panel"]

#: [detector] keys the device sets from its fit (a panel file may still set the others).
DEVICE_KEYS = (
    "material",
    "thickness",
    "mu_tau_e",
    "mu_tau_h",
    "resistivity",
    "ion_activation_energy",
    "w_pair",
)


def _read(
    config: str | Path | dict[str, Any] | None, rec: DeviceRecord
) -> tuple[dict[str, Any], str, Path]:
    import tomllib

    if config is None:
        if rec.panel is None:
            raise InputError(
                f"{rec.source}: no [panel] section: give a panel configuration "
                "with --config PANEL.toml (a perovx simulate file)"
            )
        return dict(rec.panel), f"{rec.source} [panel]", Path(rec.base_dir)
    if isinstance(config, dict):
        return dict(config), "<dict>", Path.cwd()
    p = Path(config)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such panel configuration")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{p}: not valid TOML ({exc})") from None
    return data, str(p), p.parent


def panel_config(
    fit: DeviceFit, config: str | Path | dict[str, Any] | None = None
) -> tuple[dict[str, Any], str, Path, list[str]]:
    """The ``perovx simulate`` tables for a panel made of the fitted film.

    Returns
    -------
    (dict, str, Path, list of str)
        The tables, their source name, the folder relative paths are taken from, and
        notes saying how the device's parameters entered.
    """
    from perovx.device.physics import collection
    from perovx.materials import get_material

    data, source, base = _read(config, fit.record)
    rec = fit.record
    notes: list[str] = []
    det = dict(data.get("detector") or {})
    overridden = [k for k in DEVICE_KEYS if k in det]
    if overridden:
        notes.append(f"[detector] {', '.join(overridden)} replaced by the device's values")
    bias = det.get("bias")
    if bias is None:
        bias_V = fit.extra.get("operating_bias_V")
        if bias_V is None:
            raise InputError(
                f"{source}: [detector] bias is needed (the device has no X-ray "
                "response measurement to take it from)"
            )
        det["bias"] = f"{bias_V!r} V"
    else:
        from perovx.units import parse_quantity

        bias_V = parse_quantity(bias, "V", name="[detector] bias")
    det["material"] = rec.material
    det["thickness"] = f"{rec.geometry.thickness!r} m"
    det.setdefault("temperature", f"{rec.temperature!r} K")

    def val(name: str) -> float | None:
        p = fit.parameter(name)
        return None if p is None else p.value

    for key, name, unit in (
        ("mu_tau_e", "mu_tau_e", "m**2/V"),
        ("mu_tau_h", "mu_tau_h", "m**2/V"),
        ("resistivity", "resistivity", "ohm*m"),
        ("ion_activation_energy", "activation_energy", "eV"),
    ):
        v = val(name)
        if v is not None:
            det[key] = f"{v!r} {unit}"
    # the device's own dark current at the panel's bias and temperature (the chain's
    # resistivity is quoted at room temperature; the fit's at the record's temperature)
    rho, ea = val("resistivity"), val("activation_energy")
    if rho is not None and "dark_current_density" not in det:
        from perovx.device.physics import conductance
        from perovx.units import parse_quantity

        t_panel = parse_quantity(
            det["temperature"], "K", name="[detector] temperature", minimum=0.0, allow_zero=False
        )
        if ea is None and abs(t_panel - rec.temperature) > 0.01:
            raise InputError(
                f"{source}: [detector] temperature {t_panel:g} K differs from the "
                f"device's {rec.temperature:g} K and no activation energy is known"
            )
        g = float(
            conductance(
                rho,
                ea or 0.0,
                t_panel,
                reference_K=rec.temperature,
                factor_m=1.0 / rec.geometry.thickness,
            )
        )
        det["dark_current_density"] = f"{abs(bias_V) * g!r} A/m**2"
        notes.append(
            f"dark current density {abs(bias_V) * g * 1e5:.3g} nA/cm² from the fitted "
            f"ρ and Ea at {t_panel:g} K and {bias_V:g} V"
        )
    w = get_material(rec.material).w_pair()
    mt = val("mu_tau_h" if bias_V >= 0 else "mu_tau_e")
    if rec.contacts == "ohmic" and mt is not None:
        # the chain already collects each pair with trapping (≈ Hecht); the ohmic contacts
        # multiply that by photoconductive gain / Hecht collection = 1/(1 − e^(−1/x))
        drift = rec.geometry.drift_length_m
        gain = float(collection(mt, bias_V, drift_length_m=drift, contacts="ohmic"))
        hecht = float(collection(mt, bias_V, drift_length_m=drift, contacts="blocking"))
        extra = gain / hecht
        det["w_pair"] = f"{w / extra!r} eV"
        notes.append(
            f"photoconductive gain G = {gain:.3g} at {bias_V:g} V (ohmic contacts) enters as "
            f"an effective W± = W±·(Hecht collection)/G = {w:.3g}/{extra:.3g} = "
            f"{w / extra:.3g} eV on top of the chain's own charge collection"
        )
    data["detector"] = det

    panel = dict(data.get("panel") or {})
    lag, lag_tau = val("lag_fraction"), val("lag_time_constant")
    if lag is not None and "lag_fraction" not in panel:
        panel["lag_fraction"] = float(lag)
    if lag_tau is not None and "lag_time_constant" not in panel:
        panel["lag_time_constant"] = f"{lag_tau!r} s"
    excess = val("excess_noise_charge_e")
    tau = fit.extra.get("integration_time_s")
    if excess is not None and tau and "pitch" in panel and "integration_time" in panel:
        from perovx.units import parse_quantity

        pitch = parse_quantity(panel["pitch"], "m", name="[panel] pitch", minimum=0.0)
        t_int = parse_quantity(
            panel["integration_time"], "s", name="[panel] integration_time", minimum=0.0
        )
        ff = float(panel.get("fill_factor", 1.0))
        scale = (pitch**2 * ff / rec.geometry.area) * (t_int / tau)
        pixel_excess = excess * scale
        own = float(panel.get("electronic_noise", 0.0))
        panel["electronic_noise"] = math.hypot(own, pixel_excess)
        notes.append(
            f"device excess noise {excess:.3g} e⁻ at τ = {tau:g} s scaled to one pixel "
            f"and {t_int:g} s: {pixel_excess:.3g} e⁻, added in quadrature to the "
            f"panel's {own:g} e⁻"
        )
    data["panel"] = panel
    return data, source, base, notes


def existing_outputs(
    record: DeviceRecord,
    config: str | Path | dict[str, Any] | None = None,
    *,
    out: Path | None = None,
) -> list[Path]:
    """Output files of the panel simulation that already exist (checked before any fit).

    The configuration is parsed with the record's material, thickness and X-ray bias in
    ``[detector]`` — enough to know the output paths.
    """
    from perovx.readout.simulate import output_paths, parse_config

    data, source, base = _read(config, record)
    det = dict(data.get("detector") or {})
    det["material"] = record.material
    det["thickness"] = f"{record.geometry.thickness!r} m"
    xr = record.measurements.xray_response
    if "bias" not in det:
        if xr is None or xr.bias is None:
            return []  # the full run says that the bias is missing
        det["bias"] = f"{xr.bias!r} V"
    data["detector"] = det
    if out is not None:
        data["output"] = {**(data.get("output") or {}), "directory": str(Path(out).resolve())}
    cfg = parse_config(data, source=source, base_dir=base)
    return [p for p in output_paths(cfg) if p.exists()]


def simulate_panel(
    fit: DeviceFit,
    config: str | Path | dict[str, Any] | None = None,
    *,
    write: bool = True,
    overwrite: bool = False,
) -> xarray.DataArray:
    """Simulate the panel of :func:`panel_config`; the image's attrs gain ``device_notes``."""
    import json

    from perovx.readout.simulate import parse_config, simulate

    data, source, base, notes = panel_config(fit, config)
    cfg = parse_config(data, source=source, base_dir=base)
    image = simulate(cfg, write=write, overwrite=overwrite)
    image.attrs["device_notes"] = json.dumps(notes)
    return image
