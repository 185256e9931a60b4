"""`formcheck analyze` end to end on a real clip, as a user runs it."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from formcheck.cli import main
from formcheck.core.checks import EXERCISE_CHECKS


@pytest.mark.clips
@pytest.mark.slow
def test_analyze_glute_bridge_writes_json_and_h264_video(samples, tmp_path, capsys):
    out_json, out_video = tmp_path / "r.json", tmp_path / "r.mp4"
    rc = main(
        [
            "analyze",
            str(samples / "glute_bridge_01.mp4"),
            "--exercise",
            "glute_bridge",
            "--json",
            str(out_json),
            "--out-video",
            str(out_video),
            "--quiet",
        ]
    )
    assert rc == 0
    doc = json.loads(out_json.read_text())
    assert doc["exercise"] == "glute_bridge"
    assert doc["coverage"] >= 0.95
    # the model looks at every other frame of the 30 fps clip (the recorded-video default)
    assert doc["frames"] == 196
    assert doc["extra"]["frame_step"] == 2 and doc["extra"]["frames_in_clip"] == 392
    # every reported fault is a check id of this exercise or a common one, with its cue
    valid = set(EXERCISE_CHECKS["glute_bridge"]) | {
        "not_visible",
        "wrong_view",
        "not_in_position",
        "too_fast",
        "pain_stop",
    }
    for f in doc["faults"]:
        assert f["check"] in valid and f["cue"] and f["end_s"] >= f["start_s"]
    assert "hold_too_short" in doc["fault_ids"]  # each top is held ~1 s, target 5 s
    assert 1 <= doc["rep_count"] <= 3

    with av.open(str(out_video)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(stream)]
    assert len(frames) == 392  # ... and every frame is drawn
    # the overlay is drawn: the status panel (dark, top-left) differs from the raw clip
    with av.open(str(samples / "glute_bridge_01.mp4")) as c:
        raw = next(c.decode(video=0)).to_ndarray(format="rgb24")
    diff = np.abs(frames[0].astype(int) - raw.astype(int)).mean(axis=2)
    assert diff[:60, :200].mean() > 20, "no status panel drawn"
    assert (diff > 40).mean() > 0.005, "no skeleton drawn"


def test_unknown_exercise_lists_valid_ids(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "x.mp4", "--exercise", "yoga"])
    err = capsys.readouterr().err
    assert "pelvic_tilt" in err and "invalid choice" in err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "analyze" in capsys.readouterr().out
