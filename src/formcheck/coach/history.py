"""The local session history: one JSON line per live session or routine, and progress reports.

Where: ``$FORMCHECK_HISTORY`` if set (a file path), else ``$XDG_DATA_HOME/formcheck/history.jsonl``
(``~/.local/share/formcheck/history.jsonl`` when XDG_DATA_HOME is unset). Nothing is uploaded:
the file stays on this computer and can be deleted at any time.

A record (schema 1)::

    {"schema": 1, "started": "2026-11-25T08:30:00+00:00", "ended": "...", "mode": "live",
     "source": "camera:0", "end_reason": "quit",
     "exercises": [{"exercise": "glute_bridge", "reps": 8, "good_reps": 6,
                    "rep_counts": {"total": 8}, "holds": [{"side": null, "duration_s": 5.2,
                    "good_s": 4.9}], "best_hold_good_s": 4.9, "hold_good_s": 30.1,
                    "faults": {"hips_too_low": 2}, "pain_stops": 0, "duration_s": 95.0}]}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from formcheck.core.checks import EXERCISE_IDS, EXERCISE_NAMES
from formcheck.core.errors import FormcheckError
from formcheck.core.results import ExerciseResult

SCHEMA = 1
ENV_VAR = "FORMCHECK_HISTORY"
#: what a sitting session's result ``extra`` adds to its entry
SITTING_KEYS = ("seated_s", "good_posture_share", "breaks", "longest_sitting_s")


def history_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The history file: ``override``, else $FORMCHECK_HISTORY, else the XDG data folder."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "formcheck" / "history.jsonl"


def exercise_entry(res: ExerciseResult) -> dict[str, Any]:
    """What the history keeps of one exercise's result (no landmarks, no images)."""
    faults: dict[str, int] = {}
    for f in res.faults:
        if f.check == "pain_stop":
            continue
        faults[f.check] = faults.get(f.check, 0) + 1
    holds = [
        {"side": h.side, "duration_s": round(h.duration_s, 2), "good_s": round(h.good_s, 2)}
        for h in res.holds
    ]
    return {
        "exercise": res.exercise,
        "variant": res.variant,
        "duration_s": round(res.duration_s, 2),
        "reps": res.rep_count,
        "good_reps": sum(1 for r in res.reps if r.good),
        "rep_counts": dict(res.rep_counts),
        "holds": holds,
        "best_hold_good_s": round(max((h.good_s for h in res.holds), default=0.0), 2),
        "hold_good_s": round(sum(h.good_s for h in res.holds), 2),
        "faults": faults,
        "pain_stops": len(res.pain_stops),
        # sitting: time seated, its good-posture share and breaks (for the progress page)
        **{k: res.extra[k] for k in SITTING_KEYS if k in res.extra},
    }


def session_record(results: Iterable[ExerciseResult], *, mode: str, source: str,
                   started: datetime, end_reason: str,
                   ended: datetime | None = None) -> dict[str, Any]:
    ended = ended or datetime.now(UTC)
    return {
        "schema": SCHEMA,
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "mode": mode,
        "source": source,
        "end_reason": end_reason,
        "exercises": [exercise_entry(r) for r in results],
    }


def append_session(record: dict[str, Any], path: str | os.PathLike[str] | None = None) -> Path:
    """Append one record as a single JSON line (one write + fsync, so a crash cannot leave
    half a line in the middle of the file)."""
    p = history_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, separators=(",", ":"), sort_keys=False) + "\n"
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return p


@dataclass
class History:
    records: list[dict[str, Any]] = field(default_factory=list)
    #: lines that were not valid records (skipped, counted so the report can say so)
    bad_lines: int = 0
    #: exercise entries of valid records left out for wrong types (the rest of the record kept)
    bad_entries: int = 0


def load_history(path: str | os.PathLike[str] | None = None) -> History:
    """The valid records of the history file, oldest first. A line that is not JSON, not
    UTF-8, or not a well-formed record (see :func:`valid_record`) is skipped and counted."""
    p = history_path(path)
    h = History()
    if not p.exists():
        return h
    if p.is_dir():
        raise HistoryError(f"history file {p} is a folder; give a file (--file)")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise HistoryError(f"cannot read history file {p}: {exc.strerror or exc}") from None
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            h.bad_lines += 1
            continue
        if not valid_record(rec):
            h.bad_lines += 1
            continue
        entries = [ex for ex in rec["exercises"] if valid_entry(ex)]
        h.bad_entries += len(rec["exercises"]) - len(entries)
        if rec["exercises"] and not entries:  # nothing readable left: a bad line
            h.bad_lines += 1
            h.bad_entries -= len(rec["exercises"])
            continue
        rec["exercises"] = entries
        h.records.append(rec)
    h.records.sort(key=lambda r: session_start(r).timestamp())
    return h


class HistoryError(FormcheckError):
    """The history file cannot be read at all (the message is user-facing)."""


def session_start(rec: dict[str, Any]) -> datetime:
    """The record's start time, timezone-aware (a time written without a zone is taken as
    this computer's local time)."""
    started = datetime.fromisoformat(rec["started"])
    return started if started.tzinfo is not None else started.astimezone()


def _number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v and v >= 0


def valid_record(rec: object) -> bool:
    """Whether ``rec`` has the shape of a schema-1 record (wrong types are a bad record, not
    a crash later): a start time that parses, and a list of exercises."""
    if not isinstance(rec, dict) or not isinstance(rec.get("started"), str):
        return False
    try:
        session_start(rec)
    except ValueError:
        return False
    return isinstance(rec.get("exercises"), list)


