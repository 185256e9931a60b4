"""A damaged history file never ends in a traceback: bad records of every kind are skipped and
counted, as garbage lines are (issue 10, case 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from formcheck.cli import main
from formcheck.coach.history import load_history

GOOD = {"schema": 1, "started": "2026-11-25T08:30:00+00:00", "mode": "live",
        "exercises": [{"exercise": "glute_bridge", "reps": 8, "good_reps": 6,
                       "best_hold_good_s": 0, "hold_good_s": 0, "faults": {"hips_sag": 2}}]}


def bad(**change) -> dict:
    rec = json.loads(json.dumps(GOOD))
    for k, v in change.items():
        if k.startswith("ex_"):
            rec["exercises"][0][k[3:]] = v
        else:
            rec[k] = v
    return rec


BAD_RECORDS = {
    "started is a number": bad(started=12345),
    "started is not a time": bad(started="yesterday"),
    "exercises holds a number": bad(exercises=[1]),
    "reps is text": bad(ex_reps="many"),
    "good_reps is null": bad(ex_good_reps=None),
    "faults is a list": bad(ex_faults=["x"]),
    "a fault count is text": bad(ex_faults={"hips_sag": "two"}),
    "exercise id missing": bad(exercises=[{"reps": 3}]),
    "not an object": [1, 2],
}


def write(path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize("what", list(BAD_RECORDS))
def test_each_kind_of_bad_record_is_skipped_and_counted(tmp_path, capsys, what):
    f = tmp_path / "h.jsonl"
    write(f, [json.dumps(GOOD).encode(), json.dumps(BAD_RECORDS[what]).encode()])
    h = load_history(f)
    assert len(h.records) == 1 and h.bad_lines == 1
    for argv in ([], ["--json"], ["--days", "100000"], ["--exercise", "glute_bridge"]):
        rc = main(["history", "--file", str(f), *argv])
        out, err = capsys.readouterr()
        assert rc == 0 and "Traceback" not in err, (argv, err)
    assert "1 unreadable line(s) skipped" in main_text(f, capsys)


def main_text(f, capsys) -> str:
    main(["history", "--file", str(f)])
    return capsys.readouterr().out


def test_non_utf8_bytes_are_a_bad_line(tmp_path, capsys):
    f = tmp_path / "h.jsonl"
    write(f, [b"\xff\xfe\x00garbage", json.dumps(GOOD).encode()])
    h = load_history(f)
    assert len(h.records) == 1 and h.bad_lines == 1
    assert main(["history", "--file", str(f)]) == 0


def test_a_time_without_a_zone_is_local_time_and_days_works(tmp_path, capsys):
    f = tmp_path / "h.jsonl"
    recent = (datetime.now(UTC) - timedelta(hours=1)).astimezone().replace(tzinfo=None)
    write(f, [json.dumps(bad(started=recent.isoformat(timespec="seconds"))).encode(),
              json.dumps(GOOD).encode()])
    rc = main(["history", "--file", str(f), "--days", "2", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["sessions"] == 2 and doc["bad_lines"] == 0
    assert sum(d["sessions"] for d in doc["progress"]["glute_bridge"].values()) == 1


def test_history_path_that_is_a_folder_is_one_line(tmp_path, capsys):
    rc = main(["history", "--file", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "is a folder" in err and err.count("\n") == 1
