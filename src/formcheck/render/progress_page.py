"""The progress page: ``formcheck history --report progress.html``.

One self-contained HTML file (inline SVG charts drawn here, no scripts or files it needs from
elsewhere, opens offline) from the history file (:mod:`formcheck.coach.history`):

* per exercise, over days: reps in good form against all reps, and good-form hold time with
  the best hold of the day;
* sitting (desk sessions): time seated, the good-posture share of it, breaks taken;
* the most frequent faults, each with its rate per week (times per session of that exercise)
  and whether it is getting rarer (the later half of the weeks against the earlier half);
* pain stops marked on every timeline (a red line on the day), and listed;
* a weekly table (sessions, good reps, good hold time, sitting, pain stops).

Days are the local date of a session's start, as in ``formcheck history``. The page holds
one small inline script that only checks, after layout, that each chart has marks on screen
and writes the count into the page (``data-drawn``); the charts do not need it.
"""

from __future__ import annotations

import html
import math
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from formcheck.core.checks import EXERCISE_IDS, EXERCISE_NAMES

GOOD = "#2e7d32"
OTHER = "#b0bec5"
HOLD = "#1565c0"
BEST = "#0d2f5e"
SIT = "#6a1b9a"
POSTURE = "#00897b"
BREAKS = "#f9a825"
PAIN = "#d32f2f"
FAULT = "#ef6c00"

#: a fault's weekly rate must change by at least this share to count as rarer / more frequent
TREND_CHANGE = 0.25
TOP_FAULTS = 6


@dataclass
class Day:
    sessions: int = 0
    reps: int = 0
    good_reps: int = 0
    hold_good_s: float = 0.0
    best_hold_good_s: float = 0.0
    has_holds: bool = False
    seated_s: float = 0.0
    good_posture_s: float = 0.0
    breaks: int = 0


@dataclass
class Progress:
    """The history folded by day and week (what the charts draw)."""

    first: date
    last: date
    #: exercise -> day -> Day
    exercises: dict[str, dict[date, Day]] = field(default_factory=dict)
    #: sitting -> day -> Day (seated_s, good_posture_s, breaks)
    sitting: dict[date, Day] = field(default_factory=dict)
    #: (exercise, check) -> week (Monday) -> times reported
    faults: dict[tuple[str, str], dict[date, int]] = field(default_factory=dict)
    #: exercise -> week (Monday) -> sessions of that exercise
    sessions_by_week: dict[str, dict[date, int]] = field(default_factory=dict)
    #: (local start time, exercise or "", what) of every pain stop
    pain_stops: list[tuple[datetime, str]] = field(default_factory=list)
    sessions: int = 0


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _entry(ex: object) -> dict[str, Any] | None:
    """One exercise entry of a history record with its numbers checked (None if unusable)."""
    if not isinstance(ex, dict) or not isinstance(ex.get("exercise"), str):
        return None
    try:
        faults = {str(c): int(n) for c, n in (ex.get("faults") or {}).items()}
        share = ex.get("good_posture_share")
        out = {
            "exercise": ex["exercise"],
            "faults": {c: n for c, n in faults.items() if n > 0},
            "pain_stops": int(ex.get("pain_stops") or 0),
            "reps": int(ex.get("reps") or 0),
            "good_reps": int(ex.get("good_reps") or 0),
            "hold_good_s": float(ex.get("hold_good_s") or 0.0),
            "best_hold_good_s": float(ex.get("best_hold_good_s") or 0.0),
            "has_holds": bool(ex.get("holds")),
            "seated_s": float(ex.get("seated_s") or 0.0),
            "good_posture_share": min(max(float(share), 0.0), 1.0) if share is not None else 0.0,
            "breaks": int(ex.get("breaks") or 0),
        }
    except (AttributeError, TypeError, ValueError):
        return None
    if min(out["reps"], out["good_reps"], out["hold_good_s"], out["seated_s"], out["breaks"]) < 0:
        return None
    out["good_reps"] = min(out["good_reps"], out["reps"])
    return out


