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


def test_cached_arrays_verify_on_read(tmp_path):
    import numpy as np

    path = tmp_path / "c" / "entry.npz"
    arrays = {"a": np.arange(3.0), "b": np.eye(2)}
    home.write_cached_arrays(path, "key-1", arrays)
    got = home.read_cached_arrays(path, "key-1", ("a", "b"))
    assert got is not None and np.array_equal(got["b"], arrays["b"])
    assert home.read_cached_arrays(path, "key-2", ("a", "b")) is None  # other inputs
    assert home.read_cached_arrays(path, "key-1", ("a", "c")) is None  # missing array
    assert home.read_cached_arrays(tmp_path / "absent.npz", "key-1", ("a",)) is None
    home.write_cached_arrays(path, "key-1", {"a": np.array([1.0, np.nan])})
    assert home.read_cached_arrays(path, "key-1", ("a",)) is None  # not finite
    home.write_cached_arrays(path, "key-1", {"a": np.array(["x"], dtype=object)})
    assert home.read_cached_arrays(path, "key-1", ("a",)) is None  # would need a pickle
    path.write_bytes(b"garbage")
    assert home.read_cached_arrays(path, "key-1", ("a",)) is None
    assert not list(path.parent.glob("*.tmp"))
