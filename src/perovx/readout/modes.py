"""The three imaging modes of the review's Fig. 2, with their acquisition time and dose.

**Pixel array** (flat panel, :class:`PixelArray`): the whole field is exposed at once
and read as one frame (or a few). Time = integration (+ frame periods), air kerma at the
detector = the stated kerma per frame.

**Line scan** (:class:`LineScan`): a single row of pixels behind a fan beam of width w,
moved across the object at speed v. Each line integrates for t_line = pitch / v while
the object moves by one pitch (motion blur of one pitch along the scan); a point of the
object is under the fan for w / v, so its air kerma is K̇ w / v; the whole scan takes
N_lines · t_line. The fan collimation rejects the object's scatter.

**Point scan** (:class:`PointScan`): one pixel behind a pencil beam of diameter d,
rastered in steps of one pitch (x fast): time N_points (t_dwell + t_step), air kerma per
point K̇ t_dwell (d/pitch)² when the beam is wider than a step (overlapping exposures).

The object reads of a pixel array can also be simulated photon by photon
(:class:`PhotonTransport`): every photon leaving the object is transported through the
detector layer by the Monte Carlo, its deposits tallied on the (cell, depth) grid of the
panel, and the deposit map goes through the same depth-resolved pixel response, lag,
readout and correction as the kernel-based reads.

In every mode the entrance air kerma of the object (patient dose) follows from the air
kerma at the detector plane by the inverse-square law, the object lying on the detector:
K_entrance = K_detector (SID / (SID − t_object))², no backscatter.

The acquisition (:func:`acquire`) runs the panel's calibration first — dark reads and
open-field (flat) reads, each stack summed in one pass — then the object reads, then the
offset/gain correction. Time runs from bias-on: the dark current drifts (ion migration)
between calibration and acquisition, and along a long scan.

The code lives by concept in :mod:`perovx.readout.plan` (the modes, timing and dose),
:mod:`perovx.readout.imager` (the detector and the result), :mod:`perovx.readout.acquisition`
(the pixel-array acquisition and :func:`acquire`), :mod:`perovx.readout.scans` (line and
point scans) and :mod:`perovx.readout.photon_transport`; this module gathers the names.
"""

from __future__ import annotations

from perovx.readout.acquisition import acquire
from perovx.readout.imager import Acquisition, Imager
from perovx.readout.photon_transport import PhotonTransport
from perovx.readout.plan import (
    AcquisitionPlan,
    LineScan,
    Mode,
    PixelArray,
    PointScan,
    plan_acquisition,
)

__all__ = [
    "Acquisition",
    "AcquisitionPlan",
    "Imager",
    "LineScan",
    "Mode",
    "PhotonTransport",
    "PixelArray",
    "PointScan",
    "acquire",
    "plan_acquisition",
]