def fold(records: list[dict[str, Any]]) -> Progress | None:
    """History records (:mod:`formcheck.coach.history`) by day and week; None when there is
    no usable session."""
    exercises: dict[str, dict[date, Day]] = defaultdict(dict)
    sitting: dict[date, Day] = {}
    faults: dict[tuple[str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    by_week: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    pain: list[tuple[datetime, str]] = []
    days: list[date] = []
    sessions = 0
    for rec in records:
        try:
            started = datetime.fromisoformat(rec["started"]).astimezone()
        except (TypeError, ValueError):
            continue
        sessions += 1
        day = started.date()
        week = monday(day)
        days.append(day)
        stopped = False
        for raw in rec.get("exercises") or []:
            ex = _entry(raw)
            if ex is None:  # not an exercise entry this version can read: left out
                continue
            eid = ex["exercise"]
            by_week[eid][week] += 1
            for check, n in ex["faults"].items():
                faults[(eid, check)][week] += n
            if ex["pain_stops"] > 0:
                pain.append((started, eid))
                stopped = True
            if eid == "sitting":
                st = sitting.setdefault(day, Day())
                st.sessions += 1
                st.seated_s += ex["seated_s"]
                st.good_posture_s += ex["seated_s"] * ex["good_posture_share"]
                st.breaks += ex["breaks"]
                continue
            st = exercises[eid].setdefault(day, Day())
            st.sessions += 1
            st.reps += ex["reps"]
            st.good_reps += ex["good_reps"]
            st.hold_good_s += ex["hold_good_s"]
            st.best_hold_good_s = max(st.best_hold_good_s, ex["best_hold_good_s"])
            st.has_holds = st.has_holds or ex["has_holds"]
        if rec.get("end_reason") == "pain_stop" and not stopped:
            pain.append((started, ""))
    if not days:
        return None
    return Progress(min(days), max(days), dict(exercises), sitting,
                    {k: dict(v) for k, v in faults.items()},
                    {k: dict(v) for k, v in by_week.items()}, sorted(pain), sessions)


# ---- SVG charts ----------------------------------------------------------------------------

W, H = 760, 190
ML, MR, MT, MB = 52, 16, 14, 34


def _nice_max(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^n that is >= v (the y axis top)."""
    if v <= 0:
        return 1.0
    top: float = min(s * 10 ** p for p in range(-2, 9) for s in (1, 2, 2.5, 5) if s * 10 ** p >= v)
    return top


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 or v >= 10 else f"{v:.1f}"


class TimeChart:
    """Days on x (first..last session day), one y axis; bars, stacked bars, lines, and pain
    stop lines. Every data mark has class ``mark`` (what the page's check counts)."""

    def __init__(self, name: str, first: date, last: date, y_max: float, y_label: str,
                 pain_days: Sequence[date] = ()):
        self.name, self.first, self.last = name, first, last
        self.ndays = (last - first).days + 1
        self.y_max = _nice_max(y_max)
        self.y_label = y_label
        self.parts: list[str] = []
        self.pain_days = sorted(set(pain_days))
        self.marks = 0

    def x(self, d: date, center: bool = True) -> float:
        slot = (W - ML - MR) / self.ndays
        return ML + slot * ((d - self.first).days + (0.5 if center else 0.0))

    def y(self, v: float) -> float:
        return MT + (H - MT - MB) * (1.0 - min(v, self.y_max) / self.y_max)

    def bars(self, values: dict[date, list[tuple[float, str, str]]]) -> None:
        """day -> stacked segments [(value, colour, tooltip)] from the bottom up."""
        slot = (W - ML - MR) / self.ndays
        bw = max(2.0, slot * 0.7)
        for d, segs in sorted(values.items()):
            base = 0.0
            for v, colour, tip in segs:
                if v <= 0:
                    continue
                y0, y1 = self.y(base), self.y(base + v)
                self.parts.append(
                    f'<rect class="mark" x="{self.x(d) - bw / 2:.1f}" y="{y1:.1f}" '
                    f'width="{bw:.1f}" height="{max(y0 - y1, 0.5):.1f}" fill="{colour}">'
                    f"<title>{html.escape(tip)}</title></rect>")
                self.marks += 1
                base += v

    def line(self, values: dict[date, float], colour: str, label: str, unit: str = "") -> None:
        pts = [(self.x(d), self.y(v), d, v) for d, v in sorted(values.items())]
        if len(pts) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _, _) in
                            enumerate(pts))
            self.parts.append(f'<path class="mark" d="{path}" fill="none" stroke="{colour}" '
                              f'stroke-width="2"/>')
            self.marks += 1
        for x, y, d, v in pts:
            self.parts.append(f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="3.5" '
                              f'fill="{colour}"><title>{d.isoformat()}: {label} '
                              f"{_fmt(v)}{unit}</title></circle>")
            self.marks += 1

    def svg(self, legend: list[tuple[str, str]]) -> str:
        out = [f'<svg class="chart" data-chart="{html.escape(self.name)}" '
               f'data-marks="{self.marks}" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
               f'role="img" xmlns="http://www.w3.org/2000/svg">']
        # y grid and labels
        lead = self.y_max / 10 ** math.floor(math.log10(self.y_max))
        steps = 4 if round(lead, 6) == 2 else 5  # 0.5 steps for 2, fifths for 1, 2.5 and 5
        for i in range(steps + 1):
            v = self.y_max * i / steps
            y = self.y(v)
            out.append(f'<line x1="{ML}" x2="{W - MR}" y1="{y:.1f}" y2="{y:.1f}" '
                       f'stroke="#e0e0e0"/>')
            out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end" '
                       f'class="tick">{_fmt(v)}</text>')
        out.append(f'<text x="12" y="{MT + (H - MT - MB) / 2:.0f}" class="axis" '
                   f'transform="rotate(-90 12 {MT + (H - MT - MB) / 2:.0f})" '
                   f'text-anchor="middle">{html.escape(self.y_label)}</text>')
        # weeks: a line at each Monday, labelled with its date
        d = monday(self.first)
        if d < self.first:
            d += timedelta(days=7)
        while d <= self.last:
            x = self.x(d, center=False)
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{MT}" y2="{H - MB}" '
                       f'stroke="#9e9e9e" stroke-dasharray="2,3"/>')
            out.append(f'<text x="{x + 2:.1f}" y="{H - MB + 14}" class="tick">'
                       f'{d.strftime("%d %b")}</text>')
            d += timedelta(days=7)
        out.append(f'<text x="{W - MR}" y="{H - 4}" text-anchor="end" class="tick">'
                   f'days; dotted lines: weeks (Mon)</text>')
        out.extend(self.parts)
        for pd in self.pain_days:
            x = self.x(pd)
            out.append(f'<line class="pain" x1="{x:.1f}" x2="{x:.1f}" y1="{MT}" y2="{H - MB}" '
                       f'stroke="{PAIN}" stroke-width="2"><title>pain stop {pd.isoformat()}'
                       f'</title></line>')
            out.append(f'<text x="{x:.1f}" y="{MT - 2}" text-anchor="middle" class="painlabel">'
                       f'pain stop</text>')
        out.append(f'<line x1="{ML}" x2="{W - MR}" y1="{H - MB}" y2="{H - MB}" stroke="#424242"/>')
        lx = ML + 8
        for colour, text in legend + ([(PAIN, "pain stop")] if self.pain_days else []):
            out.append(f'<rect x="{lx}" y="{MT + 2}" width="10" height="10" fill="{colour}"/>'
                       f'<text x="{lx + 14}" y="{MT + 11}" class="legend">{html.escape(text)}'
                       f"</text>")
            lx += 24 + 7 * len(text)
        out.append("</svg>")
        return "".join(out)


