"""Atomic, exclusive outputs: temporary name + rename, no overwrite, claims."""

from __future__ import annotations

import os
import sys

import pytest

from perovx.errors import OutputError, PerovxError
from perovx.io.atomic import atomic_path, check_new, claim, save_figure, write_text


def test_write_text_publishes_and_refuses_an_existing_file(tmp_path):
    path = write_text(tmp_path / "a.json", "{}\n")
    assert path.read_text() == "{}\n"
    with pytest.raises(OutputError, match=r"a\.json: already exists"):
        write_text(tmp_path / "a.json", "[]\n")
    assert path.read_text() == "{}\n"
    write_text(tmp_path / "a.json", "[]\n", overwrite=True)
    assert path.read_text() == "[]\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]  # no temporary left


def test_a_failing_writer_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "b.tif") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer died")
    assert list(tmp_path.iterdir()) == []


def test_a_file_appearing_meanwhile_is_never_replaced(tmp_path):
    final = tmp_path / "c.txt"
    with pytest.raises(OutputError, match="written by another run meanwhile"):
        with atomic_path(final) as tmp:
            tmp.write_text("mine")
            final.write_text("theirs")
    assert final.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["c.txt"]


def test_the_temporary_name_keeps_the_extension_and_the_folder(tmp_path):
    with atomic_path(tmp_path / "plot.png") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png"
        assert tmp.name.startswith(".plot.") and ".partial" in tmp.name
        tmp.write_bytes(b"x")


def test_missing_and_read_only_folders_are_one_line(tmp_path):
    with pytest.raises(OutputError, match=r"folder .*nowhere does not exist"):
        write_text(tmp_path / "nowhere" / "x.json", "{}")
    if sys.platform != "win32" and os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(OutputError, match="read-only"):
                write_text(ro / "x.json", "{}")
        finally:
            ro.chmod(0o700)
    with pytest.raises(OutputError, match="already exists"):
        check_new(tmp_path)


def test_a_folder_is_written_and_renamed_whole(tmp_path):
    out = tmp_path / "store.zarr"
    with atomic_path(out) as tmp:
        tmp.mkdir()
        (tmp / "part").write_text("1")
    assert (out / "part").read_text() == "1"
    with pytest.raises(OutputError, match="already exists"), atomic_path(out) as tmp:
        tmp.mkdir()


def test_save_figure_refuses_an_existing_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "p.png", dpi=50)
    size = path.stat().st_size
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(OutputError, match="already exists"):
        save_figure(fig, path)
    assert path.stat().st_size == size
    plt.close(fig)


def test_claims_are_exclusive_and_a_dead_owner_is_taken_over(tmp_path):
    out = tmp_path / "new" / "folder"
    first = claim(out, "image")
    assert out.is_dir()
    with pytest.raises(OutputError, match=r"another perovx run \(process \d+\)"):
        claim(out, "image")
    claim(out, "other").release()  # another name is another output set
    first.release()
    with claim(out, "image"):
        pass
    assert list(out.iterdir()) == []
    # a lock left by a killed run (its process is gone) is taken over
    (out / ".image.perovx-lock").write_text("999999999\n")
    with claim(out, "image") as held:
        assert held.lock.read_text().strip() == str(os.getpid())
    (tmp_path / "file").write_text("x")
    with pytest.raises(PerovxError, match="is a file"):
        claim(tmp_path / "file", "image")
