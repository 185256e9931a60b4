"""Issue 10's smaller cases, each as a user meets it: long names, still images, wrong
suffixes, rotated clips, routine --only, fetch --shared, leftover folders, CSV injection, and a
live session whose history cannot be saved."""

from __future__ import annotations

import csv
import io
import json
import shutil
import struct
import sys
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.analysis.score import form_score
from formcheck.batch.runner import scores_csv
from formcheck.cli import main
from formcheck.io.video import VideoFileSource


def write_clip(path: Path, n: int = 5, w: int = 64, h: int = 32, fps: int = 10) -> Path:
    out = av.open(str(path), "w")
    s = out.add_stream("libx264", rate=fps)
    s.width, s.height, s.pix_fmt = w, h, "yuv420p"
    for i in range(n):
        f = av.VideoFrame.from_ndarray(np.full((h, w, 3), 20 * i, np.uint8), format="rgb24")
        for p in s.encode(f):
            out.mux(p)
    for p in s.encode():
        out.mux(p)
    out.close()
    return path


def rotate_90(path: Path) -> Path:
    """Give an mp4 a phone's 90-degree display matrix (the tkhd box's matrix)."""
    b = bytearray(path.read_bytes())
    i = b.index(b"tkhd") + 4
    off = i + (52 if b[i] == 1 else 40)
    struct.pack_into(">9i", b, off, 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(b))
    return path


def err_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("formcheck: error:")]
    assert len(lines) == 1, err
    return lines[0]


# ---- too little video -----------------------------------------------------------------------


def test_one_frame_clip_is_an_error_not_a_perfect_score(tmp_path, capsys):
    clip = write_clip(tmp_path / "one.mp4", n=1)
    rc = main(["analyze", str(clip), "-e", "plank", "-q", "--json", str(tmp_path / "r.json")])
    assert rc == 2 and "too little video" in err_line(capsys)
    assert not (tmp_path / "r.json").exists()


def test_still_image_is_an_error(tmp_path, capsys):
    png = tmp_path / "still.png"
    import cv2

    cv2.imwrite(str(png), np.zeros((48, 64, 3), np.uint8))
    rc = main(["analyze", str(png), "-e", "plank", "-q"])
    assert rc == 2 and "too little video" in err_line(capsys)


def test_no_score_for_a_moment_of_video():
    doc = {"frames_with_pose": 1, "duration_s": 0.0, "coverage": 1.0,
           "holds": [{"start_s": 0.0, "end_s": 0.0, "good_s": 0.0}], "reps": [], "faults": []}
    assert form_score(doc).score is None
    assert form_score(dict(doc, duration_s=0.4)).score is None
    doc = dict(doc, duration_s=1.0, frames_with_pose=30)
    assert form_score(doc).score == 100.0  # a real clip of good form still scores


# ---- output names ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["r.avi", "r.txt", "r"])
def test_out_video_must_be_mp4(tmp_path, capsys, name):
    clip = write_clip(tmp_path / "c.mp4")
    rc = main(["analyze", str(clip), "-e", "plank", "-q", "--out-video", str(tmp_path / name)])
    assert rc == 2 and ".mp4" in err_line(capsys)
    assert not (tmp_path / name).exists()