def fault_chart(name: str, weeks: list[date], rates: list[float | None], colour: str) -> str:
    """A small per-week line of a fault's rate (times per session)."""
    w, h, m = 220, 56, 6
    vals = [r for r in rates if r is not None]
    top = _nice_max(max(vals) if vals else 1.0)
    n = max(len(weeks) - 1, 1)
    pts = [(m + (w - 2 * m) * i / n, h - m - (h - 2 * m) * r / top, r)
           for i, r in enumerate(rates) if r is not None]
    marks = []
    if len(pts) > 1:
        marks.append('<path class="mark" d="' + " ".join(
            f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _) in enumerate(pts))
            + f'" fill="none" stroke="{colour}" stroke-width="2"/>')
    marks += [f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
              f"<title>{r:.2f} per session</title></circle>" for x, y, r in pts]
    return (f'<svg class="chart spark" data-chart="{html.escape(name)}" data-marks="{len(marks)}" '
            f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
            f'<line x1="{m}" x2="{w - m}" y1="{h - m}" y2="{h - m}" stroke="#bdbdbd"/>'
            + "".join(marks) + "</svg>")


# ---- fault trends --------------------------------------------------------------------------

@dataclass
class FaultTrend:
    exercise: str
    check: str
    total: int
    weeks: list[date]
    rates: list[float | None]  # per week: times per session of the exercise (None: not done)
    verdict: str


