"""The ``[stack]`` section: the device stack reaches the dark current, collection and photons."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import pytest

from perovx.errors import InputError
from perovx.readout.simulate import build_system, parse_config, simulate
from perovx.transport.dark import BOLTZMANN_EV_PER_K

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "simulate"
STACK_EXAMPLES = ("pi_mapbi3_pi_blade_panel.toml", "heterojunction_2d3d_panel.toml")


def small(name: str, tmp_path: Path, **sections: dict) -> dict:
    """An example shrunk to a 16 × 16 panel with local kernels, writing into tmp_path."""
    data = tomllib.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    data["panel"].update(rows=16, columns=16)
    data["simulation"].update(kernels="local", energy_groups=4)
    data["output"]["directory"] = str(tmp_path / "out")
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return data


@pytest.mark.parametrize("name", STACK_EXAMPLES)
def test_stack_examples_run_on_small_panels(name: str, tmp_path: Path) -> None:
    cfg = parse_config(small(name, tmp_path), source=name)
    image = simulate(cfg)
    files = json.loads(image.attrs["files"])
    assert Path(files["tiff"]).is_file() and Path(files["json"]).is_file()
    summary = json.loads(image.attrs["summary_json"])
    assert summary["detector"]["stack"]["layers"][0]["role"] == "contact"


def test_stack_sets_the_dark_current_by_its_barrier(tmp_path: Path) -> None:
    # raising one interlayer's barrier by 0.1 eV lowers the (injection-limited) dark current
    # by exp(-0.1 eV / kT): Sze & Ng ch. 3, thermionic emission
    name = "pi_mapbi3_pi_blade_panel.toml"
    base = parse_config(small(name, tmp_path), source=name)
    data = small(name, tmp_path)
    data["stack"]["layers"][1]["barrier"] = "0.25 eV"
    higher = parse_config(data, source=name)
    j0 = build_system(base).imager.dark_current_density_A_m2
    j1 = build_system(higher).imager.dark_current_density_A_m2
    kt = BOLTZMANN_EV_PER_K * base.detector.temperature_K
    assert j1 / j0 == pytest.approx(math.exp(-0.1 / kt), rel=1e-3)


def test_heterojunction_reverse_bias_is_the_low_dark_current(tmp_path: Path) -> None:
    name = "heterojunction_2d3d_panel.toml"
    rev = build_system(parse_config(small(name, tmp_path), source=name))
    data = small(name, tmp_path)
    data["detector"]["bias"] = "50 V"
    fwd = build_system(parse_config(data, source=name))
    ratio = fwd.imager.dark_current_density_A_m2 / rev.imager.dark_current_density_A_m2
    assert ratio > 100
    # the bare layer (no stack) is ohmic: |V| / (rho d), far above the reverse current
    data = small(name, tmp_path)
    del data["stack"]
    bare = build_system(parse_config(data, source=name))
    assert bare.imager.dark_current_density_A_m2 == pytest.approx(50 / (1e6 * 500e-6))
    assert bare.imager.dark_current_density_A_m2 > 100 * rev.imager.dark_current_density_A_m2


def test_held_charge_and_entrance_layers_lower_the_signal(tmp_path: Path) -> None:
    name = "pi_mapbi3_pi_blade_panel.toml"
    with_stack = build_system(parse_config(small(name, tmp_path), source=name))
    data = small(name, tmp_path)
    del data["stack"]
    bare = build_system(parse_config(data, source=name))
    ratio = with_stack.sensitivity_C_per_Gy_m2() / bare.sensitivity_C_per_Gy_m2()
    # 2 % held with a 0.3 s release, of which the part released within 100 ms returns:
    # 1 - 0.02 (1 - back), back = 1 - (tau/t)(1 - exp(-t/tau)); the 5 um polyimide in
    # front stops < 0.1 % at RQA5
    t, tau = 0.1, 0.3
    back = 1 - tau / t * (1 - math.exp(-t / tau))
    assert ratio == pytest.approx(1 - 0.02 * (1 - back), rel=2e-3)
    assert ratio < 1 - 0.02 * (1 - back) + 1e-9


def test_stack_errors_name_the_section(tmp_path: Path) -> None:
    name = "pi_mapbi3_pi_blade_panel.toml"
    data = small(name, tmp_path)
    data["stack"]["layers"] = [layer for layer in data["stack"]["layers"]
                               if layer["role"] != "absorber"]
    with pytest.raises(InputError, match=r"\[stack\] layers: a device stack needs exactly one"):
        parse_config(data, source=name)
    data = small(name, tmp_path)
    data["stack"]["layers"][1]["barrier"] = "7 eV"
    with pytest.raises(InputError, match=r"\[stack\].*barrier"):
        parse_config(data, source=name)
