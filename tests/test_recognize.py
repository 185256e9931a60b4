"""Exercise recognition from the pose track, ``--exercise auto``, and the wrong-exercise hint."""

from __future__ import annotations

import json

import numpy as np
import pytest

from formcheck.analysis.evaluate import load_labels
from formcheck.analysis.recognize import Recognizer, recognize_poses, recognize_track
from formcheck.analysis.track import PoseTrack
from tests.builders import make_pose, pose_sequence
from tests.test_ex_lifting import SQUAT, one_lift
from tests.test_ex_sitting import seated_pose


def _track(samples, name):
    from formcheck.analysis.track import load_or_extract

    return load_or_extract(samples / name)


def test_recognition_accuracy_on_labelled_clips(samples):
    labels = load_labels(samples / "labels.toml")
    rows = []
    for lab in labels:
        rec = recognize_track(_track(samples, lab.file))
        rows.append((lab.file, lab.exercise, rec.exercise, rec.confidence))
    wrong = [r for r in rows if r[1] != r[2]]
    accuracy = 1 - len(wrong) / len(rows)
    assert accuracy >= 0.9, f"accuracy {accuracy:.0%}, wrong: {wrong}"
    # every exercise is represented and recognised at least once
    assert {r[2] for r in rows} == {r[1] for r in rows}


def test_synthetic_sitting_and_lifting():
    rec = recognize_poses(p for _, p in pose_sequence(lambda t: seated_pose(), 5.0, 10))
    assert rec.exercise == "sitting" and rec.confidence > 0.9
    fn, secs = one_lift(SQUAT)
    rec = recognize_poses(p for _, p in pose_sequence(fn, secs, 10))
    assert rec.exercise == "lifting"
    assert "upright or on the feet" in rec.reason


def test_streaming_recognizer_matches_batch():
    frames = [p for _, p in pose_sequence(lambda t: seated_pose(), 3.0, 10)]
    r = Recognizer()
    for p in frames + [None]:
        r.add(p)
    assert r.result() == recognize_poses(frames)


def test_no_person_is_no_exercise():
    rows = np.stack([PoseTrack.empty_row(i * 100.0) for i in range(5)])
    rec = recognize_track(PoseTrack(rows, (640, 480), 10.0))
    assert rec.exercise is None and rec.confidence == 0.0
    assert recognize_poses([make_pose(None, base={})]).exercise is None


def test_wrong_exercise_answers_not_in_position_with_what_it_looks_like(samples):
    from formcheck.analysis.pipeline import analyze_track

    res = analyze_track(_track(samples, "plank_04.mp4"), "glute_bridge").result
    assert "not_in_position" in res.fault_ids
    assert res.extra["looks_like"] == "plank"
    assert any(n.startswith("looks like: plank") for n in res.notes)
    span = next(f for f in res.faults if f.check == "not_in_position")
    assert span.cue == "Lie on your back, knees bent, feet flat"


def test_same_position_other_movement_is_a_hint_not_a_fault(samples):
    from formcheck.analysis.pipeline import FrameProcessor
    from formcheck.analysis.recognize import Recognition

    track = _track(samples, "glute_bridge_01.mp4")

    def run(blind: bool):
        # a glute bridge analysed as a pelvic tilt: same start position, other movement
        proc = FrameProcessor("pelvic_tilt")
        if blind:  # what the analyzer says on its own, without the recogniser's opinion
            proc.recognizer.result = lambda: Recognition("pelvic_tilt", 1.0, "")
        for t, pose in track.poses():
            proc(pose, t)
        return proc.result()

    res, alone = run(False), run(True)
    assert res.extra["looks_like"] == "glute_bridge"
    assert any(n.startswith("looks like: glute_bridge") for n in res.notes)
    assert "looks_like" not in alone.extra
    # no not_in_position added by the recogniser
    assert [f for f in res.faults if f.check == "not_in_position"] == \
        [f for f in alone.faults if f.check == "not_in_position"]


def test_analyze_path_auto_recognises_then_analyses(samples):
    from formcheck.analysis.pipeline import AnalysisOptions, analyze_path

    a = analyze_path(samples / "sitting_01.mp4", AnalysisOptions(exercise="auto"))
    assert a.result.exercise == "sitting"
    assert a.result.extra["recognized_exercise"] == "sitting"
    assert a.result.notes[0].startswith("recognised as Sitting posture")
    assert "slouching" in a.result.fault_ids
    assert a.frames and a.fps > 0


def test_cli_analyze_auto_json(samples, tmp_path):
    from formcheck.cli import main

    out = tmp_path / "r.json"
    assert main(["analyze", str(samples / "lifting_07.mp4"), "--exercise", "auto",
                 "--json", str(out), "--quiet"]) == 0
    doc = json.loads(out.read_text())
    assert doc["exercise"] == "lifting"
    assert doc["extra"]["recognized_exercise"] == "lifting"
    assert doc["rep_count"] == 1


def test_cli_rejects_unknown_exercise(capsys):
    from formcheck.cli import main

    with pytest.raises(SystemExit):
        main(["analyze", "x.mp4", "--exercise", "yoga"])
    assert "auto" in capsys.readouterr().err


def test_recognizer_memory_is_bounded_over_a_long_stream():
    r = Recognizer(max_frames=100)
    pose = seated_pose()
    for _ in range(5000):
        r.add(pose)
    assert 50 <= len(r.labels) <= 100
    assert r.result().exercise == "sitting"
    with pytest.raises(ValueError):
        Recognizer(max_frames=1)