def valid_entry(ex: object) -> bool:
    """Whether one exercise entry has an id, numeric counts and numeric fault counts."""
    if not isinstance(ex, dict) or not isinstance(ex.get("exercise"), str):
        return False
    for key in ("reps", "good_reps", "best_hold_good_s", "hold_good_s"):
        if key in ex and not _number(ex[key]):
            return False
    faults = ex.get("faults") or {}
    return isinstance(faults, dict) and all(
        isinstance(k, str) and _number(n) for k, n in faults.items())


@dataclass
class DayStats:
    sessions: int = 0
    reps: int = 0
    good_reps: int = 0
    best_hold_good_s: float = 0.0
    hold_good_s: float = 0.0
    faults: dict[str, int] = field(default_factory=dict)


def progress(history: History, exercise: str | None = None,
             days: int | None = None, today: datetime | None = None
             ) -> dict[str, dict[str, DayStats]]:
    """exercise -> day (YYYY-MM-DD, local date of the session start) -> DayStats."""
    today = today or datetime.now(UTC)
    out: dict[str, dict[str, DayStats]] = defaultdict(dict)
    for rec in history.records:
        try:
            started = session_start(rec)
        except (TypeError, ValueError, KeyError):
            continue
        if days is not None and (today - started).days >= days:
            continue
        day = started.astimezone().date().isoformat()
        for ex in rec["exercises"]:
            eid = ex.get("exercise")
            if exercise and eid != exercise:
                continue
            st = out[eid].setdefault(day, DayStats())
            st.sessions += 1
            st.reps += int(ex.get("reps", 0))
            st.good_reps += int(ex.get("good_reps", 0))
            st.best_hold_good_s = max(st.best_hold_good_s, float(ex.get("best_hold_good_s", 0.0)))
            st.hold_good_s += float(ex.get("hold_good_s", 0.0))
            for check, n in (ex.get("faults") or {}).items():
                st.faults[check] = st.faults.get(check, 0) + int(n)
    return dict(out)


def recurring_faults(history: History, exercise: str | None = None,
                     min_sessions: int = 2) -> dict[str, list[tuple[str, int]]]:
    """exercise -> [(check, number of sessions it appeared in)], for faults seen in at least
    ``min_sessions`` sessions, most frequent first."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for rec in history.records:
        for ex in rec["exercises"]:
            eid = ex.get("exercise")
            if exercise and eid != exercise:
                continue
            for check in ex.get("faults") or {}:
                counts[eid][check] += 1
    return {
        eid: sorted(((c, n) for c, n in by.items() if n >= min_sessions), key=lambda x: -x[1])
        for eid, by in counts.items()
        if any(n >= min_sessions for n in by.values())
    }


def format_progress(history: History, exercise: str | None = None,
                    days: int | None = None) -> str:
    """The text `formcheck history` prints."""
    if not history.records:
        skipped = (f" ({history.bad_lines} unreadable line(s) skipped)"
                   if history.bad_lines else "")
        return f"No sessions recorded yet{skipped}. Run `formcheck live` or `formcheck routine`."
    table = progress(history, exercise, days)
    rec = recurring_faults(history, exercise)
    lines = [f"{len(history.records)} session(s) recorded"
             + (f" ({history.bad_lines} unreadable line(s) skipped)" if history.bad_lines else "")]
    order = [e for e in EXERCISE_IDS if e in table] + [e for e in table if e not in EXERCISE_IDS]
    for eid in order:
        by_day = table[eid]
        lines.append("")
        lines.append(EXERCISE_NAMES.get(eid, eid))
        lines.append(f"  {'day':<10}  {'sets':>4}  {'good reps':>9}  {'best hold':>9}  "
                     f"{'good hold':>9}  faults")
        for day in sorted(by_day):
            st = by_day[day]
            reps = f"{st.good_reps}/{st.reps}" if st.reps else "-"
            best = f"{st.best_hold_good_s:.0f}s" if st.best_hold_good_s else "-"
            total = f"{st.hold_good_s:.0f}s" if st.hold_good_s else "-"
            faults = ", ".join(f"{c} x{n}" for c, n in sorted(st.faults.items(),
                                                              key=lambda x: -x[1]))
            lines.append(f"  {day:<10}  {st.sessions:>4}  {reps:>9}  {best:>9}  {total:>9}  "
                         f"{faults or '-'}")
        if eid in rec:
            lines.append("  recurring: " + ", ".join(
                f"{c} (in {n} sessions)" for c, n in rec[eid]))
    return "\n".join(lines)


def main_history(args: argparse.Namespace) -> int:
    """`formcheck history [--file F] [--exercise ID] [--days N] [--json]`."""
    path = history_path(getattr(args, "file", None))
    try:
        h = load_history(path)
    except HistoryError as exc:
        print(f"formcheck: error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "report", None):
        from formcheck.io.outputs import OutputError, check_output_file
        from formcheck.render.progress_page import file_link, write_page

        try:  # the one output guard: never the history file itself, a folder, a bad name
            out = check_output_file(args.report, flag="--report", inputs=[path],
                                    suffixes=(".html", ".htm"))
            write_page(out, h.records, str(path), h.bad_lines)
        except OutputError as exc:
            print(f"formcheck: error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"formcheck: error: cannot write {args.report}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
        print(f"{len(h.records)} session(s) from {path}")
        print(f"your progress: {file_link(out)}")
        return 0
    if getattr(args, "json", False):
        table = progress(h, args.exercise, args.days)
        doc = {
            "file": str(path),
            "sessions": len(h.records),
            "bad_lines": h.bad_lines,
            "progress": {e: {d: vars(s) for d, s in by.items()} for e, by in table.items()},
            "recurring_faults": recurring_faults(h, args.exercise),
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(f"history: {path}")
    print(format_progress(h, args.exercise, args.days))
    return 0
