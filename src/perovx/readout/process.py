"""Film non-uniformity of the scalable deposition processes, as seeded random maps.

A thick polycrystalline layer on a backplane is never uniform: its thickness, its density
(packing of the grains, pinholes) and its mu-tau product (grain boundaries, defects)
vary across the panel. perovx draws each as a stationary Gaussian random field with a
Gaussian correlation function, C(r) = σ² exp(−r²/2ℓ²), with a correlation length ℓ per
axis (blade coating streaks along the coating direction, x), and turns the maps into
per-pixel factors of the X-ray interaction, the charge collection and the dark current
(:func:`film_factors`).

The review (Section 3) describes the processes qualitatively; no pixel-scale maps of
these films have been published. The amplitudes and lengths in :data:`PROCESSES` are
therefore **stated assumptions**, chosen to reproduce the review's ranking and
remarks, each noted in the table's ``basis``:

=================  =======  ============  ==========  ============  ========  ==========
process            packing  thickness σ   ℓ_t (mm)    density σ     ℓ_ρ (mm)  ln μτ σ
=================  =======  ============  ==========  ============  ========  ==========
single_crystal     1.00     0             —           0             —         0
pressing           0.95     0.02          5           0.03          1.0       0.3
membrane_filling   0.90     0.05          2           0.10          0.5       0.5
blade_coating      0.85     0.05          10 × 1      0.05          0.1       0.5
spray_coating      0.90     0.04          3           0.03          0.05      0.3
vapour_deposition  0.98     0.01          20          0.01          1.0       0.2
=================  =======  ============  ==========  ============  ========  ==========

The mu-tau maps share the density correlation length (grain scale).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from perovx.errors import InputError, UnknownNameError
from perovx.transport.charge import ChargeTransport
from perovx.transport.hecht import hecht_cce_exponential

__all__ = [
    "PROCESSES",
    "FilmFactors",
    "FilmMaps",
    "ProcessModel",
    "film_factors",
    "film_maps",
    "gaussian_random_field",
    "get_process",
]


@dataclass(frozen=True)
class ProcessModel:
    """Statistics of the films a deposition process makes (stated assumptions).

    Attributes
    ----------
    name
        Process name.
    packing_fraction
        Mean film density relative to the crystal density.
    thickness_rms
        Relative rms thickness variation.
    thickness_correlation_m
        Correlation lengths of the thickness along (y, x), m.
    density_rms
        Relative rms density variation (packing, pinholes).
    density_correlation_m
        Correlation lengths of density and mu-tau along (y, x), m.
    mu_tau_log_rms
        rms of ln(μτ) (log-normal mu-tau, mean preserved).
    basis
        Why these numbers (review section and remark).
    """

    name: str
    packing_fraction: float
    thickness_rms: float
    thickness_correlation_m: tuple[float, float]
    density_rms: float
    density_correlation_m: tuple[float, float]
    mu_tau_log_rms: float
    basis: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description (lengths in mm)."""
        return {
            "name": self.name,
            "packing_fraction": self.packing_fraction,
            "thickness_rms": self.thickness_rms,
            "thickness_correlation_mm": [v * 1e3 for v in self.thickness_correlation_m],
            "density_rms": self.density_rms,
            "density_correlation_mm": [v * 1e3 for v in self.density_correlation_m],
            "mu_tau_log_rms": self.mu_tau_log_rms,
            "basis": self.basis,
            "status": "stated assumption",
        }


PROCESSES: dict[str, ProcessModel] = {
    p.name: p
    for p in (
        ProcessModel(
            "single_crystal", 1.0, 0.0, (1e-3, 1e-3), 0.0, (1e-3, 1e-3), 0.0,
            "ideal reference: a uniform layer of crystal density",
        ),
        ProcessModel(
            "pressing", 0.95, 0.02, (5e-3, 5e-3), 0.03, (1e-3, 1e-3), 0.3,
            "review 3.1.1: compact wafers with density close to single crystals, thickness "
            "set by the mould; 'the fluidity of the powder and the used pressure can "
            "introduce non-uniformity' (mm-scale density)",
        ),
        ProcessModel(
            "membrane_filling", 0.90, 0.05, (2e-3, 2e-3), 0.10, (0.5e-3, 0.5e-3), 0.5,
            "review 3.1.2: loading ratio up to 95 % but 'non-uniform loading of perovskites "
            "on nylon membranes will lead to poor imaging' and non-uniform pixel response",
        ),
        ProcessModel(
            "blade_coating", 0.85, 0.05, (1e-3, 10e-3), 0.05, (0.1e-3, 0.1e-3), 0.5,
            "review 3.2.1: pinholes lower the density; crystals of tens of micrometres; "
            "thickness streaks along the coating direction (x)",
        ),
        ProcessModel(
            "spray_coating", 0.90, 0.04, (3e-3, 3e-3), 0.03, (0.05e-3, 0.05e-3), 0.3,
            "review 3.2.2: thickness built by repeated passes (mm-scale overlap of the "
            "spray), columnar grains of 1–2 µm, much smaller than a pixel",
        ),
        ProcessModel(
            "vapour_deposition", 0.98, 0.01, (20e-3, 20e-3), 0.01, (1e-3, 1e-3), 0.2,
            "review 3.2.3: 'precise control over film thickness and uniformity within a "
            "large area', no solvent",
        ),
    )
}


