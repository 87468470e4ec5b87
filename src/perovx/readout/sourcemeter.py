"""Synthetic source-meter measurements of a perovskite X-ray detector, with known truth.

The generator produces the raw files a lab records — current against time under a
stepped dose-rate schedule, I–V sweeps, photocurrent against bias, dark current against
temperature, long dark-current traces, beam on/off edges, sensitivity against accumulated
dose — from a small physical model of a detector (:class:`DeviceUnderTest`) read by an
instrument (:class:`SourceMeter`), both in :mod:`perovx.readout.device_model`:

* dark current: ohmic, ``I = V·A/(ρ(T)·d)`` with ``ρ(T) = ρ(T_ref)·exp(Ea/k·(1/T − 1/T_ref))``,
  plus a slow linear drift and an optional settling transient after the bias is applied;
  above the trap-filled-limit voltage the space-charge-limited current of Mott and
  Gurney, ``J = 9/8·ε·μ·V²/d³``;
* photocurrent: ``I = S(V)·Ḋ·A`` with ``S(V) = S_full·CCE(V)``, CCE from the Hecht
  equation ``x·(1 − exp(−1/x))``, ``x = μτV/d²``, optionally divided by Many's
  surface-recombination factor ``1 + s·d/(μ·V)``; an optional saturation
  ``I/(1 + I/I_sat)``; first-order rise and fall with a slow (lag) component;
* noise: the instrument's white noise floor, shot noise ``qI/τ`` of a reading
  integrated over τ, and 1/f noise ``S_I(f) = K·I²/f`` (FFT synthesis); readings are
  rounded to the instrument's resolution.

Each generator returns a :class:`SyntheticMeasurement` whose ``truth`` holds the values an
analysis should recover (SI, unit in each key) and which writes CSV or ``.xlsx`` files.
Every generator takes ``seed``; the same seed gives the same file.

The default device (:data:`DEMO_DEVICE`) is a 1 mm MA3Bi2I9 single-crystal detector with the
resistivity and ion-migration activation energy the review reports for that material;
its other parameters are round numbers of the right order, stated in the field docs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perovx.errors import InputError

if TYPE_CHECKING:
    import numpy as np

from perovx.readout.device_model import (
    CONTACTS,
    DEMO_DEVICE,
    DeviceUnderTest,
    SourceMeter,
    charge_collection_efficiency,
    dark_current,
)

__all__ = [
    "CONTACTS",
    "DEMO_DEVICE",
    "DeviceUnderTest",
    "SourceMeter",
    "SyntheticMeasurement",
    "arrhenius_measurement",
    "charge_collection_efficiency",
    "dark_current",
    "drift_measurement",
    "hecht_measurement",
    "iv_measurement",
    "response_measurement",
    "stability_measurement",
    "xray_response_measurement",
]

_Q = 1.602176634e-19  # elementary charge, C (SI 2019 exact)



@dataclass(frozen=True)
class SyntheticMeasurement:
    """A synthetic measurement: columns as a lab file would hold them, and the truth.

    Attributes
    ----------
    name
        What was measured (``"xray-response"`` ...).
    columns
        ``(header name, file unit, values in SI)`` per column; the file shows
        ``"name (unit)"`` headers and values in the file unit.
    truth
        Values an analysis should recover, SI, units in the keys.
    settings
        Conditions of the measurement (area, thickness, bias ...), SI, units in the keys.
    attachments
        Companion files (e.g. the dose-rate schedule of an X-ray response).
    """

    name: str
    columns: tuple[tuple[str, str, np.ndarray], ...] = field(repr=False)
    truth: Mapping[str, float] = field(default_factory=dict)
    settings: Mapping[str, float] = field(default_factory=dict)
    attachments: Mapping[str, SyntheticMeasurement] = field(default_factory=dict, repr=False)

    @property
    def headers(self) -> list[str]:
        """Header cells, ``"Time (s)"`` ..."""
        return [f"{n} ({u})" if u else n for n, u, _ in self.columns]

    def column(self, name: str) -> np.ndarray:
        """SI values of the column named ``name`` (without unit)."""
        for n, _, v in self.columns:
            if n == name:
                return v
        raise InputError(f"no column {name!r}; columns: {', '.join(n for n, _, _ in self.columns)}")

    def values_in_file_units(self) -> np.ndarray:
        """The table as written: rows × columns, each column in its file unit."""
        import numpy as np

        from perovx.units import ureg

        reg = ureg()
        cols = []
        for _, unit, si_values in self.columns:
            if not unit:
                cols.append(np.asarray(si_values, float))
                continue
            q = reg.Quantity(np.asarray(si_values, float), _si_of(unit))
            cols.append(q.to(unit.replace("°C", "degC").replace("µ", "u")).magnitude)
        return np.column_stack(cols)

    def write_csv(
        self,
        path: str | Path,
        *,
        delimiter: str = ",",
        comments: Sequence[str] = (),
        preamble: Sequence[str] = (),
        headers: Sequence[str] | None = None,
        decimal: str = ".",
        digits: int = 6,
    ) -> Path:
        """Write a text table: comments, preamble, a header with units, the rows.

        Parameters
        ----------
        path
            Output file.
        delimiter
            Column delimiter (``","``, ``"\\t"``, ``";"``).
        comments
            Lines written first, each prefixed with ``# ``.
        preamble
            Lines written as they are after the comments (instrument settings).
        headers
            Header cells to write instead of :attr:`headers` (same units!).
        decimal
            Decimal separator (``","`` for a European export; not with a comma delimiter).
        digits
            Significant digits of each number.
        """
        if decimal == delimiter:
            raise InputError(f"decimal separator {decimal!r} equals the delimiter")
        p = Path(path)
        data = self.values_in_file_units()
        heads = list(self.headers if headers is None else headers)
        if len(heads) != data.shape[1]:
            raise InputError(f"{len(heads)} headers for {data.shape[1]} columns")
        lines = [f"# {c}" for c in comments] + list(preamble)
        lines.append(delimiter.join(heads))
        fmt = f"{{:.{digits}g}}"
        lines.extend(
            delimiter.join(fmt.format(x).replace(".", decimal) for x in row) for row in data
        )
        from perovx.io.atomic import write_text

        return write_text(p, "\n".join(lines) + "\n", overwrite=True, what="CSV table")

    def write_xlsx(
        self,
        path: str | Path,
        *,
        sheet: str = "data",
        preamble: Sequence[str] = (),
        headers: Sequence[str] | None = None,
        digits: int = 6,
    ) -> Path:
        """Write an Excel workbook with one sheet: preamble rows, header with units, the rows."""
        import openpyxl

        p = Path(path)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        for line in preamble:
            ws.append([line])
        ws.append(list(self.headers if headers is None else headers))
        for row in self.values_in_file_units():
            ws.append([float(f"{x:.{digits}g}") for x in row])
        from perovx.io.atomic import atomic_path

        with atomic_path(p, overwrite=True, what="Excel workbook") as tmp:
            wb.save(tmp)
        return p


def _si_of(unit: str) -> str:
    """The SI unit of the same dimension as ``unit`` (for converting SI values to it)."""
    from perovx.units import ureg

    reg = ureg()
    u = reg.parse_units(unit.replace("°C", "degC").replace("µ", "u"))
    if u == reg.degC:
        return "K"
    return str(reg.Quantity(1.0, u).to_base_units().units)


# ---------------------------------------------------------------------------------------
# noise
# ---------------------------------------------------------------------------------------


def _pink(n: int, dt: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean noise with one-sided spectral density 1/f (per unit coefficient)."""
    import numpy as np

    if n < 4:
        return np.zeros(n)
    f = np.fft.rfftfreq(n, dt)
    psd = np.zeros_like(f)
    psd[1:] = 1.0 / f[1:]
    c = np.sqrt(psd * n / (4.0 * dt))
    spec = c * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    spec[0] = 0.0
    if n % 2 == 0:
        spec[-1] = spec[-1].real * math.sqrt(2.0)
    return np.fft.irfft(spec, n)


