"""Device stacks: contacts, interlayers and heterojunctions around the absorber.

A direct-conversion perovskite detector is rarely a bare layer between two ohmic
electrodes: the review credits blocking contacts, polymer interlayers
(polyimide–perovskite composites, PMMA) and 2D/3D heterojunctions with the lowest dark
currents and detection limits. A :class:`DeviceStack` lists the layers from the entrance
(X-ray side) electrode to the pixel electrode, each with a role
(:data:`ROLES`), and derives from them

* the **dark current** (:meth:`DeviceStack.dark_current_density`): thermionic emission
  of carriers from the injecting electrode over the stack's barrier, in series with the
  resistance of the absorber and interlayers, plus an optional shunt;
* the **collection** (:meth:`DeviceStack.collection_factor`, :attr:`DeviceStack.interface`):
  charge stopped at an interlayer, or held there and released later (lag, ghosting);
* the **attenuation** (:meth:`DeviceStack.monte_carlo_stack`): the same layers, with their
  materials and densities, as a :class:`~perovx.interaction.montecarlo.Stack` for the
  photon transport, and :meth:`DeviceStack.entrance_transmission` for the photons lost
  before the absorber.

Dark-current model
------------------
Thermionic emission over a barrier φ_B (S. M. Sze and K. K. Ng, *Physics of Semiconductor
Devices*, 3rd ed., Wiley 2007, ch. 3, §3.3.1, Eqs. 3.2-3.3 with the ideality factor n of
§3.3):

    J = J_s [exp(q V_j / n k T) − 1],   J_s = A* T² exp(−q φ_B / k T),
    A* = 4π q m* k² / h³ = 120 A cm⁻² K⁻² × (m*/m₀).

V_j is the voltage across the junction; the rest of the bias drops on the series
resistance of the absorber and the interlayers (area-specific, Ω m²):
V = V_j + J R_s, R_s = Σ ρ_i d_i, solved for J. The stack's barrier is the highest
point of the band edge that injected carriers must cross: the injecting contact's barrier
plus the band offset ΔφB that each blocking interlayer or heterojunction adds (a stated
simplification: steps in series add; image-force lowering and tunnelling through thin
layers are neglected). Thus a blocking layer of ΔφB lowers the injection-limited dark
current by exp(−q ΔφB / k T).

* **Symmetric blocking stacks** (no rectifying layer: ohmic or blocking contacts on
  both sides, PI/perovskite/PI): either polarity injects over the barrier, the current
  saturates at J_s in both directions: J = sign(V) J_s (1 − exp(−q|V_j|/kT)).
* **Rectifying stacks** (a ``heterojunction`` layer, or a contact marked
  ``rectifying``): the junction conducts for the polarity given by ``forward`` (entrance
  electrode positive or negative) with the diode law above (the same n both ways);
  reverse bias gives J ≈ −J_s.
  At a bias small enough for the series resistance not to matter the forward/reverse
  ratio is exactly exp(q|V|/n kT).
* With no barrier (ohmic contacts) J_s is so large that the series resistance limits the
  current: J → V / R_s, the bulk ohmic term of :func:`perovx.transport.dark.dark_current_density`.

The numbers of the example stacks are stated in the examples (barriers of order
0.1-0.6 eV); none is a fitted device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from perovx.errors import InputError
from perovx.transport.dark import BOLTZMANN_EV_PER_K, ROOM_TEMPERATURE_K

if TYPE_CHECKING:
    from perovx.interaction.montecarlo import Stack

__all__ = [
    "RICHARDSON_A_PER_M2_K2",
    "ROLES",
    "DeviceStack",
    "InterfaceTrapping",
    "StackLayer",
    "richardson_constant",
    "thermionic_saturation_current",
]

#: Richardson constant of free electrons, 4π q m₀ k² / h³, A m⁻² K⁻²
#: (120.17 A cm⁻² K⁻²; Sze & Ng 3rd ed., Eq. 3.3, from CODATA constants).
RICHARDSON_A_PER_M2_K2 = 4 * math.pi * 1.602176634e-19 * 9.1093837015e-31 \
    * 1.380649e-23**2 / 6.62607015e-34**3

#: Roles a layer can take in a stack.
ROLES = ("contact", "absorber", "interlayer", "heterojunction")


def richardson_constant(effective_mass_ratio: float = 1.0) -> float:
    """Effective Richardson constant A* = 4π q m* k² / h³, A m⁻² K⁻².

    Parameters
    ----------
    effective_mass_ratio
        m*/m₀ of the injected carrier (> 0).
    """
    if not (effective_mass_ratio > 0 and math.isfinite(effective_mass_ratio)):
        raise InputError(f"effective mass ratio must be > 0, got {effective_mass_ratio!r}")
    return RICHARDSON_A_PER_M2_K2 * effective_mass_ratio


def thermionic_saturation_current(
    barrier_eV: float,
    *,
    temperature_K: float = ROOM_TEMPERATURE_K,
    effective_mass_ratio: float = 1.0,
) -> float:
    """Thermionic-emission saturation current J_s = A* T² exp(−φ_B / kT), A m⁻².

    Parameters
    ----------
    barrier_eV
        Barrier height φ_B, eV (≥ 0).
    temperature_K
        Temperature, K (> 0).
    effective_mass_ratio
        m*/m₀ of the injected carrier.
    """
    if not (barrier_eV >= 0 and math.isfinite(barrier_eV)):
        raise InputError(f"barrier height must be >= 0 eV, got {barrier_eV!r}")
    if not temperature_K > 0:
        raise InputError(f"temperature must be > 0 K, got {temperature_K!r}")
    a = richardson_constant(effective_mass_ratio)
    return a * temperature_K**2 * math.exp(-barrier_eV / (BOLTZMANN_EV_PER_K * temperature_K))


@dataclass(frozen=True)
class StackLayer:
    """One layer of a device stack.

    Attributes
    ----------
    role
        One of :data:`ROLES`: ``contact`` (an electrode or its injection layer),
        ``absorber`` (the perovskite, exactly one per stack), ``interlayer`` (polymer or
        composite blocking layer) or ``heterojunction`` (e.g. a 2D perovskite on a 3D one).
    thickness_m
        Thickness, m (≥ 0; a contact may be 0: a bare electrode interface).
    material
        Formula or database name for the photon transport (``None``: not tallied, e.g. a
        thin electrode).
    density_kg_m3
        Density for the photon transport, kg m⁻³ (``None``: the material's).
    resistivity_ohm_m
        Resistivity, Ω m, for the series resistance (``None``: negligible; the absorber's
        comes from the detector).
    barrier_eV
        Injection barrier (contact) or band offset added for injected carriers
        (interlayer, heterojunction), eV (≥ 0).
    ideality
        Ideality factor n of a rectifying junction (≥ 1).
    effective_mass_ratio
        m*/m₀ of the injected carrier (contacts).
    rectifying
        A contact that forms a rectifying (Schottky) junction; heterojunctions always do.
    forward
        Polarity of the entrance electrode that forward-biases the junction.
    trapped_fraction
        Fraction of the signal charge crossing this layer that is held at its interface.
    release_time_s
        Time constant with which held charge is released, s (``inf``: never: charge
        stopped, a loss).
    ghost_per_trapped
        Relative sensitivity change per unit trapped charge fraction of full occupancy
        (space charge at the interface screening the field), ≥ 0; a parameter.
    name
        Label.
    """

    role: Literal["contact", "absorber", "interlayer", "heterojunction"]
    thickness_m: float = 0.0
    material: str | None = None
    density_kg_m3: float | None = None
    resistivity_ohm_m: float | None = None
    barrier_eV: float = 0.0
    ideality: float = 1.0
    effective_mass_ratio: float = 1.0
    rectifying: bool = False
    forward: Literal["positive", "negative"] = "positive"
    trapped_fraction: float = 0.0
    release_time_s: float = math.inf
    ghost_per_trapped: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        label = self.name or self.role
        if self.role not in ROLES:
            raise InputError(f"layer {label!r}: role {self.role!r} is not one of "
                             f"{', '.join(ROLES)}")
        if not (self.thickness_m >= 0 and math.isfinite(self.thickness_m)):
            raise InputError(f"layer {label!r}: thickness must be >= 0 m, got "
                             f"{self.thickness_m!r}")
        if self.role != "contact" and self.thickness_m == 0:
            raise InputError(f"layer {label!r}: a {self.role} needs a thickness > 0 m")
        if self.resistivity_ohm_m is not None and not self.resistivity_ohm_m > 0:
            raise InputError(f"layer {label!r}: resistivity must be > 0 ohm m, got "
                             f"{self.resistivity_ohm_m!r}")
        if not (0 <= self.barrier_eV <= 5):
            raise InputError(f"layer {label!r}: barrier must be in [0, 5] eV, got "
                             f"{self.barrier_eV!r}")
        if not (1 <= self.ideality <= 10):
            raise InputError(f"layer {label!r}: ideality factor must be in [1, 10], got "
                             f"{self.ideality!r}")
        if not self.effective_mass_ratio > 0:
            raise InputError(f"layer {label!r}: effective mass ratio must be > 0")
        if self.forward not in ("positive", "negative"):
            raise InputError(f"layer {label!r}: forward must be 'positive' or 'negative', "
                             f"got {self.forward!r}")
        if not (0 <= self.trapped_fraction < 1):
            raise InputError(f"layer {label!r}: trapped fraction must be in [0, 1), got "
                             f"{self.trapped_fraction!r}")
        if not self.release_time_s > 0:
            raise InputError(f"layer {label!r}: release time must be > 0 s, got "
                             f"{self.release_time_s!r}")
        if not (self.ghost_per_trapped >= 0 and math.isfinite(self.ghost_per_trapped)):
            raise InputError(f"layer {label!r}: ghost_per_trapped must be >= 0")

    @property
    def label(self) -> str:
        """Name or role."""
        return self.name or self.role

    @property
    def is_junction(self) -> bool:
        """True for a rectifying layer (heterojunction or rectifying contact)."""
        return self.role == "heterojunction" or (self.role == "contact" and self.rectifying)


@dataclass(frozen=True)
class InterfaceTrapping:
    """Charge held at the interlayers of a stack and released later.

    Attributes
    ----------
    fractions
        Fraction of the collected signal held at each trapping interface.
    release_times_s
        Release time constant of each, s (``inf``: lost).
    ghost_per_trapped
        Sensitivity change per held fraction, for each interface.
    """

    fractions: tuple[float, ...] = ()
    release_times_s: tuple[float, ...] = ()
    ghost_per_trapped: tuple[float, ...] = ()

    @property
    def total_fraction(self) -> float:
        """Fraction of the signal held at any interface."""
        return float(sum(self.fractions))


@dataclass(frozen=True)
class DeviceStack:
    """Layers from the entrance electrode (X-ray side) to the pixel electrode.

    Attributes
    ----------
    layers
        The layers in that order; exactly one ``absorber``.
    """

    layers: tuple[StackLayer, ...] = field(default=())

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        n_abs = sum(layer.role == "absorber" for layer in layers)
        if n_abs != 1:
            raise InputError(f"a device stack needs exactly one absorber layer, got {n_abs}")
        junctions = [layer for layer in layers if layer.is_junction]
        if len({j.forward for j in junctions}) > 1:
            raise InputError("the rectifying layers of a stack disagree on the forward "
                             "polarity: give them the same 'forward'")

    # ------------------------------------------------------------------ structure
    @property
    def absorber_index(self) -> int:
        """Index of the absorber layer."""
        return next(i for i, layer in enumerate(self.layers) if layer.role == "absorber")

    @property
    def absorber(self) -> StackLayer:
        """The absorber layer."""
        return self.layers[self.absorber_index]

    @property
    def rectifying(self) -> bool:
        """True when a layer forms a rectifying junction."""
        return any(layer.is_junction for layer in self.layers)

    @property
    def forward(self) -> Literal["positive", "negative"] | None:
        """Entrance polarity that forward-biases the stack (``None``: symmetric)."""
        for layer in self.layers:
            if layer.is_junction:
                return layer.forward
        return None

    def barrier_eV(self, bias_V: float) -> float:
        """Barrier that injected carriers cross at this bias polarity, eV.

        The injecting contact is the electrode at the carrier's source: for electrons the
        negative one. perovx takes the injection barrier of the contact that is the
        cathode at this polarity (entrance contact for negative bias, pixel contact for
        positive) plus the band offsets of every interlayer and heterojunction, which
        injected carriers cross in series.
        """
        contacts = [i for i, layer in enumerate(self.layers) if layer.role == "contact"]
        a = self.absorber_index
        before = [i for i in contacts if i < a]
        after = [i for i in contacts if i > a]
        side = before if bias_V < 0 else after
        contact = max((self.layers[i].barrier_eV for i in side), default=0.0)
        offsets = sum(layer.barrier_eV for layer in self.layers
                      if layer.role in ("interlayer", "heterojunction"))
        return contact + offsets

    def _injecting_mass(self) -> float:
        masses = [layer.effective_mass_ratio for layer in self.layers if layer.role == "contact"]
        return masses[0] if masses else 1.0

    def ideality(self) -> float:
        """Ideality factor of the rectifying junction (1 for a symmetric stack)."""
        return max((layer.ideality for layer in self.layers if layer.is_junction), default=1.0)

    def series_resistance_ohm_m2(self, absorber_resistivity_ohm_m: float | None = None) -> float:
        """Area-specific series resistance Σ ρ_i d_i of the resistive layers, Ω m².

        Parameters
        ----------
        absorber_resistivity_ohm_m
            Absorber resistivity, Ω m, when the absorber layer does not carry one.
        """
        total = 0.0
        for layer in self.layers:
            rho = layer.resistivity_ohm_m
            if layer.role == "absorber" and rho is None:
                rho = absorber_resistivity_ohm_m
            if rho is not None:
                total += rho * layer.thickness_m
        return total

    # ------------------------------------------------------------------ dark current
    def saturation_current_A_m2(self, bias_V: float, *,
                                temperature_K: float = ROOM_TEMPERATURE_K) -> float:
        """J_s = A* T² exp(−φ_B / kT) over the barrier at this polarity, A m⁻²."""
        return thermionic_saturation_current(self.barrier_eV(bias_V),
                                             temperature_K=temperature_K,
                                             effective_mass_ratio=self._injecting_mass())

    def dark_current_density(
        self,
        bias_V: float,
        *,
        temperature_K: float = ROOM_TEMPERATURE_K,
        absorber_resistivity_ohm_m: float | None = None,
        shunt_resistance_ohm_m2: float = math.inf,
    ) -> float:
        """Dark-current density at ``bias_V`` (entrance relative to pixel), A m⁻², signed.

        Solves V = V_j + J R_s with the junction law of the module notes (thermionic
        emission, diode for rectifying stacks), then adds the shunt V / R_sh.

        Parameters
        ----------
        bias_V
            Applied bias, V.
        temperature_K
            Temperature, K.
        absorber_resistivity_ohm_m
            Absorber resistivity for the series resistance, Ω m (when the absorber layer
            has none).
        shunt_resistance_ohm_m2
            Area-specific shunt (surface, grain-boundary leakage) resistance, Ω m²
            (default: none).
        """
        from scipy.optimize import brentq

        if not math.isfinite(bias_V):
            raise InputError(f"bias must be finite, got {bias_V!r}")
        if not shunt_resistance_ohm_m2 > 0:
            raise InputError("shunt resistance must be > 0 ohm m2")
        if bias_V == 0:
            return 0.0
        kt = BOLTZMANN_EV_PER_K * temperature_K
        js = self.saturation_current_A_m2(bias_V, temperature_K=temperature_K)
        r = self.series_resistance_ohm_m2(absorber_resistivity_ohm_m)
        s = 1.0 if bias_V > 0 else -1.0
        v = abs(bias_V)
        fwd = self.forward
        forward = fwd is not None and ((fwd == "positive") == (bias_V > 0))
        n = self.ideality()

        def junction(vj: float) -> float:
            if forward:
                return js * math.expm1(min(vj / (n * kt), 600.0))
            return -js * math.expm1(-vj / (n * kt))

        if r == 0:
            j = junction(v)
        else:
            # g(J) = J − junction(V − J R) is increasing; root in [0, V/R]
            hi = v / r
            g_hi = hi - junction(0.0)
            if g_hi <= 0:
                j = hi
            else:
                j = brentq(lambda jj: jj - junction(v - jj * r), 0.0, hi, xtol=1e-30,
                           rtol=1e-12, maxiter=500)
        return s * (j + v / shunt_resistance_ohm_m2)

    def rectification_ratio(self, bias_V: float, **kwargs: Any) -> float:
        """|J(+|V|)| / |J(−|V|)| at this bias magnitude (forward over reverse when the
        stack forwards positive bias)."""
        pos = abs(self.dark_current_density(abs(bias_V), **kwargs))
        neg = abs(self.dark_current_density(-abs(bias_V), **kwargs))
        return pos / neg

    # ------------------------------------------------------------------ collection
    @property
    def interface(self) -> InterfaceTrapping:
        """Charge held at the interlayers and heterojunctions between absorber and pixel."""
        a = self.absorber_index
        held = [layer for layer in self.layers[a + 1:]
                if layer.role in ("interlayer", "heterojunction") and layer.trapped_fraction > 0]
        return InterfaceTrapping(
            fractions=tuple(layer.trapped_fraction for layer in held),
            release_times_s=tuple(layer.release_time_s for layer in held),
            ghost_per_trapped=tuple(layer.ghost_per_trapped for layer in held),
        )

    def collection_factor(self, integration_s: float | None = None) -> float:
        """Fraction of the absorber's collected charge that reaches the pixel in its read.

        Charge held at an interlayer with release time τ is counted as lost within the
        read (it reappears later as lag, :class:`InterfaceTrapping`); ``integration_s``
        given, the part released within the integration window, (1 − exp(−t/τ)) × the
        held fraction weighted by a uniform arrival in the window, is returned to it.

        Parameters
        ----------
        integration_s
            Integration time, s (``None``: every held charge is lost to the read).
        """
        factor = 1.0
        for f, tau in zip(self.interface.fractions, self.interface.release_times_s,
                          strict=True):
            back = 0.0
            if integration_s is not None and math.isfinite(tau):
                x = integration_s / tau
                back = 1.0 - (-math.expm1(-x)) / x if x > 0 else 0.0
            factor *= 1.0 - f * (1.0 - back)
        return factor

    # ------------------------------------------------------------------ photons
    def monte_carlo_stack(self, absorber_material: Any, *,
                          absorber_density_kg_m3: float | None = None) -> Stack:
        """The layers with a material, for the photon Monte Carlo (absorber sensitive).

        Parameters
        ----------
        absorber_material
            Material of the absorber (the detector's), when its layer names none.
        absorber_density_kg_m3
            Film density of the absorber, kg m⁻³.
        """
        from perovx.interaction.montecarlo import Layer, Stack

        out = []
        sensitive = 0
        for layer in self.layers:
            if layer.role == "absorber":
                sensitive = len(out)
                out.append(Layer(layer.material or absorber_material, layer.thickness_m,
                                 absorber_density_kg_m3 if absorber_density_kg_m3 is not None
                                 else layer.density_kg_m3, name="absorber"))
            elif layer.material is not None and layer.thickness_m > 0:
                out.append(Layer(layer.material, layer.thickness_m, layer.density_kg_m3,
                                 name=layer.label))
        return Stack(tuple(out), sensitive=sensitive)

    def entrance_transmission(self, energies_keV: Sequence[float] | np.ndarray) -> np.ndarray:
        """Fraction of photons that cross the layers in front of the absorber, per energy."""
        from perovx.interaction.absorption import layer_coefficients

        e = np.atleast_1d(np.asarray(energies_keV, dtype=float))
        t = np.ones_like(e)
        for layer in self.layers[: self.absorber_index]:
            if layer.material is None or layer.thickness_m == 0:
                continue
            mu = layer_coefficients(layer.material, e,
                                    density_kg_m3=layer.density_kg_m3).mu_per_m
            t = t * np.exp(-np.asarray(mu) * layer.thickness_m)
        return t

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description (lengths in µm, barriers in eV)."""
        return {
            "rectifying": self.rectifying,
            "forward": self.forward,
            "layers": [
                {"role": layer.role, "name": layer.label,
                 "thickness_um": layer.thickness_m * 1e6, "material": layer.material,
                 "barrier_eV": layer.barrier_eV, "trapped_fraction": layer.trapped_fraction,
                 "release_time_s": None if math.isinf(layer.release_time_s)
                 else layer.release_time_s}
                for layer in self.layers
            ],
        }
