"""The perovx data folder and its caches."""

from __future__ import annotations

import perovx.home as home
import perovx.materials.database as db


def test_data_dir_conventions(monkeypatch, tmp_path):
    monkeypatch.setenv(home.ENV_HOME, str(tmp_path / "px"))
    assert home.data_dir() == tmp_path / "px"
    monkeypatch.delenv(home.ENV_HOME)
    monkeypatch.setattr(home.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert home.data_dir() == tmp_path / "xdg" / "perovx"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert home.data_dir() == tmp_path / "home" / ".local" / "share" / "perovx"


def test_cache_dir_is_under_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv(home.ENV_HOME, str(tmp_path))
    assert home.cache_dir("spectra") == tmp_path / "cache" / "spectra"
    assert not (tmp_path / "cache").exists()  # created by writers, not here


def test_materials_database_uses_the_same_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(home.ENV_HOME, str(tmp_path))
    assert db.data_dir() == home.data_dir() == tmp_path
    assert db.ENV_HOME == home.ENV_HOME
