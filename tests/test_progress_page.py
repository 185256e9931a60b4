"""The progress page (`formcheck history --report`): built from a history of five weeks of
sessions made by the real record code, opened in headless Chromium, charts checked on screen."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.coach.history import append_session, load_history, session_record
from formcheck.coach.progress import refresh_after_session
from formcheck.core.results import ExerciseResult, FaultSpan, Hold, Rep
from formcheck.render.progress_page import GOOD, PAIN, build_page, fault_trends, fold

START = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # a Monday
WEEKS = 5
PAIN_DAYS = (8, 22)  # day offsets of the two sessions that ended with a pain stop


def bridge(day: int, pain: bool) -> ExerciseResult:
    """Glute bridges that improve: more reps in good form and fewer hips_too_low each week."""
    week = day // 7
    good = 4 + week
    bad = max(0, 4 - week)
    reps = [Rep(i + 1, i * 6.0, i * 6.0 + 5, good=i < good) for i in range(good + bad)]
    faults = [FaultSpan("hips_too_low", i * 6.0, i * 6.0 + 2, "Lift your hips") for i in range(bad)]
    if week >= 3:  # a fault that comes up only later: more frequent
        faults.append(FaultSpan("too_fast", 1.0, 2.0, "Slow down"))
    return ExerciseResult("glute_bridge", duration_s=90.0, frames=2700, frames_with_pose=2700,
                          reps=reps, rep_counts={"total": len(reps)}, faults=faults,
                          holds=[Hold(0, 5.0, min(5.0, 3.0 + 0.5 * week))],
                          pain_stops=[40.0] if pain else [])


def plank(day: int) -> ExerciseResult:
    week = day // 7
    hold = 15.0 + 5 * week
    faults = [FaultSpan("hips_sagging", 3.0, 5.0, "Lift your hips")] if week < 2 else []
    return ExerciseResult("plank", variant="modified", duration_s=hold + 5, frames=900,
                          frames_with_pose=900, holds=[Hold(1.0, 1.0 + hold, hold - 2)],
                          faults=faults)


def sitting(day: int) -> ExerciseResult:
    week = day // 7
    res = ExerciseResult("sitting", duration_s=3600.0, frames=100, frames_with_pose=100,
                         faults=[FaultSpan("slouching", 100.0, 400.0, "Sit tall")])
    res.extra.update(seated_s=3000.0 + 60 * day, good_posture_share=0.5 + 0.08 * week,
                     breaks=1 + week % 3, longest_sitting_s=1700.0)
    return res


def build_history(path: Path) -> Path:
    for day in range(WEEKS * 7):
        t = START + timedelta(days=day)
        if day % 7 in (2, 5):  # two rest days a week
            continue
        pain = day in PAIN_DAYS
        results = [bridge(day, pain)] + ([] if pain else [plank(day)])
        append_session(session_record(results, mode="routine", source="camera:0", started=t,
                                      ended=t + timedelta(minutes=12),
                                      end_reason="pain_stop" if pain else "completed"), path)
        if day % 7 < 5:  # work days: a desk session in the afternoon
            s = t + timedelta(hours=6)
            append_session(session_record([sitting(day)], mode="live", source="camera:0",
                                          started=s, ended=s + timedelta(hours=1),
                                          end_reason="quit"), path)
    return path


@pytest.fixture
def history_file(tmp_path) -> Path:
    return build_history(tmp_path / "history.jsonl")


def test_history_keeps_sitting_figures(history_file):
    rec = [r for r in load_history(history_file).records if r["mode"] == "live"][0]
    ex = rec["exercises"][0]
    assert ex["exercise"] == "sitting" and ex["seated_s"] == 3000.0
    assert ex["good_posture_share"] == 0.5 and ex["breaks"] == 1


def test_fold_by_day_and_week(history_file):
    p = fold(load_history(history_file).records)
    assert p.first == START.astimezone().date()
    assert len(p.pain_stops) == 2
    trends = {t.check: t for t in fault_trends(p)}
    assert trends["hips_too_low"].verdict in ("getting rarer", "gone lately")
    assert trends["hips_too_low"].rates[0] == 4.0  # 4 faulty reps per session in week 1
    assert trends["too_fast"].verdict == "more frequent"
    assert trends["hips_sagging"].verdict == "gone lately"
    assert trends["slouching"].verdict == "about the same"
    # reps in good form rise week by week
    days = sorted(p.exercises["glute_bridge"].items())
    assert days[0][1].good_reps == 4 and days[-1][1].good_reps == 8


def test_page_is_self_contained(history_file):
    page = build_page(load_history(history_file).records)
    # nothing loaded from elsewhere: no src/href to files or the network
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", page)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    assert page.count("<svg") >= 9
    assert "pain stop" in page


def test_history_report_cli_writes_the_page_and_prints_its_link(history_file, tmp_path, capsys):
    out = tmp_path / "sub" / "progress.html"
    assert main(["history", "--file", str(history_file), "--report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert out.is_file() and f"your progress: {out.resolve().as_uri()}" in printed
    assert "session(s)" in printed
    # never over the history itself
    before = history_file.read_bytes()
    assert main(["history", "--file", str(history_file), "--report", str(history_file)]) == 2
    assert history_file.read_bytes() == before


def test_empty_history_gives_a_page_that_says_so(tmp_path, capsys):
    out = tmp_path / "p.html"
    assert main(["history", "--file", str(tmp_path / "none.jsonl"), "--report", str(out)]) == 0
    assert "No sessions recorded yet" in out.read_text()


def test_live_session_end_prints_the_link(tmp_path):
    from formcheck.coach.live import LiveOptions, LiveStats, SessionOutcome, save_outcome

    hist = tmp_path / "h.jsonl"
    out = io.StringIO()
    save_outcome(SessionOutcome(bridge(0, False), "quit", LiveStats()),
                 LiveOptions("glute_bridge", history=str(hist)), "camera:0", None,
                 datetime.now(UTC), out=out)
    page = tmp_path / "progress.html"
    assert page.is_file() and f"your progress: {page.as_uri()}" in out.getvalue()
    assert "Glute Bridge" in page.read_text()


def test_refresh_after_session_never_raises(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = refresh_after_session(blocker / "history.jsonl")
    assert line.startswith("progress page not written")


# ---- in a real browser ---------------------------------------------------------------------

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    exe = _chromium()
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--no-first-run", "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="chromium not installed (.ci/apt-packages.txt)")
def test_charts_are_drawn_in_chromium(history_file, tmp_path):
    page = tmp_path / "progress.html"
    assert main(["history", "--file", str(history_file), "--report", str(page)]) == 0
    # 1. the DOM after the page's own check ran: every chart has marks with a size on screen
    r = _run_chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    dom = r.stdout
    assert "<svg" in dom, r.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom).group(0)
    charts = int(re.search(r'data-charts="(\d+)"', body).group(1))
    drawn = int(re.search(r'data-charts-drawn="(\d+)"', body).group(1))
    assert charts >= 9 and drawn == charts
    per_chart = re.findall(r'data-chart="([^"]+)" data-marks="(\d+)"[^>]*data-drawn="(\d+)"', dom)
    names = {n for n, _, _ in per_chart}
    assert {"reps:glute_bridge", "holds:glute_bridge", "holds:plank", "sitting:time",
            "sitting:posture", "sitting:breaks", "fault:glute_bridge:hips_too_low"} <= names
    for name, marks, seen in per_chart:
        assert int(marks) > 0 and int(seen) == int(marks), name
    reps = dict((n, int(m)) for n, m, _ in per_chart)
    assert reps["reps:glute_bridge"] >= 25  # a bar (or two stacked) for each training day
    # 2. a screenshot: the charts' colours are on the screen, pain stops marked in red
    shot = tmp_path / "shot.png"
    r = _run_chromium(tmp_path, "--hide-scrollbars", "--window-size=820,2400",
                      f"--screenshot={shot}", page.as_uri())
    assert shot.is_file(), r.stderr[-2000:]
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)

    def share(hex_colour: str) -> float:
        rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return float((np.abs(img - rgb).sum(axis=2) < 30).mean())

    assert share(GOOD) > 0.002, "no good-form bars on screen"
    assert share(PAIN) > 0.0002, "no pain stop marks on screen"
    assert (img.sum(axis=2) < 600).mean() > 0.02  # not a blank page


def test_report_page_json_free_of_personal_paths(history_file):
    # the history's records carry no landmarks or images, and neither does the page
    page = build_page(load_history(history_file).records, source="h.jsonl")
    assert "landmarks" not in page and "base64" not in page
    assert json.loads(history_file.read_text().splitlines()[0])["schema"] == 1


def test_unreadable_entries_are_left_out_not_fatal(history_file, tmp_path, capsys):
    with open(history_file, "a") as f:
        f.write(json.dumps({"started": "2026-11-30T08:00:00+00:00", "exercises": [
            {"exercise": "plank", "reps": "many"}, "junk", {"exercise": 5},
            {"exercise": "glute_bridge", "reps": 3, "good_reps": 2, "faults": {"too_fast": "x"}},
            {"exercise": "glute_bridge", "reps": 2, "good_reps": 2}]}) + "\n")
        f.write("not json\n")
    out = tmp_path / "p.html"
    assert main(["history", "--file", str(history_file), "--report", str(out)]) == 0
    page = out.read_text()
    assert "1 unreadable line(s) skipped" in page
    p = fold(load_history(history_file).records)
    last = p.exercises["glute_bridge"][max(p.exercises["glute_bridge"])]
    assert last.reps == 2 and last.good_reps == 2  # only the readable entry of that day
