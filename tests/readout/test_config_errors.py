"""Located error lines of the simulate configuration."""

from __future__ import annotations

import pytest

from perovx.errors import InputError
from perovx.readout.config import parse_config
from perovx.readout.config_errors import Locator


def test_locator_finds_keys_sections_and_dotted_keys() -> None:
    text = 'title = "t"\n[detector]\n# a comment = 1\nmaterial = "MAPbI3"\n\n[beam]\nkvp = 70\n'
    loc = Locator(text)
    assert loc.line("detector", "material") == 4
    assert loc.line("beam", "kvp") == 7
    assert loc.line("beam", None) == 6
    assert loc.line("beam", "unknown") == 6  # falls back to the table's line
    assert loc.place("f.toml", "nope", "x") == "f.toml"


def test_a_misspelt_section_is_named_with_a_hint() -> None:
    data = {"detectr": {"material": "MAPbI3"}}
    with pytest.raises(InputError,
                       match=r"^f.toml: unknown section \[detectr\]; did you mean \[detector\]\?$"):
        parse_config(data, source="f.toml")
