"""Self-contained HTML reports: one clip (``formcheck analyze --report``) or a batch.

A report is one HTML file that opens offline: no external CSS, JS, fonts or images; plots
(matplotlib, drawn on an Agg canvas created inside the functions, so importing this module
changes no global state) and frame thumbnails are inlined as base64 PNG. Every piece of text
that comes from a clip, a label or an analysis is HTML-escaped.

Clip report: summary, fault table with a thumbnail of the frame where each fault was worst
(``FaultSpan.worst_s``, decoded with :class:`formcheck.io.video.VideoFileSource`), per-rep and hold
tables, and one plot per signal the checks used (``pipeline.signals_table``) with the
analyzer's thresholds drawn as lines and the fault spans shaded, plus a fault timeline.
Batch report: the clips ranked by form score, a score chart and the time in fault per check.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from formcheck.analysis.score import form_score
from formcheck.core.checks import DISCLAIMER, EXERCISE_NAMES, PAIN_STOP_ADVICE
from formcheck.io.files import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from formcheck.analysis.pipeline import Analysis
    from formcheck.analysis.score import FormScore
    from formcheck.core.results import FrameFeedback

#: plots and thumbnails per report are capped so a long clip still gives a readable page
MAX_SIGNAL_PLOTS = 16
MAX_THUMBNAILS = 24
THUMB_WIDTH = 320

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1100px;color:#1d232a;padding:0 16px}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;
border-bottom:1px solid #ccd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:.92em}
th,td{border:1px solid #ccd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9em}.bad{color:#b3261e;font-weight:600}.good{color:#1b6e2d}
.score{font-size:2.2em;font-weight:700}figure{margin:12px 0}figcaption{font-size:.9em;color:#444}
img{max-width:100%;height:auto}img.thumb{width:240px}
"""

_FAULT_COLOURS = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
                  "#7f7f7f"]


def esc(value: Any) -> str:
    """HTML-escape anything printed into the page (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(v: Any, fmt: str = "{:.1f}") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not np.isfinite(v):
        return "-"
    return fmt.format(v) if isinstance(v, (int, float)) else esc(v)


def _png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure(width_in: float, height_in: float) -> Figure:
    """A matplotlib Figure on its own Agg canvas (no pyplot, no global backend change)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _fig_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # no metadata: the same data gives the same bytes
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight")
    return buf.getvalue()


def _img(png: bytes, alt: str, cls: str = "") -> str:
    c = f' class="{esc(cls)}"' if cls else ""
    return f'<img{c} alt="{esc(alt)}" src="{_png_data_uri(png)}">'