def get_process(name: str) -> ProcessModel:
    """The :class:`ProcessModel` called ``name`` (``"blade_coating"``, ...)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key == "vapor_deposition":
        key = "vapour_deposition"
    if key not in PROCESSES:
        raise UnknownNameError(
            f"unknown deposition process {name!r}; known: {', '.join(PROCESSES)}"
        )
    return PROCESSES[key]


def gaussian_random_field(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    correlation_m: float | Sequence[float],
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Stationary zero-mean, unit-variance Gaussian field with C(r) = exp(−r²/2ℓ²).

    White noise filtered (periodically, FFT) by a Gaussian of standard deviation ℓ/√2 per
    axis; normalised by the filter's energy so the variance is 1 in expectation.

    Parameters
    ----------
    shape
        (rows, columns).
    spacing_m
        Grid spacing, m.
    correlation_m
        Correlation length ℓ, m, or (ℓ_y, ℓ_x).
    seed
        Seed or generator.
    """
    if not spacing_m > 0:
        raise InputError(f"spacing must be > 0 m, got {spacing_m!r}")
    lengths = np.broadcast_to(np.asarray(correlation_m, dtype=float), (2,))
    if np.any(lengths < 0):
        raise InputError("correlation lengths must be >= 0 m")
    import scipy.fft as sfft

    from perovx.threads import default_threads

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    # float32 FFTs (scipy's pocketfft over the process's cores; the result does not depend
    # on their number): the field enters the film maps as 1 + σ·field with σ ≤ 0.1 and
    # ln μτ σ ≤ 0.5, so float32's relative rounding (~6e-8) is far below any effect. The
    # float64 white noise is drawn strip by strip into the float32 input (the same stream
    # and values as one draw): no full-size float64 array of it
    white = np.empty(shape, dtype=np.float32)
    for r0 in range(0, shape[0], 256):
        white[r0 : r0 + 256] = rng.standard_normal((min(256, shape[0] - r0), shape[1]))
    spectrum = sfft.rfft2(white, workers=default_threads())
    del white
    sy, sx = lengths / math.sqrt(2.0)
    fy = np.fft.fftfreq(shape[0], d=spacing_m)
    fx = np.fft.fftfreq(shape[1], d=spacing_m)
    # the Gaussian filter is separable: exp(−2π²((f_y s_y)² + (f_x s_x)²)) = t_y t_x
    ty = np.exp(-2.0 * np.pi**2 * (fy * sy) ** 2)
    tx = np.exp(-2.0 * np.pi**2 * (fx * sx) ** 2)
    spectrum *= ty.astype(np.float32)[:, None]
    spectrum *= tx[: shape[1] // 2 + 1].astype(np.float32)[None, :]
    # the spectrum is ours: the inverse FFT may work in it (no copy of it)
    field_ = sfft.irfft2(spectrum, s=shape, workers=default_threads(), overwrite_x=True)
    del spectrum
    # energy of the filter = mean of |transfer|² over the full spectrum (separable too)
    energy = float(np.mean(ty * ty)) * float(np.mean(tx * tx))
    return np.multiply(field_, 1.0 / math.sqrt(energy), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class FilmMaps:
    """Relative thickness, density and mu-tau of a film, per pixel (each mean ≈ 1).

    Attributes
    ----------
    process
        The process model that drew them.
    thickness_factor, density_factor, mu_tau_factor
        Local value / nominal value. ``density_factor`` is relative to the process's
        mean packing (the nominal film density is packing × crystal density).
    spacing_m
        Pixel pitch of the maps, m.
    """

    process: ProcessModel
    thickness_factor: np.ndarray = field(repr=False)
    density_factor: np.ndarray = field(repr=False)
    mu_tau_factor: np.ndarray = field(repr=False)
    spacing_m: float

    def summary(self) -> dict[str, float]:
        """rms of each map, for reports."""
        return {
            "thickness_rms": float(np.std(self.thickness_factor)),
            "density_rms": float(np.std(self.density_factor)),
            "mu_tau_log_rms": float(np.std(np.log(self.mu_tau_factor))),
        }


def film_maps(
    process: str | ProcessModel,
    shape: tuple[int, int],
    *,
    spacing_m: float,
    seed: int = 0,
) -> FilmMaps:
    """Draw thickness, density and mu-tau maps of a film made by ``process``.

    Parameters
    ----------
    process
        Process name (see :data:`PROCESSES`) or a :class:`ProcessModel`.
    shape
        (rows, columns) of pixels.
    spacing_m
        Pixel pitch, m.
    seed
        Seed (same seed → same film).
    """
    model = get_process(process) if isinstance(process, str) else process
    rng = np.random.default_rng(seed)
    t = gaussian_random_field(shape, spacing_m=spacing_m,
                              correlation_m=model.thickness_correlation_m, seed=rng)
    d = gaussian_random_field(shape, spacing_m=spacing_m,
                              correlation_m=model.density_correlation_m, seed=rng)
    m = gaussian_random_field(shape, spacing_m=spacing_m,
                              correlation_m=model.density_correlation_m, seed=rng)
    sig = model.mu_tau_log_rms
    # in place in the fields (the same operations as clip(1 + σ·t, 0.1) and
    # exp(σ·m − σ²/2)): no full-size temporaries
    for f_, rms in ((t, model.thickness_rms), (d, model.density_rms)):
        f_ *= rms
        f_ += 1.0
        np.maximum(f_, 0.1, out=f_)
    m *= sig
    m -= 0.5 * sig * sig
    np.exp(m, out=m)
    return FilmMaps(process=model, thickness_factor=t, density_factor=d, mu_tau_factor=m,
                    spacing_m=spacing_m)


@dataclass(frozen=True, eq=False)
class FilmFactors:
    """Per-pixel factors that a film's non-uniformity applies to the imaging chain.

    Attributes
    ----------
    interaction
        Relative number of interacting photons, shape (groups, rows, columns).
    collection
        Relative charge collected per photon, (rows, columns).
    dark
        Relative dark current, (rows, columns) (ohmic: ∝ 1/thickness).
    """

    interaction: np.ndarray = field(repr=False)
    collection: np.ndarray = field(repr=False)
    dark: np.ndarray = field(repr=False)


def film_factors(
    maps: FilmMaps,
    *,
    mu_per_m: Sequence[float],
    weights: Sequence[float],
    transport: ChargeTransport,
    dtype: type = np.float64,
    threads: int | None = None,
) -> FilmFactors:
    """Turn film maps into interaction, collection and dark-current factors per pixel.

    Interaction of group g: [1 − exp(−μ_g t a)] / [1 − exp(−μ_g t)], with a the local
    areal-density factor (thickness × density). Collection: the planar two-carrier Hecht
    efficiency for exponential absorption (:func:`perovx.transport.hecht.hecht_cce_exponential`)
    at the local thickness (the field |V|/t changes with it) and mu-tau, averaged over
    the groups with ``weights``, relative to the nominal film. Dark current ∝ 1/t.

    Parameters
    ----------
    maps
        From :func:`film_maps`.
    mu_per_m
        Linear attenuation coefficient of the nominal film at each group energy, m⁻¹.
    weights
        Relative weight of each group in the signal (e.g. expected charge).
    transport
        Nominal layer transport.
    dtype
        Floating type of the interaction and dark-current factors (the arithmetic is
        float64; float32 halves a full-size panel's (groups × pixels) array: relative
        factors near 1, rounding 6e-8). They are filled strip by strip, with no float64
        copy of them.
    threads
        Worker threads over strips of rows (default: the process's cores,
        ``PEROVX_THREADS``); the factors are the same for any number.
    """
    from perovx.threads import in_background, run_row_chunks

    mu = np.asarray(mu_per_m, dtype=float)
    w = np.asarray(weights, dtype=float)
    if mu.shape != w.shape or mu.ndim != 1:
        raise InputError("mu_per_m and weights need one value per energy group")
    if not w.sum() > 0:
        raise InputError("group weights must not all be zero")
    w = w / w.sum()
    t0 = transport.thickness_m
    tf, df = maps.thickness_factor, maps.density_factor
    nominal = -np.expm1(-mu * t0)
    interaction = np.empty((mu.size, *tf.shape), dtype=dtype)
    dark = np.empty(tf.shape, dtype=dtype)
    # chunks of rows on the process's threads, each strip by strip in two float64 strip
    # buffers of its own (the areal-density factor and the group's factor): the same
    # operations as −expm1(−μ t0 a)/n over the whole map, with no full-size temporaries,
    # and the same values for any number of threads
    def chunk(c0: int, c1: int) -> None:
        held = np.empty((2, min(256, c1 - c0), tf.shape[1]))
        for r0 in range(c0, c1, 256):
            rows = slice(r0, min(r0 + 256, c1))
            areal = np.multiply(tf[rows], df[rows], out=held[0, : tf[rows].shape[0]])
            x = held[1, : areal.shape[0]]
            for g, (m_, n_) in enumerate(zip(mu, nominal, strict=True)):
                if not n_ > 0:
                    interaction[g, rows] = 1.0
                    continue
                np.multiply(areal, -m_ * t0, out=x)
                np.expm1(x, out=x)
                np.negative(x, out=x)
                x /= n_
                interaction[g, rows] = x
            dark[rows] = 1.0 / tf[rows]  # ohmic: ∝ 1/thickness (float64, stored as dtype)

    # the interaction and dark factors are filled on worker threads while the collection
    # table (290 Hecht evaluations, serial) is computed here
    filled = in_background(lambda: run_row_chunks(tf.shape[0], chunk, threads), threads)

    def cce(tf: float, mf: float) -> float:
        def scaled(v: float | None) -> float | None:
            return None if v is None else v * mf

        values = hecht_cce_exponential(
            mu,
            thickness_m=t0 * tf,
            bias_V=transport.bias_V,
            mu_tau_e_m2_per_V=scaled(transport.mu_tau_e_m2_per_V),
            mu_tau_h_m2_per_V=scaled(transport.mu_tau_h_m2_per_V),
            polarity=transport.polarity,
        )
        return float(np.sum(w * values))

    tf_grid = np.linspace(float(maps.thickness_factor.min()),
                          float(maps.thickness_factor.max()), 17)
    mf_grid = np.linspace(float(np.log(maps.mu_tau_factor.min())),
                          float(np.log(maps.mu_tau_factor.max())), 17)
    # a map nearly constant over a small panel (correlation length ≫ panel) gives a grid
    # too fine to be strictly ascending in floating point: use a two-node grid around it
    if not np.all(np.diff(tf_grid) > 1e-9):
        tf_grid = tf_grid[0] + np.array([-1e-6, tf_grid[-1] - tf_grid[0] + 1e-6])
    if not np.all(np.diff(mf_grid) > 1e-9):
        mf_grid = mf_grid[0] + np.array([-1e-6, mf_grid[-1] - mf_grid[0] + 1e-6])
    table = np.array([[cce(tf, math.exp(lm)) for lm in mf_grid] for tf in tf_grid])
    filled.result()
    collection = _bilinear(tf_grid, mf_grid, table / cce(1.0, 1.0), maps.thickness_factor,
                           maps.mu_tau_factor, threads)
    return FilmFactors(interaction=interaction, collection=collection, dark=dark)


def _bilinear(xg: np.ndarray, yg: np.ndarray, table: np.ndarray, x: np.ndarray,
              mu_tau_factor: np.ndarray, threads: int | None = None) -> np.ndarray:
    """Bilinear interpolation of ``table`` on the uniform grid ``xg`` × ``yg`` at
    (``x``, ln ``mu_tau_factor``), strip by strip (points lie within the grid).

    The same interpolant as scipy's ``RegularGridInterpolator(method="linear")`` (values
    equal to rounding), without its per-point index search over a full-size panel's
    9 × 10⁶ pixels (1.5 s) or its (pixels × 2) float64 point array.
    """
    from perovx.threads import run_row_chunks

    out = np.empty(x.shape)
    nx, ny = xg.size - 1, yg.size - 1
    sx = nx / (xg[-1] - xg[0])
    sy = ny / (yg[-1] - yg[0])
    def chunk(c0: int, c1: int) -> None:
        for r0 in range(c0, c1, 256):
            rows = slice(r0, min(r0 + 256, c1))
            fx = (x[rows] - xg[0]) * sx
            fy = (np.log(mu_tau_factor[rows]) - yg[0]) * sy
            i = np.clip(np.floor(fx).astype(np.intp), 0, nx - 1)
            j = np.clip(np.floor(fy).astype(np.intp), 0, ny - 1)
            t = np.clip(fx - i, 0.0, 1.0)
            u = np.clip(fy - j, 0.0, 1.0)
            out[rows] = ((1 - t) * ((1 - u) * table[i, j] + u * table[i, j + 1])
                         + t * ((1 - u) * table[i + 1, j] + u * table[i + 1, j + 1]))

    run_row_chunks(x.shape[0], chunk, threads)
    return out
