"""One model of a measured device, fitted to all its lab files together.

:func:`fit_record` runs each lab analysis the record has a file for (through the
analyses' public classes), then fits the device model of :mod:`perovx.device.physics`:

* **dark block** — ρ(T_ref) and Ea, shared by the ohmic part of the I–V sweep, the
  Arrhenius series and the dark currents of the X-ray-response and drift runs, fitted
  in log space;
* **photo block** — μτ of holes and electrons (and with them the photoconductive gain for
  ohmic contacts), shared by the Hecht sweep (photocurrent vs bias, both polarities) and
  the beam-on steps of the X-ray response, with ``S_abs`` from the interaction stage;
* **response** — the beam on/off trace fitted with a two-component first-order response:
  rise and fall time constants of the fast part, lag fraction and lag time constant;
* **noise** — the measured noise at the measured integration time, split into the
  dark-current shot noise of the model and the excess the device adds;
* **drift** and **stability** — the relative drift rate and the dose to 90 % sensitivity,
  taken from their analyses.

The dark and photo blocks are one ``lmfit`` least-squares problem. Points whose files give
no uncertainty get one per block from their scatter about the model (two passes); the
X-ray-response steps and single dark currents carry the analyses' own uncertainties. A
parameter that no file constrains is taken from the database row and labelled so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perovx.device.analyses import run_analyses
from perovx.device.physics import (
    ELEMENTARY_CHARGE_C,
    absorption_limited_sensitivity,
    collection,
    conductance,
)
from perovx.device.response import fit_response
from perovx.device.result import DeviceFit, OperatingPoint, Parameter
from perovx.errors import FitError, InputError, PerovxError

if TYPE_CHECKING:
    from perovx.device.record import DeviceRecord

__all__ = ["fit_record"]


@dataclass
class _Block:
    """Points of one measurement entering the joint fit."""

    name: str  # analysis name
    kind: str  # "dark" (log conductance) or "photo" (current, A)
    x: dict[str, Any]  # conditions arrays: bias_V, temperature_K, dose_rate_Gy_per_s
    y: Any  # measured values (ln G for dark, photocurrent A or J A/m² for photo)
    sigma: Any  # standard uncertainty of y (None: estimated from scatter)
    own_sigma: bool
    s_abs: float = math.nan  # C Gy⁻¹ m⁻² (photo)
    per_area: bool = False  # photo values are current densities
    labels: list[str] = field(default_factory=list)
    used: Any = None  # bool mask of points in the fit


def _db(material: Any, attr: str) -> tuple[float, str] | None:
    v = getattr(material, attr)
    if v is None:
        return None
    return float(v.value), f"database: {material.name}" + (f" ({v.source})" if v.source else "")


def fit_record(record: DeviceRecord) -> DeviceFit:
    """Fit one model of the device to every measurement of ``record``.

    Returns
    -------
    DeviceFit
        Parameters (value, uncertainty, source), the reconciliation of every measured
        operating point, explanations and notes.

    Raises
    ------
    InputError, FileFormatError
        A file cannot be read or analysed (message names the file).
    FitError
        The record has no measurement that constrains anything.
    """
    import lmfit
    import numpy as np

    from perovx.materials import get_material

    notes: list[str] = []
    material = get_material(record.material)
    try:
        w_pair = material.w_pair()
    except PerovxError as exc:
        raise InputError(f"{record.source}: material: {exc}") from None
    geo = record.geometry
    t_ref = record.temperature
    L = geo.drift_length_m
    factor = geo.conduction_factor_m
    contacts = record.contacts
    meas = record.measurements
    results = run_analyses(record, w_pair, notes)
    if contacts == "ohmic" and "hecht" in results and results["hecht"][1] is None:
        notes.append(
            "the Hecht analysis assumes blocking contacts (collection ≤ 1); with ohmic "
            "contacts the joint fit models the same sweep with photoconductive gain"
        )
    if not results:
        raise FitError(f"{record.source}: no measurement files: nothing to fit")

    blocks: list[_Block] = []
    # ---- dark block --------------------------------------------------------------
    if "iv" in results:
        a, r = results["iv"]
        v, i = np.asarray(a.voltage_V), np.asarray(a.current_A)
        keep = (v != 0) & (i != 0) & (np.sign(v) == np.sign(i))
        vtfl = (
            None
            if r is None or r.trap_filled_limit_voltage is None
            else (r.trap_filled_limit_voltage.value)
        )
        if vtfl is not None and vtfl > 0:
            keep &= np.abs(v) < 0.7 * vtfl
            notes.append(
                f"I–V: points below 0.7 × V_TFL = {0.7 * vtfl:.3g} V (ohmic region) "
                "enter the dark fit"
            )
        if keep.sum() >= 2:
            blocks.append(
                _Block(
                    "iv",
                    "dark",
                    {
                        "bias_V": v[keep],
                        "temperature_K": np.full(keep.sum(), meas.iv.temperature or t_ref),
                    },
                    np.log(i[keep] / v[keep]),
                    None,
                    False,
                )
            )
    if "arrhenius" in results:
        a, _ = results["arrhenius"]
        f = meas.arrhenius
        q, vals = a.quantity, np.asarray(a.values, float)
        if q in ("current", "dark_current"):
            if f.bias is None:
                raise InputError(
                    f"{record.source}: measurements.arrhenius.bias: a current "
                    "series needs the bias it was measured at"
                )
            g = vals / abs(f.bias)
        elif q == "conductivity":
            g = vals * factor
        elif q == "resistivity":
            g = factor / vals
        elif q == "resistance":
            g = 1.0 / vals
        else:  # conductance
            g = vals
        tk = np.asarray(a.temperature_K, float)
        blocks.append(
            _Block(
                "arrhenius",
                "dark",
                {"bias_V": np.full(tk.size, f.bias or math.nan), "temperature_K": tk},
                np.log(g),
                None,
                False,
            )
        )
    for key, attr in (("xray_response", "dark_current"), ("drift", "dark_current_start")):
        if key in results and results[key][1] is not None:
            m = getattr(results[key][1], attr)
            f = getattr(meas, key)
            if m is not None and m.value != 0 and f.bias:
                tk = f.temperature or t_ref
                rel = (m.uncertainty or 0.0) / abs(m.value)
                # excess (1/f) noise and drift make a run's dark level uncertain by at least
                # the scatter of single readings, however many are averaged
                if key == "xray_response":
                    nc = results[key][1].noise_current
                    scatter = 0.0 if nc is None else nc.value
                else:
                    a = results[key][0]
                    tt, ii = np.asarray(a.time_s), np.asarray(a.current_A)
                    scatter = float(np.std(ii - np.polyval(np.polyfit(tt, ii, 1), tt), ddof=2))
                rel = math.hypot(rel, scatter / abs(m.value))
                blocks.append(
                    _Block(
                        key.replace("_", "-"),
                        "dark",
                        {"bias_V": np.array([f.bias]), "temperature_K": np.array([tk])},
                        np.array([math.log(abs(m.value) / abs(f.bias))]),
                        np.array([max(rel, 1e-4)]),
                        True,
                    )
                )
    # ---- photo block ---------------------------------------------------------------
    beams: dict[str, tuple[float, float, str]] = {}

    def s_abs_of(beam: str) -> float:
        if beam not in beams:
            try:
                beams[beam] = absorption_limited_sensitivity(material.name, geo.thickness, beam)
            except (PerovxError, ValueError) as exc:
                raise InputError(f"{record.source}: beam {beam!r}: {exc}") from None
        s0, frac, _ = beams[beam]
        return s0 * frac

    if "hecht" in results:
        a, _ = results["hecht"]
        f = meas.hecht
        v, sig = np.asarray(a.bias_V, float), np.asarray(a.signal, float)
        if a.signal_kind != "current":
            notes.append("Hecht file holds charges, not currents: left out of the joint fit")
        else:
            keep = v != 0
            blocks.append(
                _Block(
                    "hecht",
                    "photo",
                    {
                        "bias_V": v[keep],
                        "dose_rate_Gy_per_s": np.full(keep.sum(), f.dose_rate),
                        "temperature_K": np.full(keep.sum(), f.temperature or t_ref),
                    },
                    sig[keep],
                    None,
                    False,
                    s_abs=s_abs_of(f.beam),
                )
            )
            if not a.dark_subtracted:
                notes.append(
                    "Hecht file has no dark-current column: the currents are taken as photocurrents"
                )
    xr = results.get("xray_response")
    if xr is not None:
        a, r = xr
        f = meas.xray_response
        steps = r.steps
        rate = np.array([s["dose_rate_nGy_per_s"] * 1e-9 for s in steps])
        j = np.array([s["current_density_nA_per_cm2"] * 1e-5 for s in steps])
        uj = np.array([s["current_density_uncertainty_nA_per_cm2"] * 1e-5 for s in steps])
        used = np.array([bool(s["used_in_fit"]) for s in steps])
        # excess (1/f) noise does not average down over a plateau: a step's net current is
        # uncertain by at least the noise of one reading at the integration time
        if r.noise_current is not None:
            uj = np.sqrt(uj**2 + (r.noise_current.value / geo.area) ** 2)
        sign = 1.0 if f.bias >= 0 else -1.0
        blocks.append(
            _Block(
                "xray-response",
                "photo",
                {
                    "bias_V": np.full(rate.size, f.bias),
                    "dose_rate_Gy_per_s": rate,
                    "temperature_K": np.full(rate.size, f.temperature or t_ref),
                },
                sign * j,
                uj,
                True,
                s_abs=s_abs_of(f.beam),
                per_area=True,
                used=used,
            )
        )
        if not used.all():
            notes.append(
                f"{int((~used).sum())} X-ray-response step(s) outside the linear range "
                "are shown in the reconciliation but left out of the fit"
            )

    # ---- parameters ----------------------------------------------------------------
    dark_blocks = [b for b in blocks if b.kind == "dark"]
    photo_blocks = [b for b in blocks if b.kind == "photo"]
    temps = (
        np.concatenate([b.x["temperature_K"] for b in dark_blocks]) if dark_blocks else np.array([])
    )
    ea_free = temps.size > 1 and float(np.ptp(temps)) > 1.0
    polarities = {"h": False, "e": False}
    for b in photo_blocks:
        polarities["h"] |= bool(np.any(b.x["bias_V"] > 0))
        polarities["e"] |= bool(np.any(b.x["bias_V"] < 0))
    db = {
        "rho": _db(material, "resistivity_ohm_m"),
        "ea": _db(material, "activation_energy_eV"),
        "mt_h": _db(material, "mu_tau_h_m2_per_V"),
        "mt_e": _db(material, "mu_tau_e_m2_per_V"),
    }
    params = lmfit.Parameters()
    if dark_blocks:
        g0 = float(np.median(np.concatenate([b.y for b in dark_blocks])))
        params.add("ln_rho", value=math.log(factor) - g0)
    # Ea: fitted when the dark data span temperatures; else the database value; else 0
    # (then ρ is that of the measurements' temperature, said in a note)
    ea_start = db["ea"][0] if db["ea"] else (0.5 if ea_free else 0.0)
    if not ea_free and not db["ea"] and temps.size and np.any(np.abs(temps - t_ref) > 0.01):
        notes.append(
            f"no activation energy known: the resistivity is that at the measurements' "
            f"temperature ({float(temps[0]):g} K), not at {t_ref:g} K"
        )
    params.add("ea", value=ea_start, min=0.0, max=5.0, vary=ea_free)
    for c in ("h", "e"):
        start = db[f"mt_{c}"][0] if db[f"mt_{c}"] else 1e-8
        params.add(
            f"ln_mt_{c}",
            value=math.log(start),
            min=math.log(1e-20),
            max=math.log(1.0),
            vary=polarities[c],
        )
    # without dark data or a database ρ the dark current is unknown: the photocurrent
    # weights then leave it out (ln_rho is not used for anything else)
    dark_known = bool(dark_blocks) or db["rho"] is not None
    if not dark_blocks:
        params.add("ln_rho", value=math.log(db["rho"][0]) if db["rho"] else 0.0, vary=False)

    def predict(p: Any, b: _Block) -> Any:
        if b.kind == "dark":
            return np.log(
                conductance(
                    math.exp(p["ln_rho"]),
                    p["ea"],
                    b.x["temperature_K"],
                    reference_K=t_ref,
                    factor_m=factor,
                )
            )
        v = b.x["bias_V"]
        mt = np.where(v >= 0, math.exp(p["ln_mt_h"]), math.exp(p["ln_mt_e"]))
        eta = collection(mt, v, drift_length_m=L, contacts=contacts)
        s = b.s_abs * eta * b.x["dose_rate_Gy_per_s"] * np.sign(v)
        return s if b.per_area else s * geo.area

    def sigma_of(p: Any, b: _Block, scale: float) -> Any:
        if b.own_sigma:
            return b.sigma
        if b.kind == "dark":
            return np.full(b.y.size, scale)
        # photocurrent = difference of a reading under X-rays and a dark reading, each
        # with a relative noise: σ ∝ sqrt(I_x² + I_d²)
        i_d = (
            np.abs(b.x["bias_V"])
            * conductance(
                math.exp(p["ln_rho"]),
                p["ea"],
                b.x["temperature_K"],
                reference_K=t_ref,
                factor_m=factor,
            )
            if dark_known
            else 0.0
        )
        i_p = np.abs(b.y)  # measured, so that the weights do not move with the parameters
        return scale * np.sqrt((i_p + i_d) ** 2 + i_d**2)

    scales = {id(b): (0.05 if b.kind == "dark" else 0.02) for b in blocks}

    def residual(p: Any) -> Any:
        parts = []
        for b in blocks:
            r = (b.y - predict(p, b)) / sigma_of(p, b, scales[id(b)])
            parts.append(r if b.used is None else r[b.used])
        return np.concatenate(parts) if parts else np.zeros(0)

    fit_out = None
    n_free = sum(p.vary for p in params.values())
    if blocks and n_free:
        # initial μτ from the photo data: the median point
        for b in photo_blocks:
            for c, sel in (("h", b.x["bias_V"] > 0), ("e", b.x["bias_V"] < 0)):
                if not params[f"ln_mt_{c}"].vary or not sel.any():
                    continue
                k = np.flatnonzero(sel)[np.argmax(np.abs(b.x["bias_V"][sel]))]
                full = b.s_abs * b.x["dose_rate_Gy_per_s"][k] * (1 if b.per_area else geo.area)
                eta = abs(b.y[k]) / full
                x0 = eta if contacts == "ohmic" or eta >= 1 else max(eta / max(1 - eta, 1e-3), 1e-3)
                params[f"ln_mt_{c}"].value = math.log(max(x0 * L**2 / abs(b.x["bias_V"][k]), 1e-19))
        for _ in range(3):
            fit_out = lmfit.minimize(residual, params, method="least_squares", scale_covar=False)
            params = fit_out.params
            changed = False
            for b in blocks:
                if b.own_sigma:
                    continue
                r = (b.y - predict(params, b)) / sigma_of(params, b, 1.0)
                n = r.size
                new = math.sqrt(float(np.sum(r**2)) / max(n - 1, 1))
                if new > 0 and abs(new / scales[id(b)] - 1) > 0.01:
                    scales[id(b)] = new
                    changed = True
            if not changed:
                break
        if fit_out.covar is None:
            notes.append("the joint fit could not estimate uncertainties (singular covariance)")

    def stderr(name: str) -> float | None:
        if fit_out is None or fit_out.covar is None or not params[name].vary:
            return None
        e = params[name].stderr
        return None if e is None or not math.isfinite(e) else float(e)

    parameters: list[Parameter] = []
    sources_dark = ", ".join(dict.fromkeys(b.name for b in dark_blocks))
    sources_photo = ", ".join(dict.fromkeys(b.name for b in photo_blocks))
    rho = math.exp(params["ln_rho"].value)
    if dark_blocks:
        e = stderr("ln_rho")
        parameters.append(
            Parameter(
                "resistivity",
                rho,
                None if e is None else rho * e,
                "ohm*m",
                "ohm*cm",
                f"joint fit: {sources_dark}",
                f"at {t_ref:g} K",
            )
        )
    elif db["rho"]:
        parameters.append(
            Parameter("resistivity", db["rho"][0], None, "ohm*m", "ohm*cm", db["rho"][1])
        )
    if ea_free:
        parameters.append(
            Parameter(
                "activation_energy",
                params["ea"].value,
                stderr("ea"),
                "eV",
                "eV",
                f"joint fit: {sources_dark}",
            )
        )
    elif db["ea"]:
        parameters.append(
            Parameter("activation_energy", db["ea"][0], None, "eV", "eV", db["ea"][1])
        )
    for c, carrier in (("h", "holes"), ("e", "electrons")):
        mt = math.exp(params[f"ln_mt_{c}"].value)
        if polarities[c]:
            e = stderr(f"ln_mt_{c}")
            parameters.append(
                Parameter(
                    f"mu_tau_{c}",
                    mt,
                    None if e is None else mt * e,
                    "m**2/V",
                    "cm**2/V",
                    f"joint fit: {sources_photo}",
                    f"{carrier} ({'positive' if c == 'h' else 'negative'} "
                    "bias on the irradiated electrode)",
                )
            )
        elif db[f"mt_{c}"]:
            parameters.append(
                Parameter(
                    f"mu_tau_{c}",
                    db[f"mt_{c}"][0],
                    None,
                    "m**2/V",
                    "cm**2/V",
                    db[f"mt_{c}"][1],
                    carrier,
                )
            )

    # gain, S, noise at the X-ray-response operating point
    extra: dict[str, Any] = {"contacts": contacts, "beams": {}}
    if xr is not None:
        a, r = xr
        f = meas.xray_response
        c = "h" if f.bias >= 0 else "e"
        mt = math.exp(params[f"ln_mt_{c}"].value)
        e_mt = stderr(f"ln_mt_{c}")
        s0, frac, beam_name = beams[f.beam]
        eta = float(collection(mt, f.bias, drift_length_m=L, contacts=contacts))
        if contacts == "ohmic":
            parameters.append(
                Parameter(
                    "photoconductive_gain",
                    eta,
                    None if e_mt is None else eta * e_mt,
                    "",
                    "",
                    f"joint fit: {sources_photo}"
                    if polarities[c]
                    else (db[f"mt_{c}"] or ("", ""))[1],
                    f"G = μτ|V|/L² at {f.bias:g} V (ohmic contacts: lifetime / transit time)",
                )
            )
        else:
            parameters.append(
                Parameter(
                    "photoconductive_gain",
                    1.0,
                    None,
                    "",
                    "",
                    "blocking contacts",
                    "each pair collected at most once",
                )
            )
        s_model = s0 * frac * eta
        s_meas = r.sensitivity
        extra.update(
            {
                "operating_bias_V": f.bias,
                "beam": beam_name,
                "s0_C_per_Gy_m2": s0,
                "absorbed_fraction": frac,
                "s_abs_C_per_Gy_m2": s0 * frac,
                "sensitivity_model_C_per_Gy_m2": s_model,
                "sensitivity_measured_C_per_Gy_m2": s_meas.value,
                "sensitivity_measured_uncertainty_C_per_Gy_m2": s_meas.uncertainty,
                "collection_at_bias": eta,
            }
        )
        u_s = None
        if e_mt is not None:
            eta2 = float(collection(mt * 1.001, f.bias, drift_length_m=L, contacts=contacts))
            u_s = s_model * abs(math.log(eta2 / eta) / math.log(1.001)) * e_mt
        parameters.append(
            Parameter(
                "sensitivity",
                s_model,
                u_s,
                "C/(Gy*m**2)",
                "uC/(Gy*cm**2)",
                f"model: S_abs × collection at {f.bias:g} V, {beam_name}",
            )
        )
        # noise at the measured integration time
        tau = r.integration_time_s
        nm = r.noise_current
        i_dark = abs(f.bias) * float(
            conductance(
                rho, params["ea"].value, f.temperature or t_ref, reference_K=t_ref, factor_m=factor
            )
        )
        shot = math.sqrt(ELEMENTARY_CHARGE_C * i_dark / tau)
        excess = math.sqrt(max(nm.value**2 - shot**2, 0.0))
        parameters.append(
            Parameter(
                "noise_current",
                nm.value,
                nm.uncertainty,
                "A",
                "pA",
                "xray-response (dark windows)",
                f"rms of a reading integrated over τ = {tau:g} s",
            )
        )
        parameters.append(
            Parameter(
                "noise_charge_e",
                nm.value * tau / ELEMENTARY_CHARGE_C,
                None if nm.uncertainty is None else nm.uncertainty * tau / ELEMENTARY_CHARGE_C,
                "",
                "",
                "xray-response (dark windows)",
                f"electrons rms at τ = {tau:g} s (replaces the default 1000 e⁻ of evaluate)",
            )
        )
        parameters.append(
            Parameter(
                "excess_noise_charge_e",
                excess * tau / ELEMENTARY_CHARGE_C,
                None,
                "",
                "",
                "xray-response minus model shot noise",
                f"electrons rms at τ = {tau:g} s beyond e·I_d·τ shot noise",
            )
        )
        lod_model = 3.0 * nm.value / (geo.area * s_model)
        lod_shot = 3.0 * shot / (geo.area * s_model)
        parameters.append(
            Parameter(
                "lod",
                lod_model,
                None if nm.uncertainty is None else lod_model * nm.uncertainty / nm.value,
                "Gy/s",
                "nGy/s",
                "model: 3σ/(A·S) with the measured σ",
            )
        )
        extra.update(
            {
                "integration_time_s": tau,
                "noise_A": nm.value,
                "shot_noise_A": shot,
                "dark_current_A": i_dark,
                "lod_model_Gy_per_s": lod_model,
                "lod_shot_Gy_per_s": lod_shot,
                "lod_measured_Gy_per_s": r.lod.value if r.lod else None,
                "lod_measured_uncertainty_Gy_per_s": r.lod.uncertainty if r.lod else None,
            }
        )
        extra["database_prediction"] = _database_prediction(material, record, tau, notes)
    for beam, (s0, frac, name) in beams.items():
        extra["beams"][beam] = {"name": name, "s0_C_per_Gy_m2": s0, "absorbed_fraction": frac}

    # ---- response ------------------------------------------------------------------
    resp_points: list[OperatingPoint] = []
    if "response" in results:
        a, r = results["response"]
        rp, rpoints, curve = fit_response(a, r, meas.response, notes)
        parameters.extend(rp)
        resp_points.extend(rpoints)
        extra["response_curve"] = curve
    # ---- drift and stability -------------------------------------------------------
    if "drift" in results and results["drift"][1] is not None:
        m = results["drift"][1].relative_drift_rate
        if m is not None:
            parameters.append(
                Parameter(
                    "drift_rate",
                    m.value,
                    m.uncertainty,
                    "1/s",
                    "percent/hour",
                    "drift",
                    "relative drift of the dark current",
                )
            )
    if "stability" in results and results["stability"][1] is not None:
        m = results["stability"][1].radiation_stability
        if m is not None:
            parameters.append(
                Parameter(
                    "stability_dose",
                    m.value,
                    m.uncertainty,
                    "Gy",
                    "mGy",
                    "stability",
                    m.convention,
                    bound=m.bound,
                )
            )
    elif material.reported.get("radiation_stability_mGy") is not None:
        parameters.append(
            Parameter(
                "stability_dose",
                material.reported["radiation_stability_mGy"] * 1e-3,
                None,
                "Gy",
                "mGy",
                f"database: {material.name} (reported)",
            )
        )

    # ---- reconciliation ---------------------------------------------------------------
    points: list[OperatingPoint] = []
    for b in blocks:
        pred = predict(params, b)
        sig = sigma_of(params, b, scales[id(b)])
        for k in range(b.y.size):
            cond = {
                "bias_V": float(b.x["bias_V"][k]),
                "temperature_K": float(b.x["temperature_K"][k]),
            }
            if b.kind == "dark":
                cond.pop("bias_V") if not math.isfinite(cond["bias_V"]) else None
                meas_v, pred_v = math.exp(b.y[k]), math.exp(pred[k])
                points.append(
                    OperatingPoint(
                        b.name,
                        "dark conductance",
                        cond,
                        meas_v,
                        pred_v,
                        meas_v * sig[k],
                        "S",
                        True if b.used is None else bool(b.used[k]),
                    )
                )
            else:
                cond["dose_rate_Gy_per_s"] = float(b.x["dose_rate_Gy_per_s"][k])
                quantity = "net photocurrent density" if b.per_area else "photocurrent"
                points.append(
                    OperatingPoint(
                        b.name,
                        quantity,
                        cond,
                        float(b.y[k]),
                        float(pred[k]),
                        float(sig[k]),
                        "A/m**2" if b.per_area else "A",
                        True if b.used is None else bool(b.used[k]),
                    )
                )
    points.extend(resp_points)
    n_used = sum(p.in_fit for p in points if p.measurement != "response")
    n_free = sum(p.vary for p in params.values()) if fit_out is not None else 0
    chi2 = sum(p.residual**2 for p in points if p.in_fit and p.measurement != "response")
    extra["chi2"] = chi2
    extra["dof"] = max(n_used - n_free, 0)
    extra["block_scales"] = {b.name: scales[id(b)] for b in blocks if not b.own_sigma}
    extra["plot_blocks"] = blocks
    return DeviceFit(
        record=record,
        material=material.name,
        parameters=tuple(parameters),
        points=tuple(points),
        analyses={k.replace("_", "-"): v[1] for k, v in results.items()},
        notes=tuple(notes),
        extra=extra,
    )


def _database_prediction(
    material: Any, record: DeviceRecord, tau: float, notes: list[str]
) -> dict[str, Any] | None:
    """What ``perovx evaluate`` predicts from the database row alone (no gain, 1000 e⁻)."""
    from perovx.metrics.detector import evaluate
    from perovx.readout.noise import NoiseModel
    from perovx.spectra import get_beam

    f = record.measurements.xray_response
    try:
        figs = evaluate(
            material,
            thickness_m=record.geometry.thickness,
            bias_V=abs(f.bias),
            beam=get_beam(f.beam),
            polarity="positive" if f.bias >= 0 else "negative",
            # the row's ρ is a room-temperature value; it moves with T only through Ea
            **(
                {"temperature_K": f.temperature or record.temperature}
                if material.activation_energy_eV is not None
                else {}
            ),
            noise=NoiseModel(area_m2=record.geometry.area, integration_time_s=tau),
        )
    except PerovxError as exc:
        notes.append(f"no database prediction to compare with ({exc})")
        return None
    return {
        "sensitivity_C_per_Gy_m2": figs.sensitivity_C_per_Gy_m2,
        "lod_Gy_per_s": figs.lod_Gy_per_s,
        "lod_convention": figs.noise.convention(),
    }