def _page(title: str, body: list[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + f"\n<p class=\"note\">{esc(DISCLAIMER)}</p>\n</body></html>\n"
    )


def _table(header: list[str] | None, rows: Iterable[list[str]],
           num_cols: Iterable[int] = ()) -> str:
    """A table; cells are already-escaped HTML. No header row when ``header`` is None."""
    nums = set(num_cols)
    out = ["<table>"]
    if header:
        out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header)
                   + "</tr></thead>")
    out.append("<tbody>")
    for r in rows:
        out.append("<tr>" + "".join(
            f'<td class="num">{c}</td>' if i in nums else f"<td>{c}</td>"
            for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# ---- clip report ------------------------------------------------------------------------------

def _related(check: str, signal: str, labels: list[str]) -> bool:
    """Whether fault spans of ``check`` belong on the plot of ``signal``."""
    return check == signal or check in signal or any(check in lab for lab in labels)


def signal_plots(frames: list[FrameFeedback], faults: list[Mapping[str, Any]],
                 thresholds: Mapping[str, list[tuple[float, str]]]) -> list[tuple[str, bytes]]:
    """(signal name, PNG) per signal with data: values over time, thresholds, fault spans."""
    from formcheck.analysis.pipeline import signals_table

    t, signals = signals_table(frames)
    names = [k for k, v in signals.items() if np.isfinite(v).any()]
    names = sorted(names, key=lambda k: (k not in thresholds, k))[:MAX_SIGNAL_PLOTS]
    out = []
    for name in names:
        v = signals[name]
        th = list(thresholds.get(name, []))
        labels = [lab for _, lab in th]
        fig = _figure(9.0, 2.4)
        ax = fig.add_subplot(1, 1, 1)
        shaded: set[str] = set()
        for f in faults:
            if not _related(f["check"], name, labels):
                continue
            s, e = float(f["start_s"]), float(f["end_s"])
            if e - s < 0.05:  # an event: a thin band so it is still visible
                s, e = s - 0.05, e + 0.05
            lab = f"{f['check']} (fault)" if f["check"] not in shaded else None
            shaded.add(f["check"])
            ax.axvspan(s, e, color="#d62728", alpha=0.18, lw=0, label=lab)
        ax.plot(t, v, color="#1f77b4", lw=1.4, label=name)
        for i, (value, lab) in enumerate(th):
            ax.axhline(float(value), color=_FAULT_COLOURS[(i + 1) % len(_FAULT_COLOURS)],
                       ls="--", lw=1.8, label=f"{lab} = {float(value):g}")
        ax.set_xlabel("time (s)")
        ax.set_ylabel(name, fontsize=8)
        if len(t):
            ax.set_xlim(float(t[0]), float(t[-1]) if t[-1] > t[0] else float(t[0]) + 1.0)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8)
        out.append((name, _fig_png(fig)))
    return out


def fault_timeline(faults: list[Mapping[str, Any]], duration_s: float, t0: float = 0.0) -> bytes | None:
    """PNG: one row per check id with its fault spans (events as short ticks)."""
    if not faults:
        return None
    checks = sorted({f["check"] for f in faults})
    fig = _figure(9.0, 0.6 + 0.38 * len(checks))
    ax = fig.add_subplot(1, 1, 1)
    for i, c in enumerate(checks):
        spans = []
        for f in faults:
            if f["check"] == c:
                s, e = float(f["start_s"]), float(f["end_s"])
                spans.append((s, max(e - s, 0.08)))
        ax.broken_barh(spans, (i - 0.35, 0.7), color=_FAULT_COLOURS[i % len(_FAULT_COLOURS)])
    ax.set_yticks(range(len(checks)), checks, fontsize=8)
    ax.set_xlim(t0, t0 + max(duration_s, 1.0))
    ax.set_ylim(-0.6, len(checks) - 0.4)
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", alpha=0.3)
    return _fig_png(fig)


def worst_frames(video: str | os.PathLike[str], times_s: list[float],
                 width: int = THUMB_WIDTH) -> dict[float, bytes]:
    """PNG thumbnails of the frames nearest each time (seconds, stream timestamps)."""
    import cv2

    from formcheck.io.video import VideoFileSource

    targets = sorted(set(float(t) for t in times_s))
    if not targets:
        return {}
    best: dict[float, tuple[float, np.ndarray]] = {}
    last = targets[-1]
    with VideoFileSource(video) as src:
        for frame in src:
            ts = frame.timestamp_ms / 1000.0
            for tg in targets:
                d = abs(ts - tg)
                if tg not in best or d < best[tg][0]:
                    h, w = frame.rgb.shape[:2]
                    scale = min(1.0, width / float(w))
                    small = cv2.resize(frame.rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                                       interpolation=cv2.INTER_AREA)
                    best[tg] = (d, small)
            if ts > last + 1.0:
                break
    out = {}
    for tg, (_, rgb) in best.items():
        ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if ok:
            out[tg] = buf.tobytes()
    return out


def clip_report_html(analysis: Analysis, doc: Mapping[str, Any] | None = None,
                     video: str | os.PathLike[str] | None = None,
                     thresholds: Mapping[str, list[tuple[float, str]]] | None = None) -> str:
    """The HTML of one clip's report.

    ``doc`` defaults to ``pipeline.result_document(analysis)``; ``video`` (the clip) gives the
    worst-frame thumbnails; ``thresholds`` default to the exercise analyzer's
    ``signal_thresholds()``.
    """
    from formcheck.analysis.pipeline import result_document
    from formcheck.exercises import make_analyzer

    doc = dict(doc) if doc is not None else result_document(analysis)
    res = analysis.result
    exercise = doc.get("exercise", res.exercise)
    name = EXERCISE_NAMES.get(exercise, exercise)
    fs = form_score(doc)
    faults = doc.get("faults") or []
    if thresholds is None:
        try:
            thresholds = make_analyzer(exercise).signal_thresholds()
        except (ValueError, ImportError, AttributeError):  # unknown or not yet built
            thresholds = {}

    body = [f"<h1>formcheck report: {esc(doc.get('source') or 'clip')}</h1>",
            f"<p>{esc(name)}" + (f" ({esc(doc.get('variant'))})" if doc.get("variant") else "")
            + "</p>"]
    score_html = "-" if fs.score is None else f"{fs.score:.1f}"
    body.append('<h2>Summary</h2><p><span class="score" id="form-score">'
                f"{esc(score_html)}</span> / 100 form score</p>")
    body += _summary_section(doc, exercise, fs)
    body += _faults_section(doc, faults, video)
    body += _reps_section(doc.get("reps") or [], doc.get("holds") or [])
    body += _signals_section(analysis, doc, faults, thresholds)
    for note in doc.get("notes") or []:
        body.append(f'<p class="note">note: {esc(note)}</p>')
    return _page(f"formcheck: {doc.get('source') or 'clip'}", body)




def _summary_section(doc: Mapping[str, Any], exercise: str, fs: FormScore) -> list[str]:
    """The summary table: duration, coverage, reps, holds, faults, score shares."""
    body: list[str] = []
    reps = doc.get("reps") or []
    holds = doc.get("holds") or []
    summary_rows = [
        ["exercise", esc(exercise)],
        ["duration", f"{_num(doc.get('duration_s'))} s at {_num(doc.get('fps'))} fps"],
        ["person found in", f"{_num(100 * float(doc.get('coverage') or 0), '{:.0f}')} % of frames"],
        ["reps", f"{len(reps)} ({sum(1 for r in reps if r.get('good', True))} in good form)"],
        ["holds", f"{len(holds)}, {_num(sum(h['end_s'] - h['start_s'] for h in holds))} s, "
                  f"{_num(doc.get('hold_good_s'))} s in good form"],
        ["faults", esc(", ".join(doc.get("fault_ids") or []) or "none")],
        ["good-form share", _num(fs.good_share, "{:.2f}")],
        ["fault-time share", _num(fs.fault_share, "{:.2f}")],
    ]
    if doc.get("pain_stops"):
        times = ", ".join(f"{float(t):.1f} s" for t in doc["pain_stops"])
        summary_rows.insert(0, ["pain stop", f'<span class="bad">signalled at {esc(times)}: '
                                f"{esc(PAIN_STOP_ADVICE)}</span>"])
    body.append(_table(None, [[esc(k), v] for k, v in summary_rows]))
    return body


def _faults_section(doc: Mapping[str, Any], faults: list[Mapping[str, Any]],
                    video: str | os.PathLike[str] | None) -> list[str]:
    """Faults with a thumbnail of their worst frame, and what was not measurable."""
    body: list[str] = []
    # faults with thumbnails of their worst frame
    body.append("<h2>Faults</h2>")
    if faults:
        thumbs: dict[float, bytes] = {}
        wanted = [float(f["worst_s"]) for f in faults if f.get("worst_s") is not None]
        wanted = wanted[:MAX_THUMBNAILS]
        if video is not None and wanted:
            try:
                thumbs = worst_frames(video, wanted)
            except Exception as exc:  # a report without thumbnails beats no report
                body.append(f'<p class="note">thumbnails unavailable: {esc(exc)}</p>')
        rows = []
        for f in faults:
            w = f.get("worst_s")
            png = thumbs.get(float(w)) if w is not None else None
            rows.append([
                f'<span class="bad">{esc(f["check"])}</span>', esc(f.get("cue")),
                esc(f.get("side") or "-"), _num(f["start_s"], "{:.2f}"), _num(f["end_s"], "{:.2f}"),
                _num(w, "{:.2f}"), _num(f.get("worst_value"), "{:.2f}"),
                _img(png, f"frame at {w:.2f} s ({f['check']})", "thumb") if png else "-",
            ])
        body.append(_table(["check", "cue", "side", "start s", "end s", "worst at s",
                            "worst value", "worst frame"], rows, num_cols=(3, 4, 5, 6)))
    else:
        body.append('<p class="good">No faults found.</p>')
    nm = doc.get("not_measurable") or {}
    if nm:
        body.append("<p>Not measurable in this clip:</p>"
                    + _table(["check", "reason"], [[esc(k), esc(v)] for k, v in nm.items()]))
    return body


def _reps_section(reps: list[Mapping[str, Any]], holds: list[Mapping[str, Any]]) -> list[str]:
    """The reps and holds tables."""
    body: list[str] = []
    body.append("<h2>Reps</h2>")
    if reps:
        body.append(_table(
            ["#", "side", "start s", "end s", "peak s", "hold s", "good form", "faults"],
            [[esc(r.get("index")), esc(r.get("side") or "-"), _num(r["start_s"], "{:.2f}"),
              _num(r["end_s"], "{:.2f}"), _num(r.get("peak_s"), "{:.2f}"),
              _num(r.get("hold_s"), "{:.1f}"),
              '<span class="good">yes</span>' if r.get("good", True)
              else '<span class="bad">no</span>',
              esc(", ".join(r.get("faults") or []) or "-")] for r in reps],
            num_cols=(0, 2, 3, 4, 5)))
    else:
        body.append("<p>No completed reps.</p>")
    if holds:
        body.append("<h2>Holds</h2>" + _table(
            ["side", "start s", "end s", "duration s", "good form s"],
            [[esc(h.get("side") or "-"), _num(h["start_s"], "{:.2f}"), _num(h["end_s"], "{:.2f}"),
              _num(h["end_s"] - h["start_s"], "{:.1f}"), _num(h["good_s"], "{:.1f}")]
             for h in holds], num_cols=(1, 2, 3, 4)))
    return body


def _signals_section(analysis: Analysis, doc: Mapping[str, Any], faults: list[Mapping[str, Any]],
                     thresholds: Mapping[str, list[tuple[float, str]]]) -> list[str]:
    """The fault timeline and one plot per signal, with thresholds and fault spans."""
    body: list[str] = []
    body.append("<h2>Signals over time</h2>")
    tl = fault_timeline(faults, float(doc.get("duration_s") or 0.0),
                        float(analysis.frames[0].t_s) if analysis.frames else 0.0)
    if tl:
        body.append(f'<figure class="plot">{_img(tl, "fault timeline")}'
                    "<figcaption>Fault spans per check</figcaption></figure>")
    plots = signal_plots(analysis.frames, faults, thresholds)
    for sig, png in plots:
        what = []
        if thresholds.get(sig):
            what.append("dashed lines are the check's thresholds")
        if any(_related(f["check"], sig, [lab for _, lab in thresholds.get(sig, [])])
               for f in faults):
            what.append("shaded spans are its faults")
        caption = esc(sig) + (": " + esc(", ".join(what)) if what else "")
        body.append(f'<figure class="plot">{_img(png, "signal " + sig)}'
                    f"<figcaption>{caption}</figcaption></figure>")
    if not plots:
        body.append("<p>No per-frame signals were recorded.</p>")
    return body


def write_clip_report(path: str | os.PathLike[str], analysis: Analysis,
                      doc: Mapping[str, Any] | None = None,
                      video: str | os.PathLike[str] | None = None,
                      thresholds: Mapping[str, list[tuple[float, str]]] | None = None) -> Path:
    """Write one clip's report (atomically) and return its path."""
    return write_atomic(path, clip_report_html(analysis, doc, video, thresholds))


# ---- batch report -----------------------------------------------------------------------------

def _score_chart(rows: Sequence[Mapping[str, Any]]) -> bytes | None:
    scored = [r for r in rows if r.get("form_score") is not None]
    if not scored:
        return None
    scored = sorted(scored, key=lambda r: (-float(r["form_score"]), r["clip"]))
    fig = _figure(8.0, 0.6 + 0.3 * len(scored))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(scored))[::-1]
    vals = [float(r["form_score"]) for r in scored]
    ax.barh(y, vals, color=["#2ca02c" if v >= 75 else "#ff7f0e" if v >= 50 else "#d62728"
                            for v in vals])
    ax.set_yticks(y, [r["clip"] for r in scored], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("form score")
    ax.grid(axis="x", alpha=0.3)
    return _fig_png(fig)


def _fault_chart(rows: Sequence[Mapping[str, Any]]) -> bytes | None:
    totals: dict[str, float] = {}
    for r in rows:
        for c, s in (r.get("faults") or {}).items():
            totals[c] = totals.get(c, 0.0) + float(s)
    if not totals:
        return None
    checks = sorted(totals, key=lambda c: (-totals[c], c))
    fig = _figure(8.0, 0.6 + 0.3 * len(checks))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(checks))[::-1]
    ax.barh(y, [totals[c] for c in checks], color="#d62728")
    ax.set_yticks(y, checks, fontsize=8)
    ax.set_xlabel("seconds in fault, all clips (events count 1 s)")
    ax.grid(axis="x", alpha=0.3)
    return _fig_png(fig)


