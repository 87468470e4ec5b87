"""Design: imaging performance of a detector design and choosing between designs.

Above ``metrics`` and ``readout`` in the data flow: the cascaded linear-systems model of
a direct-conversion panel (:mod:`perovx.design.csa`; its array core over many designs in
:mod:`perovx.design.cascade`, the deposition process's film terms in
:mod:`perovx.design.film_terms`, its Monte Carlo inputs in
:mod:`perovx.design.deposition`), model observers (:mod:`perovx.design.observer`),
side-by-side comparisons of detectors (:mod:`perovx.design.compare`), inverse design
with NSGA-II (:mod:`perovx.design.search`) and confirmation of a design by simulation
(:mod:`perovx.design.confirm`).
"""

from perovx.design.csa import STAGES, CSABatch, CSAResult, Design, breakdown, csa_batch, csa_model

__all__ = ["STAGES", "CSABatch", "CSAResult", "Design", "breakdown", "csa_batch", "csa_model"]