def _read(
    current: np.ndarray,
    device: DeviceUnderTest,
    meter: SourceMeter,
    rng: np.random.Generator,
) -> np.ndarray:
    """Add white floor, shot and 1/f noise to ``current`` (A) and round to the resolution."""
    import numpy as np

    dt = meter.sample_interval_s
    white = np.sqrt(meter.noise_floor_A**2 + _Q * np.abs(current) / dt)
    noisy = current + white * rng.standard_normal(current.size)
    if device.flicker_coefficient > 0:
        noisy = noisy + math.sqrt(device.flicker_coefficient) * np.abs(current) * _pink(
            current.size, dt, rng
        )
    if meter.resolution_A > 0:
        noisy = np.round(noisy / meter.resolution_A) * meter.resolution_A
    return noisy


def _noise_sigma(
    current_A: float, device: DeviceUnderTest, meter: SourceMeter, window_s: float
) -> float:
    """RMS noise of one reading after removing trends slower than ``1/window_s``, A."""
    dt = meter.sample_interval_s
    white2 = meter.noise_floor_A**2 + _Q * abs(current_A) / dt
    f_lo, f_hi = 1.0 / window_s, 1.0 / (2.0 * dt)
    flick2 = device.flicker_coefficient * current_A**2 * math.log(max(f_hi / f_lo, 1.0))
    return math.sqrt(white2 + flick2)