def batch_report_html(rows: Sequence[Mapping[str, Any]], clip_reports: Iterable[str] = ()) -> str:
    """Summary of a batch; clips named in ``clip_reports`` link to ``<clip>.html``."""
    with_html = set(clip_reports)
    ranked = sorted(rows, key=lambda r: (r.get("form_score") is None,
                                         -float(r.get("form_score") or 0.0), r["clip"]))
    n_err = sum(1 for r in rows if r.get("status") == "error")
    body = ["<h1>formcheck batch report</h1>",
            f"<p>{len(rows)} clips, {len(rows) - n_err} scored, {n_err} errors. Clips are ranked "
            "by form score (0-100: half the share of reps and hold time in good form, half one "
            "minus the share of time in fault).</p>", "<h2>Clips</h2>"]
    table_rows = []
    for i, r in enumerate(ranked, 1):
        ok = r.get("status") != "error"
        link = esc(r["clip"])
        if ok:
            target = f'{r["clip"]}.html' if r["clip"] in with_html else f'{r["clip"]}.json'
            link = f'<a href="{esc(quote(target))}">{esc(r["clip"])}</a>'
        table_rows.append([
            str(i) if r.get("form_score") is not None else "-", link, esc(r.get("exercise") or "-"),
            esc(r.get("status")), _num(r.get("form_score")),
            _num(r.get("reps"), "{}"), _num(r.get("good_reps"), "{}"),
            _num(r.get("hold_good_s")) + " / " + _num(r.get("hold_s")),
            esc(r.get("fault_ids") or "-"),
            f'<span class="bad">{esc(r.get("error"))}</span>' if r.get("error") else "",
        ])
    body.append(_table(["rank", "clip", "exercise", "status", "form score", "reps", "good reps",
                        "hold good / total s", "faults", "error"], table_rows,
                       num_cols=(0, 4, 5, 6)))
    sc = _score_chart(rows)
    if sc:
        body.append(f'<figure class="plot">{_img(sc, "form score per clip")}'
                    "<figcaption>Form score per clip</figcaption></figure>")
    fc = _fault_chart(rows)
    if fc:
        body.append(f'<figure class="plot">{_img(fc, "time in fault per check")}'
                    "<figcaption>Time in fault per check, all clips</figcaption></figure>")
    return _page("formcheck batch report", body)


def write_batch_report(path: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]],
                       clip_reports: Iterable[str] = ()) -> Path:
    return write_atomic(path, batch_report_html(rows, clip_reports))
