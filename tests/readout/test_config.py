"""The ``simulate`` configuration schema: pydantic models, located errors, generated docs."""

from __future__ import annotations

import json
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perovx.errors import InputError, PerovxError, ResourceLimitError
from perovx.readout.config import CONFIG_KEYS, load_config, parse_config
from perovx.readout.config_docs import json_schema, schema_markdown
from perovx.readout.estimate import check_resources, estimate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "simulate-config.md"

BASE = textwrap.dedent("""\
    title = "t"

    [detector]
    material = "MA3Bi2I9"
    thickness = "0.5 mm"
    bias = "-100 V"
    mu_tau_e = "1 cm2/V"
    mu_tau_h = "1 cm2/V"
    resistivity = "1e11 ohm cm"

    [panel]
    pitch = "100 um"
    rows = 16
    columns = 16
    integration_time = "100 ms"
    electronic_noise = 500
    adc_bits = 16
    full_scale_charge = "20 pC"
    calibration_frames = [2, 2]

    [beam]
    spectrum = "RQA5"

    [mode]
    type = "pixel_array"
    air_kerma = "5 uGy"

    [simulation]
    kernels = "local"
    energy_groups = 2
    """)


def _parse(text: str):
    return parse_config(tomllib.loads(text), source="c.toml", text=text)


def test_the_documented_schema_is_current():
    # regenerate with: perovx simulate --schema > docs/simulate-config.md
    assert DOCS.read_text(encoding="utf-8") == schema_markdown()


def test_schema_lists_every_key_with_its_unit():
    assert CONFIG_KEYS["detector"]["thickness"] == "m"
    assert CONFIG_KEYS["mode"]["air_kerma_rate"] == "Gy/s"
    assert set(CONFIG_KEYS) == {"", "detector", "panel", "beam", "mode", "object",
                                "simulation", "output", "limits", "stack",
                                "acquisition", "film", "counting"}
    schema = json_schema()
    assert "detector" in schema["required"]
    text = json.dumps(schema)
    assert "pixel_array" in text and "line_scan" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('electronic_noise = 500', 'electronic_noise = inf'),
         r"c.toml:16: \[panel\] electronic_noise: inf is not a finite number"),
        (('rows = 16', 'rows = true'), r"c.toml:13: \[panel\] rows: expected an integer"),
        (('type = "pixel_array"', 'type = "pixel_arrey"'),
         r"\[mode\] type: 'pixel_arrey' is not one of .* \(did you mean 'pixel_array'\?\)"),
        (('[beam]', '[beem]'), r"unknown section \[beem\]; did you mean \[beam\]"),
        (('title = "t"', 'titel = "t"'), r"c.toml:1: top level titel: unknown key"),
        (('adc_bits = 16', 'adc_bits = 16\nframes = 3'),
         r"\[panel\] frames: unknown key"),
        (('kernels = "local"', 'kernels = "local"\nhistories = 1e30'),
         r"\[simulation\] histories: must be <= 1e\+12"),
    ],
)
def test_errors_are_one_located_line(change, message):
    with pytest.raises(InputError, match=message) as info:
        _parse(BASE.replace(*change))
    assert "\n" not in str(info.value)


def test_limits_table_and_object_sub_tables():
    cfg = _parse(BASE + '\n[limits]\nmax_memory = "2GB"\nmax_time = "10 min"\n')
    assert cfg.limits.max_memory_bytes == 2e9 and cfg.limits.max_time_s == 600.0
    with pytest.raises(InputError, match=r"\[object\] materials: missing Al density"):
        _parse(BASE + '\n[object]\nphantom = "tiff"\nmaps = {Al = "a.tif"}\n'
                      'materials = {Al = {formula = "Al"}}\n')
    with pytest.raises(InputError, match=r"\[object\] bars: not used with these settings"):
        _parse(BASE + '\n[object]\nphantom = "hand"\nbars = 3\n')


def test_a_hundred_million_frames_are_refused_at_once():
    cfg = _parse(BASE.replace('air_kerma = "5 uGy"', 'air_kerma = "5 uGy"\nframes = 100000000'))
    start = time.perf_counter()
    with pytest.raises(ResourceLimitError) as info:
        check_resources(cfg)
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert "of 100000000 frames" in message and "--max-memory" in message
    assert "[limits] max_memory" in message and "fewer" in message


def test_a_huge_panel_is_refused_instead_of_memory_error():
    huge = BASE.replace("rows = 16", "rows = 100000").replace("columns = 16", "columns = 100000")
    cfg = _parse(huge)
    assert estimate(cfg).memory_bytes > 1e12
    with pytest.raises(ResourceLimitError, match=r"a 100000 × 100000 image .* of memory"):
        check_resources(cfg)
    # the file's [limits] raise it (and are named as the source)
    roomy = _parse(huge + '\n[limits]\nmax_memory = "1000TB"\nmax_time = "1e9 s"\n')
    check_resources(roomy)


def test_a_small_run_is_allowed():
    est = check_resources(_parse(BASE))
    assert est.memory_bytes < 1e9 and est.time_s < 60


# ----------------------------------------------------------------------- property tests

_KEYS = sorted({k for table in CONFIG_KEYS.values() for k in table} | {"x", "type"})
_SECTIONS = [*sorted(k for k in CONFIG_KEYS if k), "other"]
_TEXT = st.text(alphabet=st.characters(blacklist_characters="*^", blacklist_categories=("Cs",)),
                max_size=20)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), _TEXT,
    st.sampled_from(["0.5 mm", "-100 V", "1 kg", "100 um", "5 uGy", "1e400 m", "nan mm",
                     "pixel_array", "line_scan", "point_scan", "hand", "tiff", "edge",
                     "local", "RQA5", "1 cm2/V", "20 pC", "16GB", "1 h"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)),
    max_leaves=12,
)


def _documents() -> st.SearchStrategy:
    base = tomllib.loads(BASE)
    section = st.dictionaries(st.sampled_from(_KEYS), _VALUES, max_size=6)
    mutated = st.builds(
        lambda sec, key, value: {**base, sec: {**base.get(sec, {}), key: value}}
        if isinstance(base.get(sec, {}), dict) else base,
        st.sampled_from(_SECTIONS), st.sampled_from(_KEYS), _VALUES)
    random = st.dictionaries(st.sampled_from([*_SECTIONS, "title"]),
                             st.one_of(section, _VALUES), max_size=8)
    return st.one_of(mutated, random)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_any_document_raises_only_perovx_errors(doc):
    try:
        cfg = parse_config(doc, source="h.toml")
    except PerovxError as exc:
        assert "\n" not in str(exc)
        return
    assert cfg.panel.rows >= 1 and cfg.detector.thickness_m > 0


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_file_raises_only_perovx_errors(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_bytes(data)
    with pytest.raises(PerovxError):
        load_config(path)
