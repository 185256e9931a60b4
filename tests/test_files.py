"""io/files.py: atomic writes leave the old file or the new one, never a partial one; hashing."""

from __future__ import annotations

import hashlib

import pytest

from formcheck.cli import main
from formcheck.core.errors import FormcheckError
from formcheck.io.files import atomic_path, file_sha256, write_atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "result.json"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_json_is_written_whole_into_a_new_folder(tmp_path):
    out = write_atomic(tmp_path / "a" / "b.json", '{\n  "reps": 3\n}\n')
    assert out.read_text() == '{\n  "reps": 3\n}\n'
    assert [p.name for p in out.parent.iterdir()] == ["b.json"]


def test_file_sha256_matches_hashlib_across_chunks(tmp_path):
    f = tmp_path / "x.bin"
    data = bytes(range(256)) * 1000
    f.write_bytes(data)
    assert file_sha256(f, chunk=1000) == hashlib.sha256(data).hexdigest()


def test_a_user_facing_error_is_one_line_from_the_cli(tmp_path, capsys):
    """Every layer's error derives from FormcheckError; the CLI alone turns it into a line."""
    from formcheck.batch.jobs import BatchError
    from formcheck.io.assets import AssetError
    from formcheck.io.models import ModelError
    from formcheck.io.video import VideoError

    for cls in (BatchError, AssetError, ModelError, VideoError):
        assert issubclass(cls, FormcheckError)
    rc = main(["batch", str(tmp_path / "missing.mp4"), "-e", "plank", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("formcheck: error: ") and "missing.mp4" in err[0]