def test_json_and_report_cannot_share_a_file(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4")
    x = tmp_path / "x.html"
    rc = main(["analyze", str(clip), "-e", "plank", "-q", "--json", str(x), "--report", str(x)])
    assert rc == 2 and "both name" in err_line(capsys)


def test_json_name_too_long_is_refused_before_the_analysis(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4")
    long_json = tmp_path / ("r" * 248 + ".json.json")
    rc = main(["analyze", str(clip), "-e", "plank", "-q", "--json", str(long_json)])
    assert rc == 2 and "too long" in err_line(capsys)


def test_failed_analyze_leaves_no_empty_folder(samples, tmp_path, capsys):
    cut = tmp_path / "cut.mp4"
    data = (samples / "plank_09.mp4").read_bytes()
    cut.write_bytes(data[: len(data) * 6 // 10])  # decodes for a while, then fails
    out = tmp_path / "new" / "deeper"
    rc = main(["analyze", str(cut), "-e", "plank", "-q", "--out-video", str(out / "r.mp4"),
               "--json", str(out / "r.json")])
    assert rc == 2
    err_line(capsys)
    assert not (tmp_path / "new").exists()


# ---- rotation --------------------------------------------------------------------------------


def test_rotated_clip_reports_the_displayed_size(tmp_path, capsys):
    clip = rotate_90(write_clip(tmp_path / "portrait.mp4", w=64, h=32))
    src = VideoFileSource(clip)
    assert (src.info.width, src.info.height) == (32, 64)
    with src:
        frames = list(src)
    assert len(frames) == 5 and frames[0].rgb.shape[:2] == (64, 32)
    rc = main(["analyze", str(clip), "-e", "plank", "-q", "--json", str(tmp_path / "r.json")])
    capsys.readouterr()
    assert rc == 1  # nobody in a grey picture; the result is still written
    assert json.loads((tmp_path / "r.json").read_text())["image_size"] == [32, 64]


# ---- commands that did nothing, or said it 24 times ------------------------------------------


def test_routine_only_lifting_is_a_clear_error(capsys):
    rc = main(["routine", "--only", "lifting", "--no-voice", "--no-history"])
    line = err_line(capsys)
    assert rc == 2 and "lifting is not part of the routine" in line and "formcheck live" in line


def test_fetch_from_a_missing_shared_folder_says_it_once(tmp_path, capsys):
    rc = main(["fetch", "--shared", str(tmp_path / "nonexistent"), "--no-download"])
    out, err = capsys.readouterr()
    assert rc == 2 and err.count("no such folder") == 1 and err.count("\n") == 1


# ---- batch -------------------------------------------------------------------------------------


def test_csv_injection_is_neutralised():
    rows = [{"clip": name, "exercise": "plank", "status": "error", "form_score": None,
             "reps": None, "good_reps": None, "holds": None, "hold_s": None,
             "hold_good_s": None, "duration_s": None, "coverage": None, "fault_ids": "",
             "faults": {}, "error": "=HYPERLINK(\"x\")"}
            for name in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "plain")]
    parsed = list(csv.DictReader(io.StringIO(scores_csv(rows))))
    clips = sorted(r["clip"] for r in parsed)
    assert clips == sorted(["'=1+2", "'+SUM(A1)", "'-2+3", "'@cmd", "plain"])
    assert all(r["error"].startswith("'=") for r in parsed)


def test_batch_records_a_clip_with_a_too_long_name_and_goes_on(samples, tmp_path, capsys):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(samples / "plank_09.mp4", d / "ok.mp4")
    long_name = "p" * 251 + ".mp4"  # fits here, but not as <name>.json / .html in --out
    shutil.copy(samples / "plank_09.mp4", d / long_name)
    out = tmp_path / "out"
    rc = main(["batch", str(d), "-e", "plank", "--out", str(out), "--jobs", "1", "-q"])
    capsys.readouterr()
    assert rc == 1  # one error row
    rows = {r["clip"]: r for r in csv.DictReader(io.StringIO((out / "scores.csv").read_text()))}
    assert rows["ok"]["status"] == "ok" and (out / "ok.json").is_file()
    assert rows["p" * 251]["status"] == "error" and "too long" in rows["p" * 251]["error"]


# ---- a live session is never lost -------------------------------------------------------------


def test_session_is_saved_elsewhere_when_the_history_cannot_be_written(tmp_path, monkeypatch,
                                                                        capsys):
    from formcheck.coach.live import LiveOptions, LiveStats, SessionOutcome, save_outcome
    from formcheck.core.results import ExerciseResult

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the history's folder should be")
    opts = LiveOptions("glute_bridge", history=str(blocker / "h.jsonl"),
                       json_path=str(blocker / "r.json"))
    res = ExerciseResult(exercise="glute_bridge", frames=300, frames_with_pose=300,
                         duration_s=10.0)
    outcome = SessionOutcome(res, "quit", LiveStats())
    ok = save_outcome(outcome, opts, "camera:0", None, datetime.now(UTC), out=sys.stdout)
    err = capsys.readouterr().err
    assert ok is False
    saved = sorted((tmp_path / "data" / "formcheck" / "unsaved").glob("formcheck-*.json"))
    assert len(saved) == 2, err  # the result JSON and the history record
    for f in saved:
        assert str(f) in err
    rec = json.loads(next(f for f in saved if "session" in f.name).read_text())
    assert rec["exercises"][0]["exercise"] == "glute_bridge"
