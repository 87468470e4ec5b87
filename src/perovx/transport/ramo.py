"""Shockley–Ramo weighting potential of a rectangular pixel pad in a planar detector.

Geometry: a layer of thickness L between two planes. The pixel electrodes lie on the
plane ``height = 0`` (the backplane); the common electrode, through which the X-rays
enter, is the plane ``height = L``. The weighting potential φ of one pad is the
electrostatic potential with that pad at 1 and every other electrode at 0; a charge q
moving from r₁ to r₂ induces −q[φ(r₂) − φ(r₁)] on the pad (Shockley 1938, Ramo 1939).
φ depends only on the geometry, never on the bias or the space charge.

Two independent solutions are implemented:

``method="images"`` (default)
    The potential of a pad held at 1 in an otherwise grounded plane, seen from a point at
    height h above it, is Ω/2π, with Ω the solid angle the pad subtends at that point
    (exact for the half space). The second grounded plane at h = L is added by the method
    of images: with Ω extended as an odd function of h,

        φ(x, y, h) = (1/2π) Σₙ Ω(x, y, h + 2nL),  n = −∞ … ∞,

    which is 1 on the pad, 0 on the rest of the plane h = 0 and 0 on h = L. The pairs
    n, −n converge as n⁻³; the terms beyond |n| = N are replaced by their Euler–Maclaurin
    integral, −(1/2L)∫Ω(D)dD over D = (2N + 1)L ± h, with 2NL at least twice the largest
    pad size or lateral distance asked for (error < 10⁻⁷ per point; summed over all the
    pads of a plane, < 10⁻⁵). The solid angle of a rectangle uses the corner formula
    Ω = Σ ± arctan[u v / (h √(u² + v² + h²))].
``method="fourier"``
    The Fourier-series solution for a periodic array of pads used by Eskin, Barrett and
    Barber (1999): with period P much larger than L and the pad,

        φ = Σ_{m,n} c_m c_n cos(2πmx/P) cos(2πny/P) sinh(k(L − h)) / sinh(kL),

    c₀ = a/P, c_m = 2 sin(πma/P)/(πm), k = 2π√(m² + n²)/P. Slower; converges poorly
    right at h = 0 (Gibbs ripple) and is used as a cross-check of the image series.

Limits (tested): a pad much wider than L gives the planar weighting potential
1 − h/L over its centre (the Hecht geometry); a pad much smaller than L gives the
half-space solid-angle potential (2/π) arcsin[ab/√((a² + 4h²)(b² + 4h²))] on its axis,
so that a carrier drifting to the pad induces most of its charge in the last few pad
widths of its path: the small-pixel effect (Barrett, Eskin and Barber, Phys. Rev. Lett.
75, 156 (1995)).

References
----------
J. D. Eskin, H. H. Barrett and H. B. Barber, "Signals induced in semiconductor gamma-ray
imaging detectors", J. Appl. Phys. 85, 647 (1999).
A. Castoldi, E. Gatti and P. Rehak, "Three-dimensional analytical solution of the Laplace
equation suitable for semiconductor detector design", IEEE Trans. Nucl. Sci. 43, 256
(1996).
Z. He, "Review of the Shockley–Ramo theorem and its application in semiconductor
gamma-ray detectors", Nucl. Instrum. Methods A 463, 250 (2001).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from perovx.errors import InputError

__all__ = [
    "WeightingMethod",
    "induced_charge_fraction",
    "pad_solid_angle",
    "weighting_potential",
]

WeightingMethod = Literal["images", "fourier"]

#: Image pairs summed explicitly beyond the pad size (the rest in closed form).
_MIN_IMAGE_PAIRS = 4


def _check_geometry(thickness_m: float, pad_x_m: float, pad_y_m: float) -> None:
    if not (thickness_m > 0 and np.isfinite(thickness_m)):
        raise InputError(f"detector thickness must be > 0 m, got {thickness_m!r}")
    for name, value in (("pad_x_m", pad_x_m), ("pad_y_m", pad_y_m)):
        if not (value > 0 and np.isfinite(value)):
            raise InputError(f"pixel pad size {name} must be > 0 m, got {value!r}")


def pad_solid_angle(
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    height_m: np.ndarray | float,
    *,
    pad_x_m: float,
    pad_y_m: float,
) -> np.ndarray:
    """Solid angle subtended by a rectangular pad at a point, sr, odd in ``height_m``.

    Parameters
    ----------
    x_m, y_m
        Lateral position of the point relative to the pad centre, m (broadcast together).
    height_m
        Height of the point above the pad plane, m; a negative height gives the negative
        of the solid angle at the mirror point. At height 0 the result is 2π on the pad,
        π on its edge and 0 outside it.
    pad_x_m, pad_y_m
        Pad size along x and y, m (> 0).

    Returns
    -------
    numpy.ndarray
        Ω, sr, in [−2π, 2π].
    """
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    h = np.asarray(height_m, dtype=float)
    ah = np.abs(h)
    total = np.zeros(np.broadcast_shapes(x.shape, y.shape, h.shape))
    for sx, ex in ((1.0, pad_x_m / 2.0), (-1.0, -pad_x_m / 2.0)):
        u = ex - x
        for sy, ey in ((1.0, pad_y_m / 2.0), (-1.0, -pad_y_m / 2.0)):
            v = ey - y
            r = np.sqrt(u * u + v * v + ah * ah)
            total = total + sx * sy * np.arctan2(u * v, ah * r)
    return np.where(h < 0, -total, total)


def _image_pairs(thickness_m: float, reach_m: float) -> int:
    """Explicit image pairs: 2NL must exceed the pad size and the lateral distances a few
    times, where the summand is no longer smooth in n (Euler–Maclaurin tail)."""
    return int(np.ceil(2.0 * reach_m / thickness_m)) + 2 * _MIN_IMAGE_PAIRS


def _images(
    x: np.ndarray, y: np.ndarray, h: np.ndarray, L: float, a: float, b: float, pairs: int
) -> np.ndarray:
    phi = pad_solid_angle(x, y, h, pad_x_m=a, pad_y_m=b)
    for n in range(1, pairs + 1):
        phi = phi + pad_solid_angle(x, y, h + 2 * n * L, pad_x_m=a, pad_y_m=b)
        phi = phi - pad_solid_angle(x, y, 2 * n * L - h, pad_x_m=a, pad_y_m=b)
    # Tail n > pairs by the Euler–Maclaurin midpoint rule: Σ_{n>N}[Ω(2nL + h) − Ω(2nL − h)]
    # ≈ ∫_{N+1/2}^∞ … dn = −(1/2L) ∫_{D0−h}^{D0+h} Ω(D) dD, D0 = (2N + 1)L, a smooth
    # integrand on a short interval: 8-point Gauss–Legendre.
    d0 = (2.0 * pairs + 1.0) * L
    nodes, weights = np.polynomial.legendre.leggauss(8)
    tail = np.zeros_like(phi)
    for t, w in zip(nodes, weights, strict=True):
        tail = tail + w * pad_solid_angle(x, y, d0 + t * h, pad_x_m=a, pad_y_m=b)
    tail = -tail * h / (2.0 * L)  # Gauss weights sum over [−1, 1]: interval half-width h
    return (phi + tail) / (2.0 * np.pi)


def _fourier(
    x: np.ndarray,
    y: np.ndarray,
    h: np.ndarray,
    L: float,
    a: float,
    b: float,
    period_m: float,
    terms: int,
) -> np.ndarray:
    m = np.arange(terms + 1, dtype=float)
    safe_m = np.pi * np.maximum(m, 1)
    cx = np.where(m == 0, a / period_m, 2.0 * np.sin(np.pi * m * a / period_m) / safe_m)
    cy = np.where(m == 0, b / period_m, 2.0 * np.sin(np.pi * m * b / period_m) / safe_m)
    k = 2.0 * np.pi / period_m * np.sqrt(m[:, None] ** 2 + m[None, :] ** 2)
    coeff = cx[:, None] * cy[None, :]
    flat_x, flat_y, flat_h = (np.ravel(v) for v in np.broadcast_arrays(x, y, h))
    out = np.empty(flat_x.shape)
    for i in range(flat_x.size):
        hh = flat_h[i]
        with np.errstate(over="ignore", invalid="ignore"):
            # sinh(k(L−h))/sinh(kL) = e^{−kh}(1 − e^{−2k(L−h)})/(1 − e^{−2kL}), stable for large k
            ratio = np.exp(-k * hh) * -np.expm1(-2 * k * (L - hh)) / -np.expm1(-2 * k * L)
        ratio[0, 0] = (L - hh) / L
        cos_x = np.cos(2.0 * np.pi * m * flat_x[i] / period_m)
        cos_y = np.cos(2.0 * np.pi * m * flat_y[i] / period_m)
        out[i] = float(cos_x @ (coeff * ratio) @ cos_y)
    return out.reshape(np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(h)))


def weighting_potential(
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    height_m: np.ndarray | float,
    *,
    thickness_m: float,
    pad_x_m: float,
    pad_y_m: float | None = None,
    method: WeightingMethod = "images",
    period_m: float | None = None,
    terms: int = 400,
) -> np.ndarray:
    """Weighting potential of a rectangular pixel pad, dimensionless in [0, 1].

    Parameters
    ----------
    x_m, y_m
        Lateral position relative to the pad centre, m (arrays broadcast together).
    height_m
        Height above the pixel-electrode plane, m, in [0, ``thickness_m``]: 0 is the pad
        plane, ``thickness_m`` the common (entrance) electrode.
    thickness_m
        Detector thickness L, m (> 0).
    pad_x_m, pad_y_m
        Pad size along x and y, m (> 0); ``pad_y_m`` defaults to ``pad_x_m``.
    method
        ``"images"`` (image-charge series of solid angles, error < 10⁻⁷) or
        ``"fourier"`` (Fourier series of a periodic pad array, Eskin et al. 1999).
    period_m
        Array period of the Fourier solution, m; default max(pad) + 16 L, wide enough
        that neighbouring periods change φ by < 10⁻⁶.
    terms
        Fourier terms per axis (``method="fourier"`` only).

    Returns
    -------
    numpy.ndarray
        φ with the broadcast shape of the inputs.

    Examples
    --------
    A pad much wider than the layer gives the planar potential 1 − h/L at its centre:

    >>> round(float(weighting_potential(0.0, 0.0, 0.5e-3, thickness_m=1e-3, pad_x_m=0.1)), 4)
    0.5
    """
    b = pad_x_m if pad_y_m is None else pad_y_m
    _check_geometry(thickness_m, pad_x_m, b)
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    h = np.asarray(height_m, dtype=float)
    tol = 1e-12 * thickness_m
    if np.any(h < -tol) or np.any(h > thickness_m + tol):
        raise InputError(
            f"height must lie within the detector, 0 to {thickness_m:g} m; got values from "
            f"{float(np.min(h)):g} to {float(np.max(h)):g} m"
        )
    h = np.clip(h, 0.0, thickness_m)
    if method == "images":
        reach = max(pad_x_m, b, float(np.max(np.abs(x), initial=0.0)),
                    float(np.max(np.abs(y), initial=0.0)))
        pairs = _image_pairs(thickness_m, reach)
        phi = _images(x, y, h, thickness_m, pad_x_m, b, pairs)
    elif method == "fourier":
        period = period_m if period_m is not None else max(pad_x_m, b) + 16 * thickness_m
        if not period > max(pad_x_m, b):
            raise InputError(f"period_m must exceed the pad size, got {period!r} m")
        phi = _fourier(x, y, h, thickness_m, pad_x_m, b, period, int(terms))
    else:
        raise InputError(f"method must be 'images' or 'fourier', got {method!r}")
    return np.clip(phi, 0.0, 1.0)


def induced_charge_fraction(
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    start_height_m: np.ndarray | float,
    end_height_m: np.ndarray | float,
    *,
    thickness_m: float,
    pad_x_m: float,
    pad_y_m: float | None = None,
) -> np.ndarray:
    """Charge induced on a pad by a unit charge moving straight along the field, no trapping.

    Returns φ(end) − φ(start) (Shockley–Ramo); multiply by −q for the induced charge.

    Parameters
    ----------
    x_m, y_m
        Lateral position of the drift line relative to the pad centre, m.
    start_height_m, end_height_m
        Heights above the pixel plane where the carrier starts and stops, m.
    thickness_m, pad_x_m, pad_y_m
        Geometry, m (see :func:`weighting_potential`).
    """
    kw = {"thickness_m": thickness_m, "pad_x_m": pad_x_m, "pad_y_m": pad_y_m}
    return weighting_potential(x_m, y_m, end_height_m, **kw) - weighting_potential(
        x_m, y_m, start_height_m, **kw
    )