def _photo_response(target: np.ndarray, dt: float, device: DeviceUnderTest) -> np.ndarray:
    """First-order rise/fall of the fast part plus a slow (lag) part, sample by sample."""
    import numpy as np

    out = np.empty_like(target)
    fast = slow = 0.0
    a_rise = math.exp(-dt / device.rise_time_constant_s)
    a_fall = math.exp(-dt / device.fall_time_constant_s)
    a_slow = math.exp(-dt / device.lag_time_constant_s)
    f = device.lag_fraction
    for i, tg in enumerate(target):
        a = a_rise if tg >= fast else a_fall
        fast = tg + (fast - tg) * a
        slow = tg + (slow - tg) * a_slow
        out[i] = (1.0 - f) * fast + f * slow
    return out


def _saturate(i_photo: Any, device: DeviceUnderTest) -> Any:
    if device.saturation_current_A is None:
        return i_photo
    return i_photo / (1.0 + abs(i_photo) / device.saturation_current_A)


# ---------------------------------------------------------------------------------------
# generators
# ---------------------------------------------------------------------------------------


def xray_response_measurement(
    device: DeviceUnderTest = DEMO_DEVICE,
    *,
    bias_V: float = 50.0,
    dose_rates_Gy_per_s: Sequence[float] = (1.0e-7, 2.5e-7, 5.0e-7, 1.0e-6, 2.0e-6),
    on_s: float = 10.0,
    off_s: float = 10.0,
    lead_s: float = 10.0,
    meter: SourceMeter | None = None,
    seed: int = 0,
) -> SyntheticMeasurement:
    """Current against time under a stepped dose-rate schedule (beam on/off pulses).

    Parameters
    ----------
    device
        The detector.
    bias_V
        Bias, V.
    dose_rates_Gy_per_s
        Air-kerma rate of each beam-on period, Gy s⁻¹ (> 0), in order.
    on_s, off_s, lead_s
        Beam-on time, beam-off time after each pulse, and dark time before the first, s.
    meter
        The instrument (default 0.1 s readings, 0.1 pA floor).
    seed
        Random seed.

    Returns
    -------
    SyntheticMeasurement
        Columns time (s), current (nA), dose rate (µGy/s); attachment ``"schedule"``
        (t_on, t_off, dose rate). Truth: ``sensitivity_C_per_Gy_m2`` at this bias,
        ``dark_current_A``, ``dark_current_density_A_per_m2``, ``noise_A`` (per reading,
        trends slower than half the off time removed), ``lod_Gy_per_s`` (3 × noise /
        (A·S)), ``dose_rates_Gy_per_s``.
    """
    import numpy as np

    meter = meter or SourceMeter()
    rates = np.asarray(dose_rates_Gy_per_s, dtype=float)
    if rates.size == 0 or np.any(rates <= 0):
        raise InputError(f"dose rates must be > 0 Gy/s, got {list(rates)}")
    dt = meter.sample_interval_s
    total = lead_s + rates.size * (on_s + off_s)
    n = round(total / dt)
    t = np.arange(n) * dt
    dose = np.zeros(n)
    schedule = []
    for k, r in enumerate(rates):
        t_on = lead_s + k * (on_s + off_s)
        t_off = t_on + on_s
        dose[(t >= t_on - 1e-9 * dt) & (t < t_off - 1e-9 * dt)] = r
        schedule.append((t_on, t_off, r))
    s = device.full_sensitivity_C_per_Gy_m2 * float(charge_collection_efficiency(device, bias_V))
    i_dark0 = float(dark_current(device, bias_V))
    rng = np.random.default_rng(seed)
    i_dark = i_dark0 * (1.0 + device.drift_per_s * t)
    if device.settle_fraction:
        i_dark = i_dark + i_dark0 * device.settle_fraction * np.exp(-t / device.settle_time_s)
    i_photo = _saturate(_photo_response(s * dose * device.area_m2, dt, device), device)
    current = _read(i_dark + np.sign(bias_V) * np.abs(i_photo), device, meter, rng)
    noise = _noise_sigma(i_dark0, device, meter, off_s / 2)
    sched = np.array(schedule)
    return SyntheticMeasurement(
        name="xray-response",
        columns=(("Time", "s", t), ("Current", "nA", current), ("Dose rate", "uGy/s", dose)),
        truth={
            "sensitivity_C_per_Gy_m2": s,
            "dark_current_A": i_dark0,
            "dark_current_density_A_per_m2": i_dark0 / device.area_m2,
            "noise_A": noise,
            "lod_Gy_per_s": 3.0 * noise / (device.area_m2 * s),
        },
        settings={
            "area_m2": device.area_m2,
            "thickness_m": device.thickness_m,
            "bias_V": bias_V,
            "sample_interval_s": dt,
        },
        attachments={
            "schedule": SyntheticMeasurement(
                name="schedule",
                columns=(
                    ("t_on", "s", sched[:, 0]),
                    ("t_off", "s", sched[:, 1]),
                    ("Dose rate", "uGy/s", sched[:, 2]),
                ),
            )
        },
    )


