"""The demo's side-by-side section: CsI:Tl, a-Se and two perovskite panels."""

import pytest

from perovx.report.references import REFERENCE_PITCH_M, reference_detectors


def test_reference_detectors_share_beam_and_pitch():
    dets = reference_detectors()
    labels = [label for label, _ in dets]
    assert labels[0].startswith("CsI:Tl") and "a-Se (reference)" in labels
    assert len(dets) == 4 and len(set(labels)) == 4
    assert {d.beam for _, d in dets} == {"RQA5"}
    assert {d.pitch_m for _, d in dets} == {REFERENCE_PITCH_M}
    assert getattr(dets[0][1], "kind", "direct") == "indirect"


@pytest.mark.slow
def test_references_section_writes_its_figures(tmp_path):
    from perovx.report.references import references_section

    section = references_section(tmp_path, shape=48)
    assert (tmp_path / "references_images.png").stat().st_size > 0
    assert (tmp_path / "references_curves.png").stat().st_size > 0
    assert len(section.tables[0].rows) == 4
    assert not (tmp_path / "references_compare").exists()
