"""Bad input to `formcheck analyze`: a clear one-line error, or a result that says what was
wrong - never a traceback, and never a --json / --out-video file left behind for a failed run."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.cli import main
from formcheck.io.video import VideoWriter

#: lying-on-the-back exercises: the glute bridge frame used below shows one
LYING = ("glute_bridge", "pelvic_tilt", "knee_to_chest")


@pytest.fixture(scope="module")
def exercise() -> str:
    from formcheck.exercises import analyzer_class

    for ex in LYING:
        try:
            analyzer_class(ex)
            return ex
        except ImportError:
            continue
    pytest.skip("no lying-down analyzer is importable yet")


@pytest.fixture(scope="module")
def bridge_frame(samples) -> np.ndarray:
    """Frame 60 of glute_bridge_01 (720p): a person lying on the back, hips up, seen from the
    side, head at the left edge and feet at the right."""
    with av.open(str(samples / "glute_bridge_01.mp4")) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == 60:
                return f.to_ndarray(format="rgb24")
    raise AssertionError("clip too short")


def write_clip(path: Path, frame: np.ndarray, n: int = 10, fps: float = 10.0) -> Path:
    h, w = frame.shape[:2]
    with VideoWriter(path, fps, (w, h)) as wr:
        for _ in range(n):
            wr.write(np.ascontiguousarray(frame))
    return path


def analyze(video: Path, out: Path, exercise: str = "plank", capsys=None):
    """Run the CLI; returns (exit status, stderr lines, json path, video path)."""
    js, mp4 = out / "result.json", out / "annotated.mp4"
    rc = main(
        [
            "analyze",
            str(video),
            "--exercise",
            exercise,
            "--json",
            str(js),
            "--out-video",
            str(mp4),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err if capsys else ""
    return rc, [ln for ln in err.splitlines() if ln.startswith("formcheck")], js, mp4


def assert_clean_error(rc, lines, js, mp4, *words):
    assert rc == 2
    assert len(lines) == 1 and lines[0].startswith("formcheck: error: "), lines
    for w in words:
        assert w in lines[0], lines[0]
    assert not js.exists() and not mp4.exists()
    leftovers = [p.name for p in js.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers


# ---- files that are not (whole) videos: errors before any model runs ----------------------


def test_missing_file(tmp_path, capsys):
    r = analyze(tmp_path / "nope.mp4", tmp_path, capsys=capsys)
    assert_clean_error(*r, "no such file")


def test_text_file_named_mp4(tmp_path, capsys):
    f = tmp_path / "notes.mp4"
    f.write_text("these are my exercise notes, not a video\n")
    r = analyze(f, tmp_path, capsys=capsys)
    assert_clean_error(*r, "not a readable video")


def test_zero_length_file(tmp_path, capsys):
    f = tmp_path / "empty.mp4"
    f.write_bytes(b"")
    r = analyze(f, tmp_path, capsys=capsys)
    assert_clean_error(*r, "empty")


def test_folder_instead_of_file(tmp_path, capsys):
    d = tmp_path / "clips.mp4"
    d.mkdir()
    r = analyze(d, tmp_path, capsys=capsys)
    assert_clean_error(*r, "folder")


def test_sound_only_file(tmp_path, capsys):
    f = tmp_path / "voice_note.mp4"
    with av.open(str(f), "w") as c:
        s = c.add_stream("aac", rate=44100)
        for i in range(10):
            fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                            layout="mono")
            fr.sample_rate, fr.pts = 44100, i * 1024
            for p in s.encode(fr):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    r = analyze(f, tmp_path, capsys=capsys)
    assert_clean_error(*r, "no video stream")


@pytest.mark.clips
def test_truncated_clip(samples, tmp_path, capsys, exercise):
    data = (samples / "glute_bridge_01.mp4").read_bytes()
    f = tmp_path / "half.mp4"
    f.write_bytes(data[: len(data) // 2])  # e.g. a copy interrupted half way
    r = analyze(f, tmp_path, exercise, capsys=capsys)
    assert_clean_error(*r, "cut short")


def test_output_that_would_overwrite_the_input_is_refused(tmp_path, capsys):
    f = write_clip(tmp_path / "clip.mp4", np.zeros((64, 64, 3), np.uint8), n=2)
    before = f.read_bytes()
    rc = main(["analyze", str(f), "--exercise", "plank", "--out-video", str(f), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "is an input" in err
    assert f.read_bytes() == before


def test_json_into_an_unwritable_place_is_refused_before_analysis(tmp_path, capsys):
    f = write_clip(tmp_path / "clip.mp4", np.zeros((64, 64, 3), np.uint8), n=2)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(
        ["analyze", str(f), "--exercise", "plank", "--json", str(blocker / "r.json"), "--quiet"]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "--json" in err and "Traceback" not in err


def test_unloadable_model_file(tmp_path, capsys, exercise):
    f = write_clip(tmp_path / "clip.mp4", np.zeros((64, 64, 3), np.uint8), n=2)
    bad = tmp_path / "model.task"
    bad.write_bytes(b"not a model")
    rc = main(
        [
            "analyze",
            str(f),
            "--exercise",
            exercise,
            "--model-path",
            str(bad),
            "--json",
            str(tmp_path / "r.json"),
            "--quiet",
        ]
    )
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("formcheck")]
    assert rc == 2 and lines == [lines[0]] and "cannot load pose model" in lines[0]
    assert not (tmp_path / "r.json").exists()


# ---- readable videos with the wrong content: a result that says so ------------------------


def test_no_person_in_any_frame(tmp_path, capsys, exercise):
    rng = np.random.default_rng(0)
    wall = np.full((240, 320, 3), 180, np.uint8)
    wall[:120] = rng.integers(100, 140, (120, 320, 3), dtype=np.uint8)  # some texture
    f = write_clip(tmp_path / "empty_room.mp4", wall)
    rc, _, js, mp4 = analyze(f, tmp_path, exercise, capsys=capsys)
    assert rc == 1
    assert mp4.is_file()  # complete: every frame, with "No person in view" drawn
    doc = json.loads(js.read_text())
    assert doc["frames"] == 10 and doc["frames_with_pose"] == 0
    assert "no person was found in any frame" in doc["notes"]
    assert doc["rep_count"] == 0


def test_no_person_message_on_stderr(tmp_path, capsys, exercise):
    f = write_clip(tmp_path / "grey.mp4", np.full((120, 160, 3), 128, np.uint8), n=3)
    rc = main(["analyze", str(f), "--exercise", exercise, "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "no person was found in any frame" in err and "Traceback" not in err


@pytest.mark.clips
def test_person_partly_out_of_frame(tmp_path, capsys, exercise, bridge_frame):
    # keep head to hips, cut the legs off at x=800 (knees ~1100 px, ankles ~1150 px)
    crop = np.ascontiguousarray(bridge_frame[:, :800])
    f = write_clip(tmp_path / "cut_off.mp4", crop, n=15)
    rc, lines, js, mp4 = analyze(f, tmp_path, exercise, capsys=capsys)
    assert rc == 0, lines
    doc = json.loads(js.read_text())
    assert doc["frames_with_pose"] > 0
    assert "not_visible" in doc["fault_ids"], doc["fault_ids"]
    assert doc["rep_count"] == 0
    assert mp4.is_file()


@pytest.mark.clips
def test_two_people_are_reported(tmp_path, capsys, exercise, bridge_frame):
    two = np.concatenate([bridge_frame, bridge_frame], axis=1)[::2, ::2]  # 1280x360
    f = write_clip(tmp_path / "two.mp4", np.ascontiguousarray(two), n=8)
    rc, lines, js, mp4 = analyze(f, tmp_path, exercise, capsys=capsys)
    assert rc == 0, lines
    assert mp4.is_file()
    doc = json.loads(js.read_text())
    notes = " ".join(doc["notes"])
    assert "more than one person" in notes, doc["notes"]


def test_failure_half_way_leaves_no_annotated_video(tmp_path, monkeypatch, exercise):
    """An error while scoring (here: injected at frame 5) reaches the caller, and the
    annotated video being written is removed rather than left half-written."""
    from formcheck.analysis import pipeline
    from formcheck.io.estimator import EstimatorOptions
    from formcheck.render.annotated_video import AnnotatedVideoWriter

    f = write_clip(tmp_path / "clip.mp4", np.full((120, 160, 3), 90, np.uint8), n=12)
    real = pipeline.FrameProcessor.__call__
    seen = []

    def failing(self, pose, t_ms):
        seen.append(t_ms)
        if len(seen) == 5:
            raise RuntimeError("analyzer bug")
        return real(self, pose, t_ms)

    monkeypatch.setattr(pipeline.FrameProcessor, "__call__", failing)
    out = tmp_path / "out" / "annotated.mp4"
    with pytest.raises(RuntimeError, match="analyzer bug"):
        pipeline.analyze_video(f, pipeline.AnalysisOptions(exercise, EstimatorOptions()),
                               video_writer=partial(AnnotatedVideoWriter, out))
    assert not out.exists()
    assert list(out.parent.iterdir()) == []
