"""Analysing a subset of a recorded clip's frames (EstimatorOptions.model_fps): the model sees
every k-th frame, the annotated video still has every frame, full rate is one flag away."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from formcheck.cli import main
from formcheck.io.estimator import EstimatorOptions
from formcheck.io.video import VideoWriter


def clip(path: Path, n: int = 24, fps: float = 30.0) -> Path:
    """A small clip of an empty room whose brightness changes every frame."""
    with VideoWriter(path, fps, (160, 120)) as wr:
        for i in range(n):
            wr.write(np.full((120, 160, 3), 60 + 5 * i, np.uint8))
    return path


@pytest.mark.parametrize("fps, model_fps, step", [
    (30.0, 15.0, 2), (29.97, 15.0, 2), (25.0, 15.0, 2), (60.0, 15.0, 4), (10.0, 15.0, 1),
    (30.0, None, 1), (1.25, 15.0, 1),
])
def test_frame_step(fps, model_fps, step):
    assert EstimatorOptions(model_fps=model_fps).frame_step(fps) == step


def test_subset_analysed_every_frame_drawn(tmp_path):
    f = clip(tmp_path / "room.mp4")
    js, mp4 = tmp_path / "r.json", tmp_path / "r.mp4"
    rc = main(["analyze", str(f), "--exercise", "plank", "--model-fps", "15", "--json", str(js),
               "--out-video", str(mp4), "--quiet"])
    assert rc == 1  # nobody in the room
    doc = json.loads(js.read_text())
    assert doc["frames"] == 12 and doc["extra"]["frame_step"] == 2 and doc["extra"]["frames_in_clip"] == 24
    with av.open(str(mp4)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 24  # every frame of the clip is drawn


def test_full_rate_flag_runs_every_frame(tmp_path):
    f = clip(tmp_path / "room.mp4")
    js = tmp_path / "r.json"
    rc = main(["analyze", str(f), "--exercise", "plank", "--model-fps", "15", "--full-rate",
               "--json", str(js), "--quiet"])
    assert rc == 1
    doc = json.loads(js.read_text())
    assert doc["frames"] == 24 and "frame_step" not in doc.get("extra", {})


def test_track_has_a_row_per_analysed_frame(tmp_path):
    from formcheck.analysis.track import extract_track

    f = clip(tmp_path / "room.mp4", n=20)
    track = extract_track(f, EstimatorOptions(model_fps=15.0))
    assert len(track) == 10
    assert np.allclose(np.diff(track.timestamps_ms), 2000 / 30, atol=1.0)


def test_bad_model_fps_is_a_clear_error(tmp_path, capsys):
    f = clip(tmp_path / "room.mp4", n=2)
    rc = main(["analyze", str(f), "--exercise", "plank", "--model-fps", "0", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "--model-fps must be > 0" in err and "Traceback" not in err


def test_recorded_video_default_rate(tmp_path):
    # no rate flag: per-frame detection runs the model at the recorded-video default rate
    # (every other frame of 30 fps); a tracker sees every frame (tracked and thinned lost reps)
    f = clip(tmp_path / "room.mp4")
    for flags, frames in (([], 12), (["--track"], 24), (["--full-rate"], 24)):
        js = tmp_path / "r.json"
        rc = main(["analyze", str(f), "--exercise", "plank", "--json", str(js), "--quiet", *flags])
        assert rc == 1
        assert json.loads(js.read_text())["frames"] == frames, flags


def test_recorded_video_rate_rule():
    from formcheck.io.estimator import RECORDED_MODEL_FPS

    assert EstimatorOptions().for_recorded_video().model_fps == RECORDED_MODEL_FPS
    assert EstimatorOptions(num_poses=1).for_recorded_video().model_fps is None
    assert EstimatorOptions(model_fps=5.0).for_recorded_video().model_fps == 5.0


def test_batch_default_rate_and_full_rate():
    from formcheck.batch.jobs import ClipOptions, analysis_options

    thinned = analysis_options(ClipOptions(exercise="plank"), "plank").estimator
    every = analysis_options(ClipOptions(exercise="plank", full_rate=True), "plank").estimator
    assert thinned.frame_step(30.0) == 2 and every.frame_step(30.0) == 1
