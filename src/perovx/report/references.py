"""The references a perovskite panel must beat, side by side (a section of ``perovx demo``).

A CsI:Tl indirect panel (600 µm columnar CsI:Tl on photodiodes,
:mod:`perovx.readout.indirect`), the commercial direct a-Se panel and two perovskite
panels image the same hand phantom at the same air kerma (RQA5, 2.5 µGy, 150 µm pixels)
through the whole ``perovx simulate`` chain (:func:`perovx.design.compare.compare`);
MTF, NNPS and DQE come from each detector's model (:mod:`perovx.design.csa`,
:mod:`perovx.design.indirect`) and d′ of disc tasks from :mod:`perovx.design.observer`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perovx.report.document import Figure, Section, Table, fmt

__all__ = ["REFERENCE_PITCH_M", "reference_detectors", "references_section"]

#: Pixel pitch of the side-by-side panels, m.
REFERENCE_PITCH_M = 150e-6
#: Air kerma at the detector of the side-by-side images, Gy.
REFERENCE_AIR_KERMA_GY = 2.5e-6
#: Electronic noise of every panel of the side-by-side, electrons rms (an assumption of a
#: typical TFT panel, the same for all so that only the conversion layers differ).
REFERENCE_NOISE_E = 1500.0


def reference_detectors(*, histories: int = 100_000) -> list[tuple[str, Any]]:
    """(label, design) of the side-by-side: CsI:Tl, a-Se and two perovskite panels.

    The perovskite and a-Se layers are the demo's (:data:`perovx.report.imaging.
    DEMO_DETECTORS`, with their sources), at the side-by-side's pitch.
    """
    from dataclasses import replace

    from perovx.design.compare import design_from_config
    from perovx.design.indirect import IndirectDesign
    from perovx.report.imaging import DEMO_DETECTORS, _demo_config
    from perovx.transport.scintillator import SCINTILLATORS

    out: list[tuple[str, Any]] = [(
        "CsI:Tl 600 um (indirect)",
        IndirectDesign(SCINTILLATORS["CsI:Tl"], 600e-6, REFERENCE_PITCH_M, beam="RQA5",
                       electronic_noise_e=REFERENCE_NOISE_E, histories=histories))]
    for label in ("a-Se (reference)", "MAPbI3 (wafer)", "MA3Bi2I9 (pressed)"):
        material, thickness, bias, overrides = DEMO_DETECTORS[label]
        cfg = _demo_config(material, thickness_m=thickness, bias_V=bias, phantom="hand",
                           overrides=overrides, kernels="monte_carlo", shape=32, seed=0)
        design = replace(design_from_config(cfg), pitch_m=REFERENCE_PITCH_M,
                         electronic_noise_e=REFERENCE_NOISE_E, histories=histories)
        out.append((label, design))
    return out


def references_section(folder: Path, progress: Callable[[str, int, int], None] | None = None,
                       *, shape: int = 128, seed: int = 0) -> Section:
    """Run the side-by-side into ``folder`` and return the report section."""
    from perovx.design.compare import compare

    step = progress or (lambda message, done, total: None)
    step("references: CsI:Tl, a-Se and perovskite panels side by side", 0, 1)
    work = folder / "references_compare"
    result = compare(reference_detectors(), air_kerma_Gy=REFERENCE_AIR_KERMA_GY, out=work,
                     phantom="hand", shape=shape, seed=seed)
    figures = []
    for key, caption in (("images", "The hand imaged by each panel at 2.5 µGy (one window)."),
                         ("curves", "MTF, normalised NPS and DQE of each panel (models).")):
        src = Path(result.figures[key])
        dst = folder / f"references_{key}.png"
        shutil.copyfile(src, dst)
        figures.append(Figure(dst.name, caption))
    shutil.rmtree(work, ignore_errors=True)
    rows = []
    for label, d in result.detectors.items():
        rows.append((label, fmt(d["quantum_efficiency"]), fmt(d["dqe_at_0_lp_per_mm"]),
                     fmt(d["dqe_at_1_lp_per_mm"]), fmt(d["dqe_at_2_lp_per_mm"]),
                     fmt(d["mtf_at_1_lp_per_mm"]), fmt(d["mtf_at_2_lp_per_mm"]),
                     fmt(d["d_prime_npwe_0.5mm_2pct"]), fmt(d["d_prime_npwe_2mm_1pct"])))
    text = (
        "Is a perovskite panel better than the CsI:Tl panel a clinic has? A 600 µm columnar "
        "CsI:Tl screen on photodiodes (fill factor 0.7 and quantum efficiency 0.8 assumed; "
        "optical spread fitted to a published CsI panel MTF), the a-Se reference and two "
        "perovskite panels image the same hand at the same dose (RQA5, 2.5 µGy at the "
        f"detector, {REFERENCE_PITCH_M * 1e6:g} µm pixels, {REFERENCE_NOISE_E:g} e "
        "electronic noise for all) through the whole perovx simulate chain. DQE and MTF "
        "are the models' (presampled MTF, aliased NPS); d′ is the NPWE observer's for a "
        "0.5 mm, 2 % disc and a 2 mm, 1 % disc."
    )
    table = Table(columns=("detector", "QDE", "DQE(0)", "DQE(1 lp/mm)", "DQE(2 lp/mm)",
                           "MTF(1 lp/mm)", "MTF(2 lp/mm)", "d′ NPWE 0.5 mm 2 %",
                           "d′ NPWE 2 mm 1 %"),
                  rows=tuple(rows), caption="Side by side at equal dose")
    return Section("References: CsI:Tl, a-Se and perovskite panels", text, (table,),
                   tuple(figures))
