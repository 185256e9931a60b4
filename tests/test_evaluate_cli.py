"""`formcheck evaluate`: label parsing, the table, and the exit status on thresholds."""

from __future__ import annotations

import shutil

import pytest

from formcheck.analysis.evaluate import load_labels
from formcheck.cli import main


def _one_clip_labels(tmp_path, body: str):
    path = tmp_path / "labels.toml"
    path.write_text(body)
    return path


def test_load_labels_reads_every_clip(samples):
    clips = load_labels(samples / "labels.toml")
    assert len(clips) >= 20
    assert all(c.exercise for c in clips)
    bridge = next(c for c in clips if c.file == "glute_bridge_01.mp4")
    assert bridge.reps == 2 and "hold_too_short" in bridge.faults


@pytest.mark.clips
def test_evaluate_exit_status_follows_thresholds(samples, tmp_path, capsys):
    shutil.copy(samples / "plank_04.mp4", tmp_path / "plank_04.mp4")
    # A label that the clip cannot satisfy (a fault that is not there) must fail the
    # evaluation when faults are required, and pass when they are not.
    labels = _one_clip_labels(tmp_path, (
        '[[clip]]\nfile = "plank_04.mp4"\nexercise = "plank"\n'
        'faults = ["hips_sagging"]\nno_faults = []\n'
    ))
    assert main(["evaluate", "--labels", str(labels), "--min-faults", "1.0"]) == 1
    out = capsys.readouterr().out
    assert "plank_04.mp4" in out and "faults found 0/1" in out
    assert main(["evaluate", "--labels", str(labels)]) == 0


def test_evaluate_missing_labels_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", "--labels", str(tmp_path / "nope.toml")]) == 2
    assert "no such labels file" in capsys.readouterr().err
