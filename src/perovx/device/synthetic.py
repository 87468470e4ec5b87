"""A synthetic measured device with known truth: record and lab files from the source meter.

:func:`write_synthetic_device` draws the seven lab measurements of one
:class:`~perovx.readout.sourcemeter.DeviceUnderTest` with the source-meter simulator and
writes them with a device record, so that :func:`perovx.device.fit.fit_record` can be
checked against the parameters that made the files. The device's full sensitivity (every
pair collected once) is the interaction stage's ``S_abs`` for its material, thickness and
beam, as in the fit's model.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from perovx.errors import FileFormatError

__all__ = ["EXAMPLE_TRUTH", "example_device_under_test", "write_synthetic_device"]

#: The example device: a 1 mm Cs3Bi2I9 pellet with ohmic contacts, read at 100 V, RQA5.
#: Round numbers of the right order for Cs3Bi2I9 (review Table 1 lists ρ of 1e9–1e12
#: Ω cm and μτ of 1e-4–2e-3 cm² V⁻¹ for its crystals); chosen, not measured values.
EXAMPLE_TRUTH: dict[str, Any] = {
    "material": "Cs3Bi2I9",
    "beam": "RQA5",
    "contacts": "ohmic",
    "thickness_m": 1.0e-3,
    "area_m2": 4.0e-6,
    "temperature_K": 300.0,
    "resistivity_ohm_m": 2.0e8,
    "activation_energy_eV": 0.55,
    "mu_tau_h_m2_per_V": 2.0e-8,
    "mu_tau_e_m2_per_V": 8.0e-9,
    "bias_V": 100.0,
    "rise_time_constant_s": 0.03,
    "fall_time_constant_s": 0.05,
    "lag_fraction": 0.05,
    "lag_time_constant_s": 0.4,
    "drift_per_s": 1.0e-5,
    "dose_to_90_percent_Gy": 18.0,
}


def example_device_under_test(truth: dict[str, Any] | None = None) -> Any:
    """The :class:`DeviceUnderTest` of ``truth`` (default :data:`EXAMPLE_TRUTH`)."""
    from perovx.device.physics import absorption_limited_sensitivity
    from perovx.readout.sourcemeter import DeviceUnderTest

    t = {**EXAMPLE_TRUTH, **(truth or {})}
    s0, frac, _ = absorption_limited_sensitivity(t["material"], t["thickness_m"], t["beam"])
    return DeviceUnderTest(
        area_m2=t["area_m2"],
        thickness_m=t["thickness_m"],
        resistivity_ohm_m=t["resistivity_ohm_m"],
        activation_energy_eV=t["activation_energy_eV"],
        reference_temperature_K=t["temperature_K"],
        full_sensitivity_C_per_Gy_m2=s0 * frac,
        mu_tau_h_m2_per_V=t["mu_tau_h_m2_per_V"],
        mu_tau_e_m2_per_V=t["mu_tau_e_m2_per_V"],
        rise_time_constant_s=t["rise_time_constant_s"],
        fall_time_constant_s=t["fall_time_constant_s"],
        lag_fraction=t["lag_fraction"],
        lag_time_constant_s=t["lag_time_constant_s"],
        drift_per_s=t["drift_per_s"],
        contacts=t["contacts"],
        saturation_current_A=t.get("saturation_current_A"),
    )


def _atomic_csv(measurement: Any, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        measurement.write_csv(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_RECORD = """# perovx device record: a {material} pellet with {contacts} contacts
# (synthetic, seed {seed}).
#
#   perovx device fit {name} --json --plot fit.png
#   perovx device simulate {name} --config panel.toml
#
# Made by examples/device/make_example.py from known parameters with the source-meter
# simulator (perovx.readout.sourcemeter). Quantities are text with a unit; a bare number
# is read in SI. Paths are relative to this file.

title = "{title}"
material = "{material}"        # database id/name (perovx materials list) or a formula
contacts = "{contacts}"              # ohmic (injecting: gain possible) | blocking (gain 1)
temperature = "{temperature_K:g} K"        # temperature of the measurements; rho is quoted here

[geometry]
layout = "vertical"             # vertical (sandwich) | planar (then gap, fingers, finger_length)
thickness = "{thickness_mm:g} mm"
area = "{area_mm2:g} mm2"

