"""The readout electronics of a read (:func:`read_out`): lag, dark charge and its shot
noise, pixel gain and offset non-uniformity, electronic noise, ADC.

Step 4 of the read pipeline of :mod:`perovx.readout.frame` (which re-exports these
names), run over the fixed pixel blocks of :mod:`perovx.readout.blocks`, each block with
its own random stream, so that the result does not depend on the number of threads.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from perovx.errors import InputError
from perovx.readout.panel import FixedPattern, Panel

__all__ = ["POISSON_NORMAL_ABOVE", "ReadResult", "read_out"]

#: Dark charges of at least this many electrons per read get their shot noise as a normal
#: variable N(λ, λ) rounded to whole electrons instead of a Poisson draw (numpy's Poisson
#: sampler takes several times longer). The largest difference of the two distribution
#: functions is 0.0665/√λ (computed with scipy.stats at λ = 10², 10³, 10⁴: the skewness
#: term of the Edgeworth series, 1/(6√(2π λ))), i.e. ≤ 0.0021 here — on a charge that
#: the electronic noise (10²–10³ e rms) and the ADC step (hundreds of electrons) blur
#: further; mean and variance are exact.
POISSON_NORMAL_ABOVE = 1000.0


def _dark_shot(mean_e: np.ndarray, rng: np.random.Generator,
               out: np.ndarray | None = None) -> np.ndarray:
    """Dark charge with its shot noise, electrons: Poisson, or N(λ, λ) rounded to whole
    electrons where λ ≥ :data:`POISSON_NORMAL_ABOVE` (see there for the accuracy).
    ``out``: a C-contiguous float64 array of ``mean_e``'s shape to draw into."""
    lam = np.asarray(mean_e, dtype=float)
    if out is None:
        out = np.empty(lam.shape)
    big = lam >= POISSON_NORMAL_ABOVE
    if not big.any():
        out[...] = rng.poisson(lam)
        return out
    rng.standard_normal(out=out)
    out *= np.sqrt(lam)
    out += lam
    np.rint(out, out=out)
    np.maximum(out, 0.0, out=out)
    if not big.all():
        out[~big] = rng.poisson(lam[~big])
    return out


@dataclass(frozen=True, eq=False)
class ReadResult:
    """ADC output of one or more reads.

    Attributes
    ----------
    dn
        ADC codes, float64, shape (reads, rows, columns) or (rows, columns); the mean of
        the summed reads when ``reads_summed`` > 1.
    saturated
        True where a read reached the top of the ADC range.
    lag_reservoir_e
        Charge still trapped after the last read, electrons (feed to the next call); a
        read-only view of the given reservoir when the panel has no lag.
    """

    dn: np.ndarray = field(repr=False)
    saturated: np.ndarray = field(repr=False)
    lag_reservoir_e: np.ndarray = field(repr=False)


