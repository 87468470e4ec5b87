"""MTF, NPS and DQE of a photon-counting panel, per threshold.

Count images of an opaque slanted edge and of open fields
(:func:`perovx.readout.counting.count_images`) go through the same metrics as an
energy-integrating panel's images: :func:`~perovx.metrics.mtf.slanted_edge_mtf`,
:func:`~perovx.metrics.nps.noise_power_spectrum` and
:func:`~perovx.metrics.dqe.detective_quantum_efficiency`, with q the photon fluence
that entered the panel. Counts are linear in the fluence (below pile-up), so no
conversion function is needed. Photons counted twice (charge shared over a border, a
K-fluorescence photon reabsorbed in another pixel) raise the low-frequency NPS above
the Poisson level and lower DQE(0) — the cost of K fluorescence in counting mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError
from perovx.readout.counting import CountingReadout, count_images

if TYPE_CHECKING:
    from perovx.interaction.montecarlo.events import PhotonEvents
    from perovx.metrics.dqe import DQEResult
    from perovx.metrics.mtf import MTFResult
    from perovx.metrics.nps import NPSResult
    from perovx.transport.charge import ChargeTransport

__all__ = ["CountingQuality", "counting_image_quality", "opaque_edge_map"]

#: Nominal air kerma attached to the fluence when the DQE has none, Gy (q is given
#: directly as fluence over this kerma, so the value cancels).
_NOMINAL_KERMA_GY = 1e-6


def opaque_edge_map(shape: tuple[int, int], *, photons_per_pixel: float, angle_deg: float,
                    subsample: int = 8, transmission: float = 0.0) -> np.ndarray:
    """Expected photons per sub-pixel cell behind a straight edge through the centre.

    Parameters
    ----------
    shape
        (rows, cols) of the panel, pixels.
    photons_per_pixel
        Photons per pixel of the open beam (> 0).
    angle_deg
        Tilt of the edge to the pixel columns, degrees (1–10 as IEC 62220-1 asks ~2–3°).
    subsample
        Cells per pixel along each axis.
    transmission
        Fraction of the beam passing the edge device (0 for an ideal opaque edge).
    """
    if not (1.0 <= angle_deg <= 10.0):
        raise InputError(f"edge angle must be within 1–10°, got {angle_deg!r}°")
    ny, nx = shape
    s = subsample
    yy, xx = np.mgrid[0:ny * s, 0:nx * s]
    x = (xx + 0.5) / s - nx / 2
    y = (yy + 0.5) / s - ny / 2
    a = math.radians(angle_deg)
    dist = x * math.cos(a) - y * math.sin(a)
    cell = photons_per_pixel / (s * s)
    return np.where(dist > 0, cell, cell * transmission)


@dataclass(frozen=True)
class CountingQuality:
    """Image quality of each threshold's count image.

    Attributes
    ----------
    thresholds_keV
        Thresholds, keV.
    mtf, nps, dqe
        One result per threshold.
    counts_per_photon
        Mean counts per incident photon in an open field, per threshold.
    variance_to_mean
        Pixel variance over mean of the open-field counts, per threshold (1: Poisson),
        over the field less a border of 1/8 of its side.
    fluence_per_m2
        Photon fluence of the open fields, m⁻².
    """

    thresholds_keV: tuple[float, ...]
    mtf: tuple[MTFResult, ...]
    nps: tuple[NPSResult, ...]
    dqe: tuple[DQEResult, ...]
    counts_per_photon: tuple[float, ...]
    variance_to_mean: tuple[float, ...]
    fluence_per_m2: float

    def summary(self) -> dict[str, Any]:
        """Plain figures per threshold: MTF and DQE at 0.5 and 1 × Nyquist/2, DQE(0)."""
        out = []
        for k, t in enumerate(self.thresholds_keV):
            d = self.dqe[k]
            f = np.asarray(d.frequency_per_m) * 1e-3
            q = np.asarray(d.dqe)
            ok = np.isfinite(q)
            out.append({
                "threshold_keV": t,
                "counts_per_photon": self.counts_per_photon[k],
                "variance_to_mean": self.variance_to_mean[k],
                "dqe_low_frequency": float(q[ok][0]) if ok.any() else math.nan,
                "frequency_lp_per_mm": f.tolist(),
                "dqe": q.tolist(),
            })
        return {"fluence_per_m2": self.fluence_per_m2, "thresholds": out}


def counting_image_quality(
    events: PhotonEvents,
    readout: CountingReadout,
    *,
    transport: ChargeTransport | None = None,
    photons_per_pixel: float = 200.0,
    size_px: int = 128,
    edge_angle_deg: float = 3.0,
    roi_size_px: int = 64,
    seed: int = 0,
) -> CountingQuality:
    """MTF, NPS and DQE of each threshold from simulated edge and open-field counts.

    Parameters
    ----------
    events
        Monte Carlo event list of the beam
        (:func:`~perovx.interaction.montecarlo.events.photon_events`).
    readout
        Counting readout (no dead time: pile-up makes counts non-linear in fluence).
    transport
        Charge transport (cloud spread, collection).
    photons_per_pixel
        Open-beam photons per pixel (10–10⁴).
    size_px
        Side of the simulated panel, pixels (32–512).
    edge_angle_deg
        Tilt of the edge, degrees.
    roi_size_px
        NPS ROI side, pixels (16 – size_px).
    seed
        Seed.
    """
    from dataclasses import replace

    from perovx.metrics.dqe import detective_quantum_efficiency
    from perovx.metrics.mtf import slanted_edge_mtf
    from perovx.metrics.nps import noise_power_spectrum

    if not (10 <= photons_per_pixel <= 1e4):
        raise InputError(f"photons_per_pixel must be within 10–1e4, got {photons_per_pixel!r}")
    if not (32 <= size_px <= 512):
        raise InputError(f"size_px must be within 32–512, got {size_px!r}")
    if not (16 <= roi_size_px <= size_px):
        raise InputError(f"roi_size_px must be within 16–{size_px}, got {roi_size_px!r}")
    if readout.dead_time_s > 0:
        readout = replace(readout, dead_time_s=0.0)
    p = readout.pixel_pitch_m
    shape = (size_px, size_px)
    s = 8
    edge = count_images(
        events, opaque_edge_map(shape, photons_per_pixel=photons_per_pixel,
                                angle_deg=edge_angle_deg, subsample=s),
        readout, transport=transport, subsample=s, seed=seed)
    flat = [count_images(events, np.full(shape, float(photons_per_pixel)), readout,
                         transport=transport, seed=seed + 1 + i) for i in range(2)]
    q = photons_per_pixel / (p * p)
    margin = size_px // 8
    roi = (margin, size_px - margin, margin, size_px - margin)
    mtfs, npss, dqes, cpp, vm = [], [], [], [], []
    for k in range(len(readout.thresholds_keV)):
        m = slanted_edge_mtf(edge.above_threshold[k].astype(float), pixel_pitch_m=p,
                             roi=roi, saturation_level=math.inf)
        frames = np.stack([f.above_threshold[k].astype(float) for f in flat])
        n = noise_power_spectrum(frames, pixel_pitch_m=p, roi_size_px=roi_size_px,
                                 area="full")
        d = detective_quantum_efficiency(m, n, air_kerma_Gy=_NOMINAL_KERMA_GY, beam=None,
                                         q_per_m2_per_Gy=q / _NOMINAL_KERMA_GY)
        mtfs.append(m)
        npss.append(n)
        dqes.append(d)
        # interior only: border pixels lack the fluorescence of photons outside the field
        a = frames[0][margin:-margin, margin:-margin]
        cpp.append(float(a.mean() / photons_per_pixel))
        vm.append(float(a.var() / a.mean()) if a.mean() > 0 else math.nan)
    return CountingQuality(
        thresholds_keV=readout.thresholds_keV,
        mtf=tuple(mtfs),
        nps=tuple(npss),
        dqe=tuple(dqes),
        counts_per_photon=tuple(cpp),
        variance_to_mean=tuple(vm),
        fluence_per_m2=q,
    )