def fault_trends(p: Progress, top: int = TOP_FAULTS) -> list[FaultTrend]:
    weeks = []
    d = monday(p.first)
    while d <= p.last:
        weeks.append(d)
        d += timedelta(days=7)
    out = []
    for (eid, check), by_week in p.faults.items():
        sessions = p.sessions_by_week.get(eid, {})
        rates = [by_week.get(w, 0) / sessions[w] if sessions.get(w) else None for w in weeks]
        done = [r for r in rates if r is not None]
        verdict = "too few weeks to tell"
        if len(done) >= 2:
            half = len(done) // 2
            early = sum(done[:half]) / half
            late = sum(done[-half:]) / half
            if early == 0 and late == 0:
                verdict = "gone"
            elif late <= early * (1 - TREND_CHANGE):
                verdict = "getting rarer" if late > 0 else "gone lately"
            elif late >= early * (1 + TREND_CHANGE):
                verdict = "more frequent"
            else:
                verdict = "about the same"
        out.append(FaultTrend(eid, check, sum(by_week.values()), weeks, rates, verdict))
    out.sort(key=lambda t: (-t.total, t.exercise, t.check))
    return out[:top]


# ---- the page ------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:800px;
color:#212121;padding:0 12px}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.2em;margin-top:28px;border-bottom:1px solid
#e0e0e0}h3{font-size:1em;margin:14px 0 2px}.note{color:#616161;font-size:.9em}
svg.chart{display:block;margin:4px 0 10px;max-width:100%;height:auto}
.tick{font-size:10px;fill:#616161}.axis{font-size:11px;fill:#424242}.legend{font-size:11px;fill:#212121}
.painlabel{font-size:9px;fill:#d32f2f}table{border-collapse:collapse;font-size:.9em}
td,th{padding:3px 8px;border-bottom:1px solid #eeeeee;text-align:right}
td:first-child,th:first-child{text-align:left}.rarer{color:#2e7d32}.worse{color:#c62828}
"""

CHECK_SCRIPT = """
// Checks the charts after layout: counts each chart's marks that have a size on screen.
window.addEventListener('load', function () {
  var charts = document.querySelectorAll('svg.chart'), drawn = 0;
  charts.forEach(function (svg) {
    var n = 0;
    svg.querySelectorAll('.mark').forEach(function (m) {
      var b = m.getBoundingClientRect();
      if (b.width > 0 || b.height > 0) { n++; }
    });
    svg.setAttribute('data-drawn', n);
    if (n > 0) { drawn++; }
  });
  document.body.setAttribute('data-charts', charts.length);
  document.body.setAttribute('data-charts-drawn', drawn);
});
"""


def _esc(s: str) -> str:
    return html.escape(str(s))


def _minutes(s: float) -> str:
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.0f} min"


def _exercise_sections(p: Progress, pain_days: list[date]) -> list[str]:
    """Per exercise: reps in good form, hold time and best hold, over days."""
    parts: list[str] = []
    order = [e for e in EXERCISE_IDS if e in p.exercises] + sorted(
        e for e in p.exercises if e not in EXERCISE_IDS)
    if order:
        parts.append("<h2>Exercises</h2>")
    for eid in order:
        days = p.exercises[eid]
        name = EXERCISE_NAMES.get(eid, eid)
        parts.append(f"<h3>{_esc(name)}</h3>")
        reps = {d: st for d, st in days.items() if st.reps}
        if reps:
            total = sum(st.reps for st in reps.values())
            good = sum(st.good_reps for st in reps.values())
            c = TimeChart(f"reps:{eid}", p.first, p.last, max(st.reps for st in reps.values()),
                          "reps per day", pain_days)
            c.bars({d: [(st.good_reps, GOOD, f"{d}: {st.good_reps} reps in good form"),
                        (st.reps - st.good_reps, OTHER,
                         f"{d}: {st.reps - st.good_reps} reps with a fault")]
                    for d, st in reps.items()})
            parts.append(f"<p class='note'>{good} of {total} reps in good form "
                         f"({good / total:.0%}).</p>")
            parts.append(c.svg([(GOOD, "good form"), (OTHER, "with a fault")]))
        holds = {d: st for d, st in days.items() if st.has_holds}
        if holds:
            top = max(max(st.hold_good_s, st.best_hold_good_s) for st in holds.values())
            c = TimeChart(f"holds:{eid}", p.first, p.last, top, "seconds", pain_days)
            c.bars({d: [(st.hold_good_s, HOLD, f"{d}: {st.hold_good_s:.0f} s held in good form")]
                    for d, st in holds.items()})
            c.line({d: st.best_hold_good_s for d, st in holds.items()}, BEST, "best hold", " s")
            parts.append(c.svg([(HOLD, "good-form hold time"), (BEST, "best hold")]))
    return parts


def _sitting_section(p: Progress, pain_days: list[date]) -> list[str]:
    """Desk sessions: time seated, good-posture share, breaks, over days."""
    parts: list[str] = []
    if p.sitting:
        sit = p.sitting
        parts.append("<h2>Sitting</h2>")
        total = sum(st.seated_s for st in sit.values())
        good = sum(st.good_posture_s for st in sit.values())
        brk = sum(st.breaks for st in sit.values())
        parts.append(f"<p class='note'>{_minutes(total)} seated in {len(sit)} day(s), good "
                     f"posture {good / total:.0%} of it, {brk} break(s).</p>" if total else
                     "<p class='note'>No seated time measured yet.</p>")
        c = TimeChart("sitting:time", p.first, p.last,
                      max(st.seated_s for st in sit.values()) / 60, "minutes seated", pain_days)
        c.bars({d: [(st.good_posture_s / 60, POSTURE, f"{d}: {st.good_posture_s / 60:.0f} min "
                     "in good posture"),
                    ((st.seated_s - st.good_posture_s) / 60, SIT,
                     f"{d}: {(st.seated_s - st.good_posture_s) / 60:.0f} min with a posture fault")]
                for d, st in sit.items()})
        parts.append(c.svg([(POSTURE, "good posture"), (SIT, "posture fault")]))
        c = TimeChart("sitting:posture", p.first, p.last, 100, "% good posture", pain_days)
        c.line({d: 100 * st.good_posture_s / st.seated_s for d, st in sit.items() if st.seated_s},
               POSTURE, "good posture", " %")
        parts.append(c.svg([(POSTURE, "good-posture share")]))
        c = TimeChart("sitting:breaks", p.first, p.last, max(st.breaks for st in sit.values()),
                      "breaks per day", pain_days)
        c.bars({d: [(st.breaks, BREAKS, f"{d}: {st.breaks} break(s)")] for d, st in sit.items()})
        parts.append(c.svg([(BREAKS, "breaks (stood up or left)")]))
    return parts


def _faults_section(p: Progress) -> list[str]:
    """The most frequent faults with their weekly rate and trend."""
    parts: list[str] = []
    trends = fault_trends(p)
    if trends:
        parts.append("<h2>Most frequent faults</h2><p class='note'>Times reported per session "
                     "of the exercise, week by week; a fault is getting rarer when its rate in "
                     f"the later half of the weeks is at least {TREND_CHANGE:.0%} below the "
                     "earlier half.</p><table><tr><th>fault</th><th>exercise</th><th>times</th>"
                     "<th>per week</th><th>trend</th></tr>")
        for t in trends:
            cls = "rarer" if t.verdict in ("getting rarer", "gone lately", "gone") else (
                "worse" if t.verdict == "more frequent" else "")
            parts.append(
                f"<tr><td>{_esc(t.check)}</td><td>{_esc(EXERCISE_NAMES.get(t.exercise, t.exercise))}"
                f"</td><td>{t.total}</td><td>"
                f"{fault_chart(f'fault:{t.exercise}:{t.check}', t.weeks, t.rates, FAULT)}"
                f"</td><td class='{cls}'>{_esc(t.verdict)}</td></tr>")
        parts.append("</table>")
    return parts


def _weeks_section(records: list[dict[str, Any]], p: Progress) -> list[str]:
    """The week-by-week table."""
    parts: list[str] = []
    parts.append("<h2>Week by week</h2><table><tr><th>week of</th><th>sessions</th>"
                 "<th>good reps</th><th>good hold</th><th>seated</th><th>good posture</th>"
                 "<th>breaks</th><th>pain stops</th></tr>")
    wk: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for rec in records:
        try:
            d = datetime.fromisoformat(rec["started"]).astimezone().date()
        except (TypeError, ValueError):
            continue
        wk[monday(d)]["sessions"] += 1
    for days in p.exercises.values():
        for d, st in days.items():
            w = wk[monday(d)]
            w["reps"] += st.reps
            w["good_reps"] += st.good_reps
            w["hold"] += st.hold_good_s
    for d, st in p.sitting.items():
        w = wk[monday(d)]
        w["seated"] += st.seated_s
        w["good_posture"] += st.good_posture_s
        w["breaks"] += st.breaks
    for t, _ in p.pain_stops:
        wk[monday(t.date())]["pain"] += 1
    for week in sorted(wk):
        v = wk[week]
        reps = f"{v['good_reps']:.0f}/{v['reps']:.0f}" if v["reps"] else "-"
        posture = f"{v['good_posture'] / v['seated']:.0%}" if v["seated"] else "-"
        parts.append(
            f"<tr><td>{week.strftime('%d %b %Y')}</td><td>{v['sessions']:.0f}</td><td>{reps}</td>"
            f"<td>{_minutes(v['hold']) if v['hold'] else '-'}</td>"
            f"<td>{_minutes(v['seated']) if v['seated'] else '-'}</td><td>{posture}</td>"
            f"<td>{v['breaks']:.0f}</td><td>{v['pain']:.0f}</td></tr>")
    parts.append("</table>")
    return parts


def build_page(records: list[dict[str, Any]], source: str = "", bad_lines: int = 0,
               now: datetime | None = None) -> str:
    """The page for ``records`` (the history file's sessions, oldest first); ``bad_lines``:
    how many lines of the file could not be read (said on the page)."""
    now = now or datetime.now().astimezone()
    p = fold(records)
    head = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>formcheck progress</title><style>{CSS}</style></head><body>")
    parts = [head, "<h1>Your progress</h1>"]
    if p is None:
        parts.append("<p>No sessions recorded yet. Run <code>formcheck live</code> or "
                     "<code>formcheck routine</code>; each session is added here.</p>")
        parts.append(f"<script>{CHECK_SCRIPT}</script></body></html>")
        return "".join(parts)
    pain_days = [t.date() for t, _ in p.pain_stops]
    parts.append(
        f"<p class='note'>{p.sessions} session(s) from {p.first.isoformat()} to "
        f"{p.last.isoformat()}" + (f" ({bad_lines} unreadable line(s) skipped)"
                                   if bad_lines else "")
        + f". From {_esc(source)}, made {now.strftime('%Y-%m-%d %H:%M')}. Everything stays on "
        "this computer.</p>")
    if p.pain_stops:
        parts.append("<p><b style='color:#d32f2f'>Pain stops:</b> " + ", ".join(
            f"{t.strftime('%a %d %b %H:%M')}"
            + (f" ({_esc(EXERCISE_NAMES.get(e, e))})" if e else "") for t, e in p.pain_stops)
            + ". If pain comes back, check with your physician or physiotherapist before "
            "going on.</p>")

    parts += _exercise_sections(p, pain_days)
    parts += _sitting_section(p, pain_days)
    parts += _faults_section(p)
    parts += _weeks_section(records, p)
    parts.append("<p class='note'>formcheck is a tool for managing symptoms, not a diagnosis. "
                 "Made by <code>formcheck history --report</code>.</p>")
    parts.append(f"<script>{CHECK_SCRIPT}</script></body></html>")
    return "".join(parts)


def write_page(path: str | os.PathLike[str], records: list[dict[str, Any]], source: str = "",
               bad_lines: int = 0) -> Path:
    """Write the page atomically (a temporary file renamed into place); returns its path."""
    from formcheck.io.files import write_atomic

    return write_atomic(Path(path).expanduser(), build_page(records, source, bad_lines))


def file_link(path: str | os.PathLike[str]) -> str:
    return Path(path).resolve().as_uri()