def iv_measurement(
    device: DeviceUnderTest = DEMO_DEVICE,
    *,
    max_bias_V: float = 100.0,
    min_bias_V: float = 0.1,
    points_per_decade: int = 20,
    trap_filling_exponent: float = 8.0,
    relative_noise: float = 0.01,
    meter: SourceMeter | None = None,
    seed: int = 0,
) -> SyntheticMeasurement:
    """Dark I–V sweep, log-spaced in both polarities: ohmic, trap filling, Child.

    The current density is ohmic, ``V/(ρd)``, up to ``V_TFL = e·n_t·d²/(2ε)``; above it
    it rises as ``(V/V_TFL)^m`` (``m = trap_filling_exponent``) until it meets the
    Mott–Gurney law ``9/8·ε·μ·V²/d³``, which it then follows. The kink at ``V_TFL`` is
    where the ohmic and trap-filling lines meet in a log–log plot, the convention of
    :mod:`perovx.metrics.lab.iv`.

    Returns
    -------
    SyntheticMeasurement
        Columns voltage (V), current (A). Truth: ``resistivity_ohm_m``,
        ``trap_filled_limit_V``, ``trap_density_per_m3``, ``mobility_m2_per_Vs``.
    """
    import numpy as np

    meter = meter or SourceMeter(noise_floor_A=5e-15)
    ndec = math.log10(max_bias_V / min_bias_V)
    v_pos = np.logspace(
        math.log10(min_bias_V), math.log10(max_bias_V), round(ndec * points_per_decade) + 1
    )
    v = np.concatenate([-v_pos[::-1], v_pos])
    d = device.thickness_m
    eps = device.permittivity_F_per_m
    vt = device.trap_filled_limit_V
    av = np.abs(v)
    j_ohm = av / (device.resistivity_ohm_m * d)
    j_child = 9.0 / 8.0 * eps * device.mobility_m2_per_Vs * av**2 / d**3
    j_tfl = vt / (device.resistivity_ohm_m * d) * (av / vt) ** trap_filling_exponent
    j = np.where(av < vt, j_ohm, np.maximum(j_ohm, np.minimum(j_tfl, j_child)))
    rng = np.random.default_rng(seed)
    i = np.sign(v) * j * device.area_m2
    i = i * (1 + relative_noise * rng.standard_normal(i.size))
    i = i + meter.noise_floor_A * rng.standard_normal(i.size)
    return SyntheticMeasurement(
        name="iv",
        columns=(("Voltage", "V", v), ("Current", "A", i)),
        truth={
            "resistivity_ohm_m": device.resistivity_ohm_m,
            "trap_filled_limit_V": vt,
            "trap_density_per_m3": device.trap_density_per_m3,
            "mobility_m2_per_Vs": device.mobility_m2_per_Vs,
        },
        settings={
            "area_m2": device.area_m2,
            "thickness_m": device.thickness_m,
            "relative_permittivity": device.relative_permittivity,
        },
    )


