"""perovx: design, simulate and characterise halide-perovskite X-ray detectors.

The package follows the data flow of a detector: ``materials`` (compositions, database,
interaction coefficients) → ``spectra`` (beams) → ``interaction`` (attenuation in
layers, Monte Carlo) → ``transport`` (charge) → ``readout`` (pixels, noise, imaging
modes) → ``metrics`` (figures of merit, MTF/NPS/DQE) → ``report``; plus ``io`` (file
formats), ``sweep`` (distributed runs), ``cli`` and ``web``. A stage imports only from
stages upstream of it.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
