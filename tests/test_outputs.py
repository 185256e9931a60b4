"""The one output guard (formcheck.io.outputs): no command may write over an input, and a
wrong output is one line before any work starts (issue 10, data loss)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.io.outputs import (
    NewFolders,
    OutputError,
    check_distinct,
    check_output_dir,
    check_output_file,
    write_atomic,
)

CLIP_BYTES = b"\x00\x00\x00\x18ftypmp42 not really a video, but an input all the same"


@pytest.fixture
def clip(tmp_path) -> Path:
    p = tmp_path / "c.mp4"
    p.write_bytes(CLIP_BYTES)
    return p


def spellings(clip: Path) -> dict[str, Path]:
    """The same file named four ways: itself, a ../ path, a symlink, a hard link."""
    sub = clip.parent / "sub"
    sub.mkdir(exist_ok=True)
    link = clip.parent / "link.mp4"
    link.symlink_to(clip)
    hard = clip.parent / "hard.mp4"
    os.link(clip, hard)
    return {"same": clip, "dotdot": sub / ".." / clip.name, "symlink": link, "hardlink": hard}


def test_guard_sees_every_spelling_of_an_input(clip):
    for how, p in spellings(clip).items():
        with pytest.raises(OutputError, match="is an input"):
            check_output_file(p, flag="--json", inputs=[clip])
        assert clip.read_bytes() == CLIP_BYTES, how
    check_output_file(clip.parent / "other.json", flag="--json", inputs=[clip])


def test_guard_refuses_folders_bad_suffixes_long_names_and_duplicates(tmp_path):
    with pytest.raises(OutputError, match="is a folder"):
        check_output_file(tmp_path, flag="--json")
    with pytest.raises(OutputError, match=r"must end in \.mp4"):
        check_output_file(tmp_path / "r.avi", flag="--out-video", suffixes=(".mp4",))
    with pytest.raises(OutputError, match="too long"):
        check_output_file(tmp_path / ("a" * 300 + ".json"), flag="--json")
    with pytest.raises(OutputError, match="both name"):
        check_distinct({"--json": "x", "--report": "./x"})
    with pytest.raises(OutputError, match="not a regular file"):
        check_output_file("/dev/null", flag="--json")


def test_guard_creates_nothing(tmp_path):
    check_output_file(tmp_path / "a" / "b" / "r.json", flag="--json")
    check_output_dir(tmp_path / "out", flag="--out")
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_leaves_no_temporary_file(tmp_path):
    p = write_atomic(tmp_path / "r.json", "{}\n")
    assert p.read_text() == "{}\n"
    assert [f.name for f in tmp_path.iterdir()] == ["r.json"]
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "r.json" / "x", "no")  # r.json is a file, not a folder
    assert [f.name for f in tmp_path.iterdir()] == ["r.json"]


def test_new_folders_removed_only_when_left_empty(tmp_path):
    with pytest.raises(RuntimeError), NewFolders([tmp_path / "a" / "b"]):
        (tmp_path / "a" / "b").mkdir(parents=True)
        raise RuntimeError
    assert not (tmp_path / "a").exists()
    with pytest.raises(RuntimeError), NewFolders([tmp_path / "k"]):
        (tmp_path / "k").mkdir()
        (tmp_path / "k" / "keep.txt").write_text("mine")
        raise RuntimeError
    assert (tmp_path / "k" / "keep.txt").exists()


# ---- every command that writes ----------------------------------------------------------------


def run(argv, capsys) -> tuple[int, str]:
    rc = main([str(a) for a in argv])
    return rc, capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--json", "--report", "--out-video"])
def test_analyze_refuses_every_spelling(clip, capsys, flag):
    for how, p in spellings(clip).items():
        rc, err = run(["analyze", clip, "-e", "plank", "-q", flag, p], capsys)
        assert rc == 2 and "is an input" in err and err.count("\n") == 1, (how, err)
        assert clip.read_bytes() == CLIP_BYTES, how


@pytest.mark.parametrize("flag", ["--record", "--json", "--history"])
def test_live_refuses_to_write_over_the_clip_played_as_camera(clip, capsys, flag):
    for how, p in spellings(clip).items():
        argv = ["live", "-e", "plank", "--camera", clip, "--no-voice", flag, p]
        if flag != "--history":
            argv.append("--no-history")
        rc, err = run(argv, capsys)
        assert rc == 2 and "is an input" in err and err.count("\n") == 1, (how, err)
        assert clip.read_bytes() == CLIP_BYTES, how


@pytest.mark.parametrize("flag", ["--json", "--history"])
def test_routine_refuses_to_write_over_the_clip_played_as_camera(clip, capsys, flag):
    for how, p in spellings(clip).items():
        argv = ["routine", "--camera", clip, "--only", "plank", "--rest", "0", "--no-voice",
                flag, p]
        if flag != "--history":
            argv.append("--no-history")
        rc, err = run(argv, capsys)
        assert rc == 2 and "is an input" in err, (how, err)
        assert clip.read_bytes() == CLIP_BYTES, how


def test_live_json_and_record_cannot_be_the_same_file(clip, tmp_path, capsys):
    rc, err = run(["live", "-e", "plank", "--camera", clip, "--no-voice", "--no-history",
                   "--record", tmp_path / "x.mp4", "--json", tmp_path / "x.mp4"], capsys)
    assert rc == 2 and "both name" in err


def test_live_history_that_is_a_folder_or_read_only_is_refused_before_the_session(
        clip, tmp_path, capsys):
    rc, err = run(["live", "-e", "plank", "--camera", clip, "--no-voice",
                   "--history", tmp_path], capsys)
    assert rc == 2 and "is a folder" in err
    ro = tmp_path / "ro.jsonl"
    ro.write_text("")
    ro.chmod(0o444)
    if os.access(ro, os.W_OK):
        pytest.skip("running as root: a 0444 file is still writable")
    rc, err = run(["live", "-e", "plank", "--camera", clip, "--no-voice", "--history", ro],
                  capsys)
    assert rc == 2 and "not writable" in err


def test_batch_refuses_to_write_over_its_inputs(tmp_path, capsys):
    d = tmp_path / "d"
    d.mkdir()
    names = ["clip.json", "report.html", "scores.csv"]
    for n in names:
        (d / n).write_bytes(CLIP_BYTES)
    rc, err = run(["batch", *(d / n for n in names), "-e", "auto", "--out", d, "-q"], capsys)
    assert rc == 2 and "is an input" in err and err.count("\n") == 1
    for n in names:
        assert (d / n).read_bytes() == CLIP_BYTES, n
    assert sorted(p.name for p in d.iterdir()) == sorted(names)  # nothing else written


def test_batch_refuses_a_hard_link_of_an_input_among_its_outputs(tmp_path, capsys):
    clip = tmp_path / "a.mp4"
    clip.write_bytes(CLIP_BYTES)
    out = tmp_path / "out"
    out.mkdir()
    os.link(clip, out / "a.json")  # the file batch would write for clip "a"
    rc, err = run(["batch", clip, "-e", "plank", "--out", out, "-q"], capsys)
    assert rc == 2 and "is an input" in err
    assert clip.read_bytes() == CLIP_BYTES