def hecht_measurement(
    device: DeviceUnderTest = DEMO_DEVICE,
    *,
    biases_V: Sequence[float] | None = None,
    dose_rate_Gy_per_s: float = 5.0e-6,
    relative_noise: float = 0.01,
    meter: SourceMeter | None = None,
    seed: int = 0,
) -> SyntheticMeasurement:
    """Dark and X-ray currents against bias, both polarities (steady state).

    Parameters
    ----------
    biases_V
        Biases, V (default ±2 … ±300 V, 14 per polarity, log-spaced).
    dose_rate_Gy_per_s
        Air-kerma rate during the X-ray readings, Gy s⁻¹.
    relative_noise
        Relative RMS noise of each (averaged) current reading.

    Returns
    -------
    SyntheticMeasurement
        Columns bias (V), dark current (nA), current under X-rays (nA). Truth:
        ``mu_tau_positive_m2_per_V`` (holes), ``mu_tau_negative_m2_per_V`` (electrons),
        ``saturation_photocurrent_A``, ``surface_recombination_ratio_V_per_m``.
    """
    import numpy as np

    meter = meter or SourceMeter()
    if biases_V is None:
        pos = np.round(np.logspace(math.log10(2.0), math.log10(300.0), 14), 1)
        biases = np.concatenate([-pos[::-1], pos])
    else:
        biases = np.asarray(biases_V, dtype=float)
    rng = np.random.default_rng(seed)
    i_sat = device.full_sensitivity_C_per_Gy_m2 * dose_rate_Gy_per_s * device.area_m2
    photo = np.sign(biases) * i_sat * charge_collection_efficiency(device, biases)
    dark = dark_current(device, biases)
    floor = meter.noise_floor_A
    dark_m = dark * (1 + relative_noise * rng.standard_normal(dark.size))
    dark_m = dark_m + floor * rng.standard_normal(dark.size)
    xray_m = (dark + photo) * (1 + relative_noise * rng.standard_normal(dark.size))
    xray_m = xray_m + floor * rng.standard_normal(dark.size)
    return SyntheticMeasurement(
        name="hecht",
        columns=(
            ("Bias", "V", biases),
            ("Dark current", "nA", dark_m),
            ("Current under X-rays", "nA", xray_m),
        ),
        truth={
            "mu_tau_positive_m2_per_V": device.mu_tau_h_m2_per_V,
            "mu_tau_negative_m2_per_V": device.mu_tau_e_m2_per_V,
            "saturation_photocurrent_A": i_sat,
            "surface_recombination_ratio_V_per_m": device.surface_recombination_ratio_V_per_m,
        },
        settings={
            "area_m2": device.area_m2,
            "thickness_m": device.thickness_m,
            "dose_rate_Gy_per_s": dose_rate_Gy_per_s,
        },
    )


