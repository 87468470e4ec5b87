"""Process films reach the image: edge MTF ordered as the review reports, grain sweep.

The review (Section 3; MTF at 0.2): membrane-filled MAPb(I0.9Cl0.1)3 array 3.5 lp/mm,
blade-coated MAPbI3 with crystallites of tens of µm 3.1 lp/mm, pressed MAPbI3 wafer on a
TFT about 3 lp/mm. The devices differ in pitch and thickness (not stated in the review),
so the test checks the ordering on one common panel, not the values.
"""

from __future__ import annotations

import tomllib

import pytest

from perovx.readout.simulate import parse_config, simulate
from perovx.report.timefilm import FILM_PANEL, film_edge_mtf20_lp_per_mm


def edge_mtf20_lp_per_mm(process: str, film: dict | None = None) -> float:
    f = film_edge_mtf20_lp_per_mm(process, film)
    assert f is not None
    return f


def test_processes_order_as_the_review_reports() -> None:
    mtf = {p: edge_mtf20_lp_per_mm(p) for p in
           ("single_crystal", "membrane_filling", "blade_coating", "pressing")}
    assert mtf["single_crystal"] >= mtf["membrane_filling"] * 0.98
    assert mtf["membrane_filling"] > mtf["blade_coating"] > mtf["pressing"]


def test_grain_sweep_mtf_falls_once_grains_exceed_the_pitch() -> None:
    clean = {"grain_size_log_sigma": 0.0, "crack_length_per_area": 0,
             "adhesion_defect_fraction": 0}
    sizes = (10, 50, 100, 200)
    mtf = [edge_mtf20_lp_per_mm("blade_coating", {**clean, "grain_size": f"{g} um"})
           for g in sizes]
    reference = edge_mtf20_lp_per_mm("single_crystal")
    # grains well below the 100 um pitch change nothing. The edge MTF20 of one 96² image
    # scatters with the seed: the ratio blade 10 um / single crystal over seeds 1-5 was
    # 0.96-1.03 with the whole-frame random stream and 0.96-1.01 with the block streams
    # (measured, mean 0.98-0.99), so a single seed is checked at 5 % (was 3 %, which
    # seeds 1 and 4 already failed with the old stream)
    assert mtf[0] == pytest.approx(reference, rel=0.05)
    # then the MTF falls, steeply once grains exceed the pitch
    assert mtf[0] >= mtf[1] > mtf[2] > mtf[3]
    assert mtf[3] < 0.6 * reference


EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "simulate"


@pytest.mark.parametrize("process", ["single_crystal", "pressing", "membrane_filling",
                                     "blade_coating", "spray_coating", "vapour_deposition"])
def test_film_examples_run_on_small_panels(process: str, tmp_path) -> None:
    import json

    data = tomllib.loads((EXAMPLES / f"film_{process}.toml").read_text(encoding="utf-8"))
    data["panel"].update(rows=24, columns=24)
    data["simulation"].update(kernels="local", energy_groups=3)
    data["output"]["directory"] = str(tmp_path)
    image = simulate(parse_config(data, source=process))
    summary = json.loads(image.attrs["summary_json"])
    assert summary["detector"]["process"]["name"] == process
    assert summary["detector"]["film_structure"]["status"] == "stated assumption"
    assert (tmp_path / "edge.tif").is_file()


def test_grain_sharing_correlates_the_noise() -> None:
    # grains larger than a pixel share each photon's charge between pixels: the flat-field
    # NPS falls towards the Nyquist frequency (≈ MTF_grain² = sinc⁴(π f g) for g = 100 µm),
    # while the single crystal's stays nearly white
    from perovx.metrics.nps import noise_power_spectrum

    def nps_ratio(process: str, film: dict | None) -> float:
        frames = []
        for seed in range(3):
            data = tomllib.loads(FILM_PANEL.format(process=process, size=96))
            data["object"] = {"phantom": "none"}
            data["panel"].update(rows=64, columns=64)
            data["simulation"]["seed"] = seed
            if film:
                data["film"] = film
            frames.append(simulate(parse_config(data, source=process), write=False).values)
        res = noise_power_spectrum(frames, pixel_pitch_m=100e-6, roi_size_px=32, area="full")
        f = res.frequency_per_m
        high = res.nps_radial[(f > 3.5e3) & (f <= 5e3)].mean()
        low = res.nps_radial[(f > 0.4e3) & (f < 1.5e3)].mean()
        return float(high / low)

    crystal = nps_ratio("single_crystal", None)
    grains = nps_ratio("blade_coating", {"grain_size": "100 um", "grain_size_log_sigma": 0.0,
                                         "crack_length_per_area": 0,
                                         "adhesion_defect_fraction": 0})
    assert crystal > 0.6
    assert grains < 0.5 * crystal
