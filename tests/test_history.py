"""Session history: where it lives, append/load, progress over days, recurring faults, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from formcheck.cli import main
from formcheck.coach.history import (
    append_session,
    format_progress,
    history_path,
    load_history,
    progress,
    recurring_faults,
    session_record,
)
from formcheck.core.results import ExerciseResult, FaultSpan, Hold, Rep


def bridge_result(good: int, bad: int, holds=(), faults=()) -> ExerciseResult:
    reps = [Rep(i + 1, i * 5.0, i * 5.0 + 4, good=i < good) for i in range(good + bad)]
    return ExerciseResult(
        exercise="glute_bridge", duration_s=60.0, frames=1800, frames_with_pose=1800,
        reps=reps, rep_counts={"total": len(reps)},
        holds=[Hold(0, d, g) for d, g in holds],
        faults=[FaultSpan(c, 1.0, 2.0, "cue") for c in faults],
    )


def test_path_override_env_then_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("FORMCHECK_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert history_path() == tmp_path / "xdg" / "formcheck" / "history.jsonl"
    monkeypatch.setenv("FORMCHECK_HISTORY", str(tmp_path / "env.jsonl"))
    assert history_path() == tmp_path / "env.jsonl"
    assert history_path(tmp_path / "flag.jsonl") == tmp_path / "flag.jsonl"
    monkeypatch.delenv("FORMCHECK_HISTORY")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert history_path() == tmp_path / "home" / ".local" / "share" / "formcheck" / "history.jsonl"


def test_append_and_load_roundtrip_skips_broken_lines(tmp_path):
    path = tmp_path / "sub" / "h.jsonl"
    t = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    rec = session_record([bridge_result(3, 1, holds=[(5.2, 4.9)], faults=["hips_too_low"])],
                         mode="live", source="camera:0", started=t, end_reason="quit")
    append_session(rec, path)
    with open(path, "a") as f:
        f.write('{"half a line\n')
    append_session(rec, path)
    h = load_history(path)
    assert len(h.records) == 2 and h.bad_lines == 1
    ex = h.records[0]["exercises"][0]
    assert ex["reps"] == 4 and ex["good_reps"] == 3
    assert ex["best_hold_good_s"] == 4.9
    assert ex["faults"] == {"hips_too_low": 1}
    # nothing identifying but the source name; no landmarks or images
    assert set(h.records[0]) == {"schema", "started", "ended", "mode", "source",
                                 "end_reason", "exercises"}


def test_progress_over_days_and_recurring_faults(tmp_path):
    path = tmp_path / "h.jsonl"
    day1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    sessions = [
        (day1, bridge_result(2, 3, holds=[(3.0, 2.0)], faults=["hips_too_low", "too_fast"])),
        (day1 + timedelta(hours=8), bridge_result(3, 2, faults=["hips_too_low"])),
        (day1 + timedelta(days=2), bridge_result(7, 1, holds=[(6.0, 5.5)])),
    ]
    for t, res in sessions:
        append_session(session_record([res], mode="live", source="camera:0", started=t,
                                      end_reason="quit"), path)
    h = load_history(path)
    table = progress(h, today=day1 + timedelta(days=3))
    days = sorted(table["glute_bridge"])
    assert len(days) == 2
    first, last = table["glute_bridge"][days[0]], table["glute_bridge"][days[-1]]
    assert (first.sessions, first.good_reps, first.reps) == (2, 5, 10)
    assert (last.good_reps, last.best_hold_good_s) == (7, 5.5)
    assert recurring_faults(h) == {"glute_bridge": [("hips_too_low", 2)]}
    text = format_progress(h)
    assert "Glute Bridge" in text and "5/10" in text and "7/8" in text
    assert "recurring: hips_too_low (in 2 sessions)" in text
    # --days keeps only recent sessions
    recent = progress(h, days=2, today=day1 + timedelta(days=3))
    assert sum(s.sessions for s in recent["glute_bridge"].values()) == 1


def test_history_cli(tmp_path, capsys):
    path = tmp_path / "h.jsonl"
    assert main(["history", "--file", str(path)]) == 0
    assert "No sessions recorded yet" in capsys.readouterr().out
    append_session(session_record([bridge_result(4, 0)], mode="routine", source="camera:0",
                                  started=datetime.now(UTC), end_reason="completed"),
                   path)
    assert main(["history", "--file", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sessions"] == 1
    (stats,) = doc["progress"]["glute_bridge"].values()
    assert stats["good_reps"] == 4
    assert Path(doc["file"]) == path
