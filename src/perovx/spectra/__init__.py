"""Spectra: X-ray beams (SpekPy tube spectra, IEC 61267 qualities, monoenergetic lines),
their air kerma, half-value layers and photon fluence per air kerma q."""

from perovx.spectra.beam import Beam, beam_from_fluence, monoenergetic_beam
from perovx.spectra.catalog import BEAM_SYNTAX, get_beam, quality_beam
from perovx.spectra.dosimetry import air_kerma, half_value_layer
from perovx.spectra.qualities import QUALITIES, RadiationQuality
from perovx.spectra.tube import tube_beam

__all__ = [
    "BEAM_SYNTAX",
    "QUALITIES",
    "Beam",
    "RadiationQuality",
    "air_kerma",
    "beam_from_fluence",
    "get_beam",
    "half_value_layer",
    "monoenergetic_beam",
    "quality_beam",
    "tube_beam",
]