# Any subset of the seven lab analyses. columns = {{ kind = "header" }} maps headers the
# reader does not recognise; units = {{ kind = "nA" }} gives units a header lacks.
[measurements.xray_response]
file = "xray_response.csv"
bias = "{bias_V:g} V"                 # sign: potential of the irradiated electrode
beam = "{beam}"                  # the beam of this measurement (S0, S/S0, absorption)
integration_time = "0.1 s"      # integration time of the noise (and LoD) estimate

[measurements.iv]
file = "iv.csv"

[measurements.hecht]
file = "hecht.csv"
beam = "{beam}"
dose_rate = "5 uGy/s"

[measurements.arrhenius]
file = "arrhenius.csv"
bias = "10 V"

[measurements.drift]
file = "drift.csv"
bias = "100 V"

[measurements.response]
file = "response.csv"
bias = "{bias_V:g} V"

[measurements.stability]
file = "stability.csv"
"""


def write_synthetic_device(
    folder: str | Path,
    *,
    seed: int = 0,
    truth: dict[str, Any] | None = None,
    name: str = "device.toml",
    title: str = "",
) -> tuple[Path, dict[str, Any]]:
    """Write a device record and its seven lab files, drawn from known parameters.

    Parameters
    ----------
    folder
        Existing folder; no file in it is overwritten.
    seed
        Seed of every measurement (each file gets its own stream from it).
    truth
        Overrides of :data:`EXAMPLE_TRUTH` (SI, units in the keys).
    name
        File name of the record.
    title
        Title written in the record.

    Returns
    -------
    (Path, dict)
        The record's path and the truth: the parameters, plus ``sensitivity_C_per_Gy_m2``,
        ``gain`` and ``noise_A`` at the operating bias.
    """
    import numpy as np

    from perovx.readout import sourcemeter as sm

    folder = Path(folder)
    if not folder.is_dir():
        raise FileFormatError(f"{folder}: no such folder")
    t = {**EXAMPLE_TRUTH, **(truth or {})}
    dut = example_device_under_test(t)
    seeds = np.random.SeedSequence(seed).generate_state(7)
    bias = t["bias_V"]
    xr = sm.xray_response_measurement(dut, bias_V=bias, seed=int(seeds[0]))
    s = float(xr.truth["sensitivity_C_per_Gy_m2"])
    files = {
        "xray_response.csv": xr,
        "iv.csv": sm.iv_measurement(dut, seed=int(seeds[1])),
        "hecht.csv": sm.hecht_measurement(dut, dose_rate_Gy_per_s=5e-6, seed=int(seeds[2])),
        "arrhenius.csv": sm.arrhenius_measurement(dut, bias_V=10.0, seed=int(seeds[3])),
        "drift.csv": sm.drift_measurement(dut, bias_V=100.0, seed=int(seeds[4])),
        "response.csv": sm.response_measurement(dut, bias_V=bias, seed=int(seeds[5])),
        "stability.csv": sm.stability_measurement(
            sensitivity_C_per_Gy_m2=s,
            dose_to_90_percent_Gy=t["dose_to_90_percent_Gy"],
            seed=int(seeds[6]),
        ),
    }
    paths = [folder / n for n in (*files, name)]
    existing = [str(p) for p in paths if p.exists()]
    if existing:
        raise FileFormatError(
            f"{existing[0]}: exists; write the synthetic device to an empty folder"
        )
    for n, m in files.items():
        _atomic_csv(m, folder / n)
    text = _RECORD.format(
        seed=seed,
        name=name,
        title=title or f"synthetic {t['material']} pellet, seed {seed}",
        material=t["material"],
        contacts=t["contacts"],
        temperature_K=t["temperature_K"],
        thickness_mm=t["thickness_m"] * 1e3,
        area_mm2=t["area_m2"] * 1e6,
        bias_V=bias,
        beam=t["beam"],
    )
    rec = folder / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, rec)
    x = bias * t["mu_tau_h_m2_per_V" if bias >= 0 else "mu_tau_e_m2_per_V"] / t["thickness_m"] ** 2
    out = dict(t)
    out.update(
        {
            "sensitivity_C_per_Gy_m2": s,
            "gain": x if t["contacts"] == "ohmic" else 1.0,
            "noise_A": float(xr.truth["noise_A"]),
            "lod_Gy_per_s": float(xr.truth["lod_Gy_per_s"]),
            "full_sensitivity_C_per_Gy_m2": dut.full_sensitivity_C_per_Gy_m2,
        }
    )
    return rec, out