def arrhenius_measurement(
    device: DeviceUnderTest = DEMO_DEVICE,
    *,
    temperatures_K: Sequence[float] | None = None,
    bias_V: float = 10.0,
    relative_noise: float = 0.02,
    seed: int = 0,
) -> SyntheticMeasurement:
    """Dark current against temperature at a fixed bias.

    Parameters
    ----------
    temperatures_K
        Temperatures, K (default 15–75 °C in 5 K steps); written in °C.
    bias_V
        Bias, V.
    relative_noise
        Relative RMS noise of each reading.

    Returns
    -------
    SyntheticMeasurement
        Columns temperature (°C), dark current (pA). Truth: ``activation_energy_eV``.
    """
    import numpy as np

    temps = (
        np.arange(15.0, 76.0, 5.0) + 273.15
        if temperatures_K is None
        else np.asarray(temperatures_K, dtype=float)
    )
    rng = np.random.default_rng(seed)
    i = dark_current(device, bias_V, temperature_K=temps)
    i = i * np.exp(relative_noise * rng.standard_normal(i.size))
    return SyntheticMeasurement(
        name="arrhenius",
        columns=(("Temperature", "°C", temps), ("Dark current", "pA", i)),
        truth={"activation_energy_eV": device.activation_energy_eV},
        settings={"bias_V": bias_V, "area_m2": device.area_m2, "thickness_m": device.thickness_m},
    )


def drift_measurement(
    device: DeviceUnderTest = DEMO_DEVICE,
    *,
    bias_V: float = 100.0,
    duration_s: float = 3600.0,
    meter: SourceMeter | None = None,
    seed: int = 0,
) -> SyntheticMeasurement:
    """A long dark-current trace at constant bias (drift, settling, noise).

    Returns
    -------
    SyntheticMeasurement
        Columns time (s), dark current (pA). Truth: ``drift_rate_A_per_s`` (slope of the
        linear drift), ``normalised_drift_A_per_m_s_V`` (slope / (area × field)),
        ``dark_current_A`` (at the start, without the settling transient).
    """
    import numpy as np

    meter = meter or SourceMeter(sample_interval_s=3.0)
    dt = meter.sample_interval_s
    t = np.arange(round(duration_s / dt)) * dt
    i0 = float(dark_current(device, bias_V))
    i = i0 * (1.0 + device.drift_per_s * t)
    if device.settle_fraction:
        i = i + i0 * device.settle_fraction * np.exp(-t / device.settle_time_s)
    rng = np.random.default_rng(seed)
    current = _read(i, device, meter, rng)
    rate = i0 * device.drift_per_s
    field_V_per_m = bias_V / device.thickness_m
    return SyntheticMeasurement(
        name="drift",
        columns=(("Time", "s", t), ("Dark current", "pA", current)),
        truth={
            "drift_rate_A_per_s": rate,
            "normalised_drift_A_per_m_s_V": rate / (device.area_m2 * field_V_per_m),
            "dark_current_A": i0,
        },
        settings={
            "area_m2": device.area_m2,
            "thickness_m": device.thickness_m,
            "bias_V": bias_V,
            "sample_interval_s": dt,
        },
    )


