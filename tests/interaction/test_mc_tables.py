"""Monte Carlo sampling tables and samplers against independent data."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from perovx.errors import DataRangeError, InputError
from perovx.interaction.montecarlo import (
    PencilBeam,
    Physics,
    Spectrum,
    Stack,
    _photon,
    _rng,
    _scatter,
    as_spectrum,
)
from perovx.interaction.montecarlo import _layout as L
from perovx.interaction.montecarlo.tables import (
    GRID_DLOG,
    element_data,
    grid_energies,
    pack_tables,
)
from perovx.materials import mass_attenuation

MAPBI3 = Stack.slab("CH6NPbI3", 1e-3, density_kg_m3=4160.0)


def _pack(stack: Stack = MAPBI3, energy_keV: float = 80.0, **physics) -> object:
    return pack_tables(stack, as_spectrum(energy_keV), PencilBeam(), Physics(**physics),
                       pulse_height_bins=64, depth_bins=4, grid=None)


def test_layer_attenuation_matches_interaction_data():
    # The Monte Carlo's μ on its log grid interpolates the same xraylib data as
    # perovx.materials.mass_attenuation; the linear interpolation between grid points
    # (steps of 0.05 %) is good to 10⁻⁵ of xraylib's log-log splines.
    packed = _pack()
    mu = packed.layer_mu_per_m(0)
    energies = packed.energies_keV
    for e in (20.0, 33.0, 60.0, 79.0):
        i = int(np.log(e) / GRID_DLOG)
        t = (np.log(e) / GRID_DLOG) - i
        ours = mu[i] + t * (mu[i + 1] - mu[i])
        ref = mass_attenuation("CH6NPbI3", e)[0] * 4160.0
        assert ours == pytest.approx(ref, rel=3e-5), e
    assert energies[0] == 1.0


def test_lead_attenuation_against_nist_xcom():
    # NIST XCOM / Hubbell & Seltzer, Pb at 60 keV: μ/ρ = 5.021 cm²/g (with coherent).
    packed = _pack(Stack.slab("Pb", 1e-3, density_kg_m3=11350.0), 60.0)
    i = round(float(np.log(60.0)) / GRID_DLOG)
    mu_rho_cm2_g = packed.layer_mu_per_m(0)[i] / 11350.0 / 0.1
    assert mu_rho_cm2_g == pytest.approx(5.021, rel=0.02)


@pytest.mark.parametrize(
    ("z", "line", "energy_keV"),
    [
        # X-ray Data Booklet (LBNL, 2009), Table 1-2, Kα1 / Lα1 energies
        (48, "Kα1", 23.1736),
        (52, "Kα1", 27.4723),
        (53, "Kα1", 28.6120),
        (53, "Kβ1", 32.2947),
        (82, "Kα1", 74.9694),
        (82, "Lα1", 10.5515),
        (82, "Lβ1", 12.6137),
    ],
)
def test_fluorescence_line_energies(z, line, energy_keV):
    el = element_data(z)
    energies = {t.name.split(" ")[0]: t.energy_keV for trans in el.transitions for t in trans}
    assert energies[line] == pytest.approx(energy_keV, abs=0.002)


@pytest.mark.parametrize(
    ("z", "omega_k"),
    # Krause, J. Phys. Chem. Ref. Data 8, 307 (1979): K-shell fluorescence yields
    [(48, 0.840), (53, 0.884), (82, 0.963)],
)
def test_k_fluorescence_yield_in_relaxation_table(z, omega_k):
    k = element_data(z).transitions[0]
    radiative = sum(t.probability for t in k if t.energy_keV > 0)
    assert radiative == pytest.approx(omega_k, abs=0.006)
    assert sum(t.probability for t in k) == pytest.approx(1.0, abs=1e-12)


def test_relaxation_probabilities_and_vacancy_transfer():
    pb = element_data(82)
    for shell in pb.transitions:
        assert sum(t.probability for t in shell) == pytest.approx(1.0, abs=1e-12)
    # K vacancies move to L by Kα2 (L2), Kα1 (L3) and KLL Auger (two L vacancies)
    k = {t.name: t for t in pb.transitions[0]}
    assert k["Kα1 (K-L3)"].vacancy1 == 3
    assert k["Kα2 (K-L2)"].vacancy1 == 2
    assert any(t.vacancy1 in (1, 2, 3) and t.vacancy2 in (1, 2, 3) for t in pb.transitions[0])
    # Coster–Kronig L1→L3 of Pb: f13 = 0.62 (Campbell, ADNDT 85, 291 (2003), via xraylib)
    ck = next(t for t in pb.transitions[1] if t.name == "L1-L3 Coster-Kronig")
    assert ck.probability == pytest.approx(0.62, abs=0.02)


def test_k_shell_share_of_photoabsorption():
    # Iodine at 60 keV: the K share of τ from the K-edge jump ratio J = 6.039 (Elam et al.,
    # Radiat. Phys. Chem. 63, 121 (2002)) is 1 − 1/J = 0.834 at the edge and rises slowly
    # above it; Kissel's partial cross sections give 0.85.
    el = element_data(53)
    i = round(float(np.log(60.0)) / GRID_DLOG)
    assert el.shell_cum[i, 0] == pytest.approx(1 - 1 / 6.039, abs=0.03)
    below = int(np.log(33.0) / GRID_DLOG)
    assert el.shell_cum[below, 0] == 0.0


def test_channels_sorted_and_cumulative():
    packed = _pack()
    F, IX = packed.F, packed.IX
    ne, nch = int(IX[L.I_NE]), int(IX[L.I_NCH])
    cum = F[IX[L.O_MCUM]: IX[L.O_MCUM] + ne * nch].reshape(ne, nch)
    assert np.all(np.diff(cum, axis=1) >= -1e-15)
    assert np.all(cum[:, -1] == 1.0)
    assert int(IX[IX[L.O_MCHTY]]) == 0  # photoabsorption on the heaviest share first


def test_physics_and_spectrum_errors():
    with pytest.raises(InputError, match="cut-off must be within 1–100 keV"):
        Physics(cutoff_keV=0.5)
    with pytest.raises(DataRangeError, match="outside the Monte Carlo range 1–800 keV"):
        as_spectrum(900.0)
    with pytest.raises(InputError, match="matching 1-D energy and probability"):
        Spectrum(np.array([10.0, 20.0]), np.array([1.0]))
    with pytest.raises(InputError, match="beam must be an energy"):
        as_spectrum(object())


def test_spectrum_bins_and_alias_tables():
    from types import SimpleNamespace

    # a Beam of perovx.spectra: contiguous 1 keV bins around the bin centres
    beam = SimpleNamespace(name="test", energy_keV=np.array([20.0, 21.0, 22.0]),
                           photon_probabilities=np.array([1.0, 2.0, 1.0]))
    spec = as_spectrum(beam)
    assert not spec.monoenergetic
    np.testing.assert_allclose(spec.bin_width_keV, 1.0)
    assert spec.max_energy_keV == pytest.approx(22.5)
    q, alias = spec.alias_tables()
    # the alias table reproduces the probabilities exactly
    n = q.size
    p = q / n
    for i in range(n):
        p[alias[i]] += (1 - q[i]) / n
    np.testing.assert_allclose(p, spec.probability, atol=1e-12)


# ----------------------------------------------------------------------------- samplers
@numba.njit
def _sample_many(F, IX, which, g, e, n, seed):
    st = np.empty(2, np.uint64)
    _rng.rng_seed(st, np.uint64(seed), np.uint64(7), 0)
    out = np.empty((n, 2))
    ne = IX[L.I_NE]
    ie, fr = _photon.energy_index(F, e)
    ien = ie + 1 if fr >= 0.5 else ie
    if ien > ne - 1:
        ien = ne - 1
    s0 = st[0]
    s1 = st[1]
    for i in range(n):
        if which == 0:
            e2, c, s0, s1 = _scatter.sample_compton(F, IX, g, e, s0, s1)
        else:
            c, s0, s1 = _scatter.sample_rayleigh(F, IX, g, e, ien, s0, s1)
            e2 = e
        out[i, 0] = e2
        out[i, 1] = c
    return out


def _mean_cos(dcs, z: int, e: float) -> float:
    theta = np.linspace(1e-3, np.pi, 20001)
    w = np.array([dcs(z, e, t) for t in theta]) * np.sin(theta)
    return float(np.sum(w * np.cos(theta)) / np.sum(w))


@pytest.mark.parametrize("energy_keV", [30.0, 80.0])
def test_compton_angles_follow_klein_nishina_times_s(energy_keV):
    # Reference: numerical integral of xraylib's DCS_Compt (Klein–Nishina × S(x, Z)) over
    # angle; the kernel samples Klein–Nishina by the EGS4 method and rejects with S/Z.
    import xraylib

    packed = _pack(Stack.slab("Pb", 1e-3, density_kg_m3=11350.0), 100.0)
    s = _sample_many(packed.F, packed.IX, 0, 0, energy_keV, 200_000, 1)
    ref = _mean_cos(xraylib.DCS_Compt, 82, energy_keV)
    assert s[:, 1].mean() == pytest.approx(ref, abs=4 * s[:, 1].std() / math.sqrt(len(s)))
    # Compton formula: E' = E / (1 + k(1 − cos θ))
    k = energy_keV / 510.99895
    np.testing.assert_allclose(s[:, 0], energy_keV / (1 + k * (1 - s[:, 1])), rtol=1e-12)


@pytest.mark.parametrize("energy_keV", [30.0, 80.0])
def test_rayleigh_angles_follow_thomson_times_form_factor(energy_keV):
    # Reference: numerical integral of xraylib's DCS_Rayl (Thomson × F(x, Z)²).
    import xraylib

    packed = _pack(Stack.slab("Pb", 1e-3, density_kg_m3=11350.0), 100.0)
    s = _sample_many(packed.F, packed.IX, 1, 0, energy_keV, 200_000, 2)
    ref = _mean_cos(xraylib.DCS_Rayl, 82, energy_keV)
    assert s[:, 1].mean() == pytest.approx(ref, abs=4 * s[:, 1].std() / math.sqrt(len(s)))


def test_doppler_broadening_keeps_binding_and_spreads_lines():
    # Impulse approximation: the electron gets at least the binding energy of its shell
    # (Ribberfors, Phys. Rev. B 12, 2067 (1975)), and at a fixed angle E' spreads around
    # the Compton energy.
    packed = _pack(Stack.slab("Pb", 1e-3, density_kg_m3=11350.0), 100.0, doppler=True)
    s = _sample_many(packed.F, packed.IX, 0, 0, 60.0, 100_000, 3)
    compton = 60.0 / (1 + 60.0 / 510.99895 * (1 - s[:, 1]))
    assert np.all(s[:, 0] < 60.0)
    spread = s[:, 0] - compton
    assert spread.std() > 0.1  # keV: Pb valence and inner-shell profiles
    assert abs(np.median(spread)) < 0.2


def test_grid_energies_are_log_uniform():
    e = grid_energies(5)
    np.testing.assert_allclose(np.diff(np.log(e)), GRID_DLOG)


@pytest.mark.parametrize("z", [48, 53, 82])
def test_relaxation_cascades_reproduce_the_transition_tables(z):
    # The whole-cascade table is an exact rewrite of the step-by-step relaxation: its
    # probabilities sum to 1, every cascade releases exactly the binding energy, and
    # the chance that a K cascade emits a given K line is that line's transition
    # probability (Krause yields × Scofield rates, as in the transition table).
    from perovx.interaction.montecarlo.tables import relaxation_cascades

    el = element_data(z)
    cascades = relaxation_cascades(z, 1.0)
    for shell, outcomes in enumerate(cascades):
        assert sum(p for p, _ in outcomes) == pytest.approx(1.0, abs=1e-12)
        for _, photons in outcomes:
            assert sum(e for *_, e in photons) <= el.binding_keV[shell] + 1e-12
            assert all(e >= 1.0 for *_, e in photons)
    k_trans = el.transitions[0]
    total = sum(t.probability for t in k_trans)
    for t, tr in enumerate(k_trans):
        if tr.energy_keV > 0:
            share = sum(p for p, photons in cascades[0] if any(ph[:2] == (0, t)
                                                             for ph in photons))
            assert share == pytest.approx(tr.probability / total, rel=1e-9)
    # L1 vacancies of Pb move on by Coster–Kronig: L3 lines appear in L1 cascades
    if z == 82:
        assert any(ph[0] == 3 for _, photons in cascades[1] for ph in photons)


def test_relaxation_cascade_sampling_in_the_kernel():
    # Drawing cascades with the kernel's alias tables reproduces their probabilities.
    packed = _pack(MAPBI3, 80.0)
    F, IX = packed.F, packed.IX
    g = [el.z for el in packed.elements].index(53)
    first = IX[IX[L.O_CXOFF] + g * 4]
    n = IX[IX[L.O_CXOFF] + g * 4 + 1] - first
    q = F[IX[L.O_CXQ] + first: IX[L.O_CXQ] + first + n]
    alias = IX[IX[L.O_CXA] + first: IX[L.O_CXA] + first + n] - first
    # exact probability implied by the alias tables: p_i = (q_i + Σ_{alias_j = i} (1 − q_j)) / n
    implied = q.copy()
    np.add.at(implied, alias, 1.0 - q)
    from perovx.interaction.montecarlo.tables import relaxation_cascades

    want = np.array([p for p, _ in relaxation_cascades(53, 1.0)[0]])
    np.testing.assert_allclose(implied / n, want / want.sum(), rtol=1e-9, atol=1e-15)


def test_rayleigh_guide_table_starts_at_or_below_the_interval():
    # The kernel walks from the guide entry int(a·NRG/A) to the interval of the
    # ∫F² d(x²) table that holds a: the same interval a binary search finds.
    packed = _pack()
    F, IX = packed.F, packed.IX
    nu, ng = int(IX[L.I_NU]), int(IX[L.I_NG])
    rng = np.random.default_rng(5)
    for g in range(ng):
        a_tab = F[IX[L.O_RA] + g * nu: IX[L.O_RA] + (g + 1) * nu]
        guide = IX[IX[L.O_RG] + g * L.NRG: IX[L.O_RG] + (g + 1) * L.NRG]
        a = rng.uniform(0.0, a_tab[-1], 20_000)
        k = np.minimum((a * F[IX[L.O_RGS] + g]).astype(np.int64), L.NRG - 1)
        truth = np.clip(np.searchsorted(a_tab, a, side="right") - 1, 0, nu - 2)
        assert np.all(guide[k] <= truth)
        assert np.mean(truth - guide[k]) < 4.0  # a short walk on average
