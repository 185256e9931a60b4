"""formcheck batch: same documents as analyze, error rows, resume, byte-stable outputs.

Runs the real model in spawned worker processes on the smallest sample clips (GIF-derived, a
handful of frames each), so the whole file takes seconds.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from formcheck.batch.runner import (
    BatchError,
    ClipOptions,
    clip_names,
    collect_inputs,
    run_batch,
    scores_csv,
)
from formcheck.cli import main

# tiny clips: 4, 6 and 3 frames
CLIPS = ("pelvic_tilt_03.mp4", "knee_to_chest_01.mp4", "cat_cow_03.mp4")
EXERCISE = "pelvic_tilt"


@pytest.fixture(scope="module")
def inputs(samples, tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("inputs")
    (d / "broken.mp4").write_bytes(bytes(range(256)) * 40)  # not a video
    (d / "empty.mp4").write_bytes(b"")
    return [samples / c for c in CLIPS] + [d / "broken.mp4", d / "empty.mp4"]


@pytest.fixture(scope="module")
def first_run(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    summary = run_batch([str(p) for p in inputs], out, ClipOptions(EXERCISE), jobs=2)
    return out, summary


def read_rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "scores.csv").read_text())))


def test_every_clip_scored_and_broken_files_are_error_rows(first_run):
    out, summary = first_run
    rows = {r["clip"]: r for r in read_rows(out)}
    assert sorted(rows) == sorted([Path(c).stem for c in CLIPS] + ["broken", "empty"])
    for c in CLIPS:
        r = rows[Path(c).stem]
        assert r["status"] == "ok" and r["error"] == ""
        assert 0.0 <= float(r["form_score"]) <= 100.0
        assert (out / f"{Path(c).stem}.json").is_file()
    for bad in ("broken", "empty"):
        assert rows[bad]["status"] == "error"
        assert rows[bad]["error"].startswith("VideoError: ")
        assert rows[bad]["form_score"] == ""
        assert not (out / f"{bad}.json").exists()
    assert "empty" in rows["empty"]["error"]
    assert sorted(summary.errors) == ["broken", "empty"]
    assert [r["clip"] for r in read_rows(out)] == sorted(rows)  # sorted rows


def test_batch_document_is_byte_identical_to_analyze_json(first_run, samples, tmp_path):
    out, _ = first_run
    clip = samples / CLIPS[0]
    target = tmp_path / "analyze.json"
    assert main(["analyze", str(clip), "--exercise", EXERCISE, "--json", str(target), "-q"]) == 0
    batch_doc = out / f"{clip.stem}.json"
    assert json.loads(batch_doc.read_text()) == json.loads(target.read_text())
    assert batch_doc.read_bytes() == target.read_bytes()


def test_rerun_skips_scored_clips_and_outputs_stay_byte_identical(first_run, inputs, tmp_path):
    out, _ = first_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()}
    summary = run_batch([str(p) for p in inputs], copy, ClipOptions(EXERCISE), jobs=2)
    assert summary.skipped == sorted(Path(c).stem for c in CLIPS)
    assert summary.scored == ["broken", "empty"]  # errors are retried, and fail again
    after = {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()}
    assert after == before


def test_resume_scores_only_what_is_missing_or_changed(first_run, inputs, tmp_path):
    out, _ = first_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / "knee_to_chest_01.json").unlink()  # as if interrupted before this clip finished
    good = [str(p) for p in inputs[:3]]
    s = run_batch(good, copy, ClipOptions(EXERCISE), jobs=1)
    assert s.scored == ["knee_to_chest_01"]
    assert (copy / "knee_to_chest_01.json").read_bytes() == (out / "knee_to_chest_01.json").read_bytes()
    # other options: a different result, so everything is scored again
    s = run_batch(good, copy, ClipOptions(EXERCISE, smoothing=False), jobs=2)
    assert s.skipped == [] and len(s.scored) == 3


def test_fresh_runs_are_byte_identical(first_run, inputs, tmp_path):
    out, _ = first_run
    other = tmp_path / "again"
    run_batch([str(p) for p in inputs], other, ClipOptions(EXERCISE), jobs=1)
    for name in ["scores.csv", "report.html"] + [f"{Path(c).stem}.json" for c in CLIPS]:
        assert (other / name).read_bytes() == (out / name).read_bytes(), name


def test_batch_report_lists_every_clip(first_run):
    out, _ = first_run
    html = (out / "report.html").read_text()
    for name in [Path(c).stem for c in CLIPS] + ["broken", "empty"]:
        assert f">{name}<" in html
    assert "not a readable video" in html


def test_cli_batch_exit_status_and_resume(inputs, tmp_path, capsys):
    out = tmp_path / "cli"
    clip = str(inputs[0])
    assert main(["batch", clip, "--exercise", EXERCISE, "--out", str(out), "-q"]) == 0
    assert main(["batch", clip, str(inputs[3]), "--exercise", EXERCISE, "--out", str(out)]) == 1
    text = capsys.readouterr().out
    assert "1 scored, 1 already scored (skipped), 1 errors" in text
    assert main(["batch", str(tmp_path / "nope.mp4"), "-e", EXERCISE, "--out", str(out)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


# ---- inputs (no model) ---------------------------------------------------------------------

def test_collect_inputs_files_folders_globs(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.mp4").write_bytes(b"1")
    (tmp_path / "a" / "notes.txt").write_text("not a video")
    (tmp_path / "a" / "sub").mkdir()
    (tmp_path / "a" / "sub" / "y.MOV").write_bytes(b"2")
    (tmp_path / "z.avi").write_bytes(b"3")
    (tmp_path / "odd.bin").write_bytes(b"4")
    got = collect_inputs([str(tmp_path / "a"), str(tmp_path / "*.avi"), str(tmp_path / "odd.bin"),
                          str(tmp_path / "a" / "x.mp4")])
    assert [p.name for p in got] == ["odd.bin", "x.mp4", "y.MOV", "z.avi"]
    with pytest.raises(BatchError, match="no such file"):
        collect_inputs([str(tmp_path / "missing.mp4")])
    with pytest.raises(BatchError, match="no video files match"):
        collect_inputs([str(tmp_path / "*.mkv")])


def test_clip_names_are_unique_when_stems_collide(tmp_path):
    a, b = tmp_path / "a" / "clip.mp4", tmp_path / "b" / "clip.mp4"
    names = clip_names([a, b, tmp_path / "other.mp4"])
    assert len(set(names)) == 3 and names[2] == "other"
    assert all(n.startswith("clip-") for n in names[:2])


def test_scores_csv_has_a_column_per_fault_and_stable_floats():
    rows = [
        {"clip": "b", "exercise": "plank", "status": "ok", "form_score": 72.5, "reps": 0,
         "good_reps": 0, "holds": 1, "hold_s": 1 / 3, "hold_good_s": 0.1, "duration_s": 2.0,
         "coverage": 1.0, "fault_ids": "hips_sagging", "faults": {"hips_sagging": 0.25},
         "error": ""},
        {"clip": "a", "exercise": "", "status": "error", "form_score": None, "reps": None,
         "good_reps": None, "holds": None, "hold_s": None, "hold_good_s": None,
         "duration_s": None, "coverage": None, "fault_ids": "", "faults": {}, "error": "bad, file"},
    ]
    text = scores_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["clip"] for r in parsed] == ["a", "b"]
    assert parsed[1]["fault_s:hips_sagging"] == "0.25" and parsed[1]["hold_s"] == "0.333"
    assert parsed[0]["error"] == "bad, file" and parsed[0]["fault_s:hips_sagging"] == ""


def test_clip_reports_are_written_linked_and_required_on_resume(inputs, tmp_path):
    out = tmp_path / "o"
    clip = [str(inputs[1])]
    run_batch(clip, out, ClipOptions(EXERCISE), jobs=1)
    assert not (out / "knee_to_chest_01.html").exists()
    assert 'href="knee_to_chest_01.json"' in (out / "report.html").read_text()
    s = run_batch(clip, out, ClipOptions(EXERCISE), jobs=1, clip_reports=True)
    assert s.scored == ["knee_to_chest_01"]  # the report was missing: scored again
    page = (out / "knee_to_chest_01.html").read_text()
    assert "knee_to_chest_01.mp4" in page and "data:image/png;base64," in page
    assert 'href="knee_to_chest_01.html"' in (out / "report.html").read_text()
    s = run_batch(clip, out, ClipOptions(EXERCISE), jobs=1, clip_reports=True)
    assert s.skipped == ["knee_to_chest_01"]


def test_interrupted_batch_resumes(samples, tmp_path):
    """Ctrl-C mid-batch: finished clips are kept and the next run only scores the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "o"
    clips = [str(samples / c) for c in ("knee_to_chest_01.mp4", "sitting_01.mp4")]
    cmd = [sys.executable, "-m", "formcheck.cli", "batch", *clips, "-e", EXERCISE,
           "--out", str(out), "--jobs", "1", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out / "knee_to_chest_01.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "first clip never finished"
        time.sleep(0.05)
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    rc = proc.wait(timeout=30)
    assert rc == 130 and time.monotonic() - t0 < 10
    assert not (out / "sitting_01.json").exists()  # sitting_01 (17 s) was cut short
    rows = read_rows(out)
    assert [r["clip"] for r in rows] == ["knee_to_chest_01"]  # scores.csv of what finished
    s = run_batch([clips[0]], out, ClipOptions(EXERCISE), jobs=1)
    assert s.skipped == ["knee_to_chest_01"] and s.scored == []


def fake_worker(clip, path, options, clip_report=False):
    """Stands in for score_one in spawned workers: dies on 'crash' clips, else a tiny doc."""
    import os
    import time

    from formcheck.batch.runner import ClipOutcome

    if "crash" in clip:
        time.sleep(0.2)
        os._exit(3)  # a native crash: the process is gone without a Python exception
    time.sleep(0.5)
    return ClipOutcome(clip, doc={"exercise": "plank", "frames_with_pose": 1, "duration_s": 1.0,
                                  "coverage": 1.0, "reps": [], "holds": [], "faults": []})


def test_a_crashing_worker_costs_only_its_own_clip():
    from formcheck.batch.runner import Job, _run_local

    jobs = [Job(n, f"/x/{n}.mp4", n) for n in ("a", "b", "crash", "c", "d")]
    got = {}
    _run_local(jobs, ClipOptions("plank"), 2, lambda j, o: got.setdefault(j.clip, o),
               worker=fake_worker)
    assert sorted(got) == ["a", "b", "c", "crash", "d"]
    assert got["crash"].doc is None and "worker crashed" in got["crash"].error
    assert all(got[n].doc is not None and got[n].error is None for n in "abcd")


@pytest.mark.parametrize("clip", ["plank_09.mp4", "lifting_02.mp4"])
def test_auto_batch_document_equals_analyze_auto(samples, tmp_path, clip):
    """--exercise auto: the batch recognises and scores each clip exactly as analyze does."""
    path = samples / clip
    target = tmp_path / "analyze.json"
    assert main(["analyze", str(path), "--exercise", "auto", "--json", str(target), "-q"]) == 0
    s = run_batch([str(path)], tmp_path / "o", ClipOptions("auto"), jobs=1)
    doc = tmp_path / "o" / f"{path.stem}.json"
    assert doc.read_bytes() == target.read_bytes()
    assert s.rows[0]["exercise"] == json.loads(doc.read_text())["exercise"] != "auto"


@pytest.mark.clips
@pytest.mark.slow
def test_auto_batch_of_every_sample_clip_matches_analyze(samples, tmp_path):
    """``formcheck batch sample_videos --exercise auto``: every clip scored, each document
    byte-identical to ``formcheck analyze --exercise auto --json`` of the same clip."""
    out = tmp_path / "out"
    assert main(["batch", str(samples), "--exercise", "auto", "--out", str(out), "-q"]) == 0
    clips = sorted(samples.glob("*.mp4"))
    rows = read_rows(out)
    assert [r["clip"] for r in rows] == [c.stem for c in clips]
    assert all(r["status"] == "ok" and r["form_score"] != "" for r in rows)
    for clip in clips:
        target = tmp_path / f"{clip.stem}.json"
        assert main(["analyze", str(clip), "-e", "auto", "--json", str(target), "-q"]) == 0
        assert (out / f"{clip.stem}.json").read_bytes() == target.read_bytes(), clip.name


def test_cli_rejects_bad_batch_options(inputs, tmp_path, capsys):
    out = str(tmp_path / "o")
    clip = str(inputs[0])
    assert main(["batch", clip, "-e", EXERCISE, "--out", out, "--scheduler", "tcp://h:1"]) == 2
    assert "--scheduler needs --backend dask" in capsys.readouterr().err
    assert main(["batch", clip, "-e", EXERCISE, "--out", out, "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["batch", clip, "-e", "yoga", "--out", out])
    (tmp_path / "file").write_text("x")
    assert main(["batch", clip, "-e", EXERCISE, "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # nothing written for a rejected command
    assert (tmp_path / "file").read_text() == "x"
