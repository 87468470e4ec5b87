"""Design: imaging performance of a detector design and choosing between designs.

Above ``metrics`` and ``readout`` in the data flow: the cascaded linear-systems model of
a direct-conversion panel (:mod:`perovx.design.csa`, its Monte Carlo inputs in
:mod:`perovx.design.deposition`), model observers (:mod:`perovx.design.observer`) and
side-by-side comparisons of detectors (:mod:`perovx.design.compare`).
"""

from perovx.design.csa import STAGES, CSAResult, Design, breakdown, csa_model

__all__ = ["STAGES", "CSAResult", "Design", "breakdown", "csa_model"]