def response_measurement(
    device: DeviceUnderTest = DEMO_DEVICE,
    *,
    bias_V: float = 50.0,
    dose_rate_Gy_per_s: float = 5.0e-6,
    n_pulses: int = 2,
    on_s: float = 1.0,
    off_s: float = 3.0,
    lead_s: float = 0.5,
    lag_after_s: float = 1.0,
    meter: SourceMeter | None = None,
    oversample: int = 20,
    seed: int = 0,
) -> SyntheticMeasurement:
    """Beam on/off pulses sampled fast, for rise and fall times and lag.

    The photocurrent is simulated on a grid ``oversample`` times finer than the
    readings and read point by point.

    Returns
    -------
    SyntheticMeasurement
        Columns time (s), current (nA). Truth (from the noiseless model of the first
        pulse, 10 % and 90 % of the step between the dark level at beam on and the mean
        of the last half of the beam-on time): ``rise_time_s``, ``fall_time_s``, and
        ``lag`` (fraction of the step left ``lag_after_s`` after beam off).
    """
    import numpy as np

    meter = meter or SourceMeter(sample_interval_s=0.005, noise_floor_A=2e-13)
    dt = meter.sample_interval_s
    fine = dt / oversample
    total = lead_s + n_pulses * (on_s + off_s)
    nf = round(total / fine)
    tf = np.arange(nf) * fine
    dose = np.zeros(nf)
    for k in range(n_pulses):
        t_on = lead_s + k * (on_s + off_s)
        dose[(tf >= t_on - 1e-9) & (tf < t_on + on_s - 1e-9)] = dose_rate_Gy_per_s
    s = device.full_sensitivity_C_per_Gy_m2 * float(charge_collection_efficiency(device, bias_V))
    photo_f = _saturate(_photo_response(s * dose * device.area_m2, fine, device), device)
    # truth from the noiseless first pulse
    on0, off0 = lead_s, lead_s + on_s
    base = float(np.interp(on0 - fine, tf, photo_f))
    late = (tf >= on0 + on_s / 2) & (tf < off0)
    top = float(photo_f[late].mean())
    step = top - base

    def _cross(level: float, start: float, stop: float, rising: bool) -> float:
        sel = (tf >= start) & (tf < stop)
        tt, yy = tf[sel], (photo_f[sel] - base) / step
        k = np.flatnonzero(yy >= level) if rising else np.flatnonzero(yy <= level)
        j = int(k[0])
        return float(
            np.interp(
                level,
                [yy[j - 1], yy[j]] if rising else [yy[j], yy[j - 1]],
                [tt[j - 1], tt[j]] if rising else [tt[j], tt[j - 1]],
            )
        )

    rise = _cross(0.9, on0, off0, True) - _cross(0.1, on0, off0, True)
    fall = _cross(0.1, off0, off0 + off_s, False) - _cross(0.9, off0, off0 + off_s, False)
    lag = (float(np.interp(off0 + lag_after_s, tf, photo_f)) - base) / step
    step_idx = oversample
    t = tf[::step_idx]
    i_photo = photo_f[::step_idx]
    i0 = float(dark_current(device, bias_V))
    rng = np.random.default_rng(seed)
    current = _read(i0 + np.sign(bias_V) * i_photo, replace(device, drift_per_s=0.0), meter, rng)
    return SyntheticMeasurement(
        name="response",
        columns=(("Time", "s", t), ("Current", "nA", current)),
        truth={"rise_time_s": rise, "fall_time_s": fall, "lag": lag, "lag_after_s": lag_after_s},
        settings={
            "bias_V": bias_V,
            "dose_rate_Gy_per_s": dose_rate_Gy_per_s,
            "sample_interval_s": dt,
        },
    )


def stability_measurement(
    *,
    sensitivity_C_per_Gy_m2: float = 19.47,
    doses_Gy: Sequence[float] | None = None,
    dose_to_90_percent_Gy: float | None = 18.0,
    relative_noise: float = 0.005,
    seed: int = 0,
) -> SyntheticMeasurement:
    """Sensitivity measured repeatedly against accumulated air-kerma dose.

    The sensitivity decays exponentially, ``S(D) = S₀·exp(−D/D_e)`` with
    ``D_e = D₉₀/ln(1/0.9)`` so that it reaches 90 % at ``dose_to_90_percent_Gy``
    (``None``: no loss).

    Returns
    -------
    SyntheticMeasurement
        Columns accumulated dose (mGy), sensitivity (µC Gy⁻¹ cm⁻²). Truth:
        ``dose_to_90_percent_Gy`` (``inf`` without loss), ``initial_sensitivity_C_per_Gy_m2``.
    """
    import numpy as np

    doses = np.linspace(0.0, 30.0, 16) if doses_Gy is None else np.asarray(doses_Gy, float)
    rng = np.random.default_rng(seed)
    if dose_to_90_percent_Gy is None:
        rel = np.ones_like(doses)
    else:
        rel = np.exp(-doses * math.log(1 / 0.9) / dose_to_90_percent_Gy)
    sens = sensitivity_C_per_Gy_m2 * rel * (1 + relative_noise * rng.standard_normal(doses.size))
    return SyntheticMeasurement(
        name="stability",
        columns=(("Accumulated dose", "mGy", doses), ("Sensitivity", "uC/Gy/cm**2", sens)),
        truth={
            "dose_to_90_percent_Gy": (
                math.inf if dose_to_90_percent_Gy is None else dose_to_90_percent_Gy
            ),
            "initial_sensitivity_C_per_Gy_m2": sensitivity_C_per_Gy_m2,
        },
    )