def read_out(
    signal_e: np.ndarray,
    panel: Panel,
    *,
    dark_e: np.ndarray | float = 0.0,
    pattern: FixedPattern | None = None,
    seed: int | np.random.Generator | None = 0,
    read_period_s: float | None = None,
    lag_reservoir_e: np.ndarray | float = 0.0,
    reads_summed: int = 1,
    threads: int | None = None,
) -> ReadResult:
    """Turn collected charge into ADC codes: lag, dark charge, non-uniformity, noise, ADC.

    Parameters
    ----------
    signal_e
        Signal charge per pixel, electrons: (rows, columns) for one read or
        (reads, rows, columns) for a sequence read in that order.
    panel
        The readout electronics.
    dark_e
        Mean dark charge per pixel and read, electrons (scalar, map, or one map per read).
    pattern
        Fixed-pattern imperfections (:meth:`Panel.fixed_pattern`); ``None`` for an ideal
        panel.
    seed
        Seed or generator of the dark shot noise and the electronic noise (a generator
        gives one draw: the root of the streams of the fixed pixel blocks of
        :mod:`perovx.readout.blocks`, so the result does not depend on ``threads``).
    read_period_s
        Time between reads, s, for the lag release; default the panel's frame period.
    lag_reservoir_e
        Charge trapped before the first read, electrons.
    reads_summed
        Number of identical reads whose sum ``signal_e`` and ``dark_e`` already are
        (calibration frames); the noise is that of the sum and the result their mean.
    threads
        Worker threads over the pixel blocks (default: the cores this process may use).

    Returns
    -------
    ReadResult
    """
    from perovx.readout.blocks import (
        BLOCK_PIXELS,
        STAGE_READ,
        block_generator,
        block_grid,
        root_seed,
    )
    from perovx.threads import run_row_chunks, run_tasks

    sig = np.asarray(signal_e, dtype=float)
    single = sig.ndim == 2
    if single:
        sig = sig[None]
    if sig.ndim != 3:
        raise InputError(f"signal must be 2-D or 3-D, got shape {np.shape(signal_e)}")
    if int(reads_summed) != reads_summed or reads_summed < 1:
        raise InputError(f"reads_summed must be an integer >= 1, got {reads_summed!r}")
    dark_in = np.asarray(dark_e, dtype=float)
    # the minimum (NaN propagates and passes, as in any(dark < 0)): no boolean temporary
    if dark_in.size and dark_in.min() < 0:
        raise InputError("dark charge must be >= 0 electrons")
    dark = np.broadcast_to(dark_in, sig.shape)
    root = root_seed(seed)
    n = int(reads_summed)
    f, a = panel.lag_release(read_period_s)
    reservoir = np.broadcast_to(np.asarray(lag_reservoir_e, dtype=float), sig.shape[1:])
    if f > 0:  # (without lag the reservoir stays as given: a read-only view of it)
        # copied in row chunks on the process's threads (the same values)
        given, reservoir = reservoir, np.empty(reservoir.shape)
        run_row_chunks(reservoir.shape[0], lambda r0, r1: np.copyto(reservoir[r0:r1],
                                                                    given[r0:r1]), threads)
    dn = np.empty(sig.shape)
    saturated = np.empty(sig.shape, dtype=bool)
    # Each worker thread keeps two float64 buffers of one block's reads (the charge and a
    # draw) and computes in them in place: no fresh 0.5 MB temporaries per block and step
    # that the allocator would map and return to the kernel. float64, not float32: summed
    # calibration reads hold up to ~10⁸ electrons, beyond float32's 24-bit integers.
    local = threading.local()
    size = sig.shape[0] * BLOCK_PIXELS * BLOCK_PIXELS

    def buffers(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        held = getattr(local, "held", None)
        if held is None:
            held = local.held = (np.empty(size), np.empty(size))
        count = math.prod(shape)
        return held[0][:count].reshape(shape), held[1][:count].reshape(shape)

    def block(bi: int, bj: int, y: tuple[int, int], x: tuple[int, int]) -> None:
        """Read the pixels y × x of every read (each block its own random stream)."""
        ys, xs = slice(*y), slice(*x)
        rng = block_generator(root, STAGE_READ, bi, bj)
        s = sig[:, ys, xs]
        charge, draw = buffers(s.shape)
        # 1. lag: a fraction f of each read's charge is trapped; the reservoir releases
        #    (1 − a) of its content per read period, a = exp(−Δ/τ).
        if f > 0:
            r0 = reservoir[ys, xs]
            # R_k = a R_{k−1} + f S_k with R_{−1} = reservoir, read by read over whole
            # planes: the operations of scipy's lfilter([1], [1, −a], f S, zi = a R_{−1})
            # (x + a·y, the state a·y exact), which along axis 0 of a block ran one
            # length-1 filter per pixel (3 ms per 256² block)
            res = f * s
            res[0] += a * r0
            for k in range(1, res.shape[0]):
                res[k] += a * res[k - 1]
            # charge = (1 − f) S_k + (1 − a) R_{k−1}
            np.multiply(s, 1 - f, out=charge)
            np.multiply(r0, 1 - a, out=draw[0])
            np.multiply(res[:-1], 1 - a, out=draw[1:])
            charge += draw
            reservoir[ys, xs] = res[-1]
        else:
            charge[...] = s
        # 2. dark charge and its shot noise (Poisson in electrons; a rounded normal
        #    variable above POISSON_NORMAL_ABOVE electrons)
        charge += _dark_shot(dark[:, ys, xs], rng, out=draw)
        # 3. pixel gain and offset non-uniformity
        if pattern is not None:
            charge *= pattern.gain[ys, xs]
            charge += n * pattern.offset_e[ys, xs]
        # 4. electronic noise of each read
        if panel.electronic_noise_e > 0:
            rng.standard_normal(out=draw)
            draw *= panel.electronic_noise_e * math.sqrt(n)
            charge += draw
        # 5. ADC: pedestal, quantisation, saturation at the top of the range
        level = charge
        level *= panel.dn_per_electron / n
        level += panel.pedestal_dn
        if n > 1:  # the mean of n quantised reads: quantisation noise variance 1/(12 n)
            level += rng.uniform(-0.5, 0.5, level.shape) * (math.sqrt((n - 1) / n)
                                                            / math.sqrt(n))
            level *= n
            np.round(level, out=level)
            level /= n
        else:
            np.round(level, out=level)
        out = level
        np.greater_equal(out, panel.max_dn, out=saturated[:, ys, xs])
        np.clip(out, 0.0, float(panel.max_dn), out=out)
        if pattern is not None:
            out[:, pattern.dead[ys, xs]] = 0.0
        dn[:, ys, xs] = out

    grid = [(bi, bj, y, x)
            for bi, y in enumerate(block_grid(sig.shape[1], BLOCK_PIXELS))
            for bj, x in enumerate(block_grid(sig.shape[2], BLOCK_PIXELS))]
    run_tasks([(lambda b=b: block(*b)) for b in grid], threads)
    if single:
        return ReadResult(dn=dn[0], saturated=saturated[0], lag_reservoir_e=reservoir)
    return ReadResult(dn=dn, saturated=saturated, lag_reservoir_e=reservoir)
