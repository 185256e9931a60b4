"""A 0-100 form score per clip, so clips (and sessions) can be ranked.

The score reads only the result document (``formcheck analyze --json``), so it can be
recomputed from saved JSON files.

Formula
-------
Two parts, each between 0 and 1:

* **Good-form share** ``Q``: the share of the work done in good form.

  - reps: ``R = good reps / reps`` (``Rep.good``: the analyzer found no form fault in it);
  - holds: ``H = hold seconds in good form / hold seconds`` (the hold timer's own count);
  - ``Q = (R + H) / 2`` when the clip has both, ``R`` or ``H`` when it has one, and
    undefined when it has neither.

* **Fault-time share** ``F``: how much of the time the person was seen was spent in fault,

      F = min(1, sum over checks c of  w_c * T_c / T_seen)

  where ``T_c`` is the total duration of check ``c``'s fault spans (overlapping spans of the
  same check counted once; an event-type fault of zero duration, such as ``hold_too_short``
  or ``one_side_only``, counts as ``EVENT_S`` = 1 s), ``T_seen = duration x coverage`` (at
  least ``MIN_SEEN_S`` = 1 s, so a 1-s clip is not wiped out by one event) and ``w_c`` the
  check's weight: 1 for the exercise's form checks and ``too_fast``; 0.5 for the set-up
  checks ``not_visible``, ``wrong_view`` and ``not_in_position`` (the camera or the start
  position was wrong: the form itself was not seen); 0 for ``pain_stop`` (a safety stop, not
  a form fault; it is reported separately and never lowers the score).

Then

    score = 100 * (0.5 * Q + 0.5 * (1 - F))     when Q is defined
    score = 100 * (1 - F)                       when the clip has no reps and no holds

rounded to one decimal. A clip in which nobody was found, or the person was seen for less
than ``MIN_SCORED_S`` = 0.5 s (a still image, a one-frame clip), has no score (``None``).

Examples: 10 reps, all good, no faults -> 100. 10 reps, 5 good, a fault active for 30 % of
the time -> 100 * (0.25 + 0.35) = 60. A hold of 20 s with 10 s in good form and one 1-s
``hold_too_short`` event in a 20-s clip -> 100 * (0.25 + 0.475) = 72.5.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: duration (s) charged for an event-type fault span of zero length
EVENT_S = 1.0
#: floor (s) for the time the person was seen, so very short clips are not dominated by one event
MIN_SEEN_S = 1.0
#: the person must be seen this long (s) for a score: a still image or a one-frame clip shows
#: no form at all, and would otherwise score 100. Half a second (15 frames at 30 fps) is the
#: least in which a hold or a movement can be seen; the shortest labelled clip (plank_09) is 1 s
MIN_SCORED_S = 0.5
#: weight of set-up checks: the camera or start position was wrong, so form was not seen
SETUP_WEIGHT = 0.5
SETUP_CHECKS = ("not_visible", "wrong_view", "not_in_position")
#: checks that never lower the score
UNSCORED_CHECKS = ("pain_stop",)


def check_weight(check: str) -> float:
    """Weight ``w_c`` of a check in the fault-time share (see the module docstring)."""
    if check in UNSCORED_CHECKS:
        return 0.0
    if check in SETUP_CHECKS:
        return SETUP_WEIGHT
    return 1.0


@dataclass(frozen=True)
class FormScore:
    """The score and the parts it is made of (all shares between 0 and 1)."""

    score: float | None
    good_share: float | None  # Q
    rep_share: float | None  # R
    hold_share: float | None  # H
    fault_share: float  # F
    fault_s: dict[str, float]  # T_c per check id (events charged EVENT_S), sorted by id


def _union_length(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for s, e in sorted(spans):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def fault_seconds(faults: list[Mapping[str, Any]]) -> dict[str, float]:
    """Seconds in fault per check id: overlapping spans counted once, events ``EVENT_S``."""
    by_check: dict[str, list[tuple[float, float]]] = {}
    events: dict[str, int] = {}
    for f in faults:
        s, e = float(f["start_s"]), float(f["end_s"])
        if e - s <= 0.0:
            events[f["check"]] = events.get(f["check"], 0) + 1
        else:
            by_check.setdefault(f["check"], []).append((s, e))
    out = {c: _union_length(sp) for c, sp in by_check.items()}
    for c, n in events.items():
        out[c] = out.get(c, 0.0) + n * EVENT_S
    return {c: round(out[c], 3) for c in sorted(out)}


def form_score(doc: Mapping[str, Any]) -> FormScore:
    """Score one result document (the dict ``pipeline.result_document`` returns)."""
    reps = doc.get("reps") or []
    holds = doc.get("holds") or []
    t_c = fault_seconds(doc.get("faults") or [])
    seen = float(doc.get("duration_s") or 0.0) * float(doc.get("coverage") or 0.0)
    weighted = sum(check_weight(c) * t for c, t in t_c.items())
    f_share = min(1.0, weighted / max(seen, MIN_SEEN_S))

    r_share = sum(1 for r in reps if r.get("good", True)) / len(reps) if reps else None
    hold_total = sum(max(0.0, float(h["end_s"]) - float(h["start_s"])) for h in holds)
    h_share = None
    if holds and hold_total > 0:
        h_share = min(1.0, sum(float(h["good_s"]) for h in holds) / hold_total)
    parts = [p for p in (r_share, h_share) if p is not None]
    q = sum(parts) / len(parts) if parts else None

    if not doc.get("frames_with_pose") or seen < MIN_SCORED_S:
        score = None  # nobody, or too little video (a still image, one frame): no score
    elif q is None:
        score = round(100.0 * (1.0 - f_share), 1)
    else:
        score = round(100.0 * (0.5 * q + 0.5 * (1.0 - f_share)), 1)
    return FormScore(
        score=score,
        good_share=None if q is None else round(q, 4),
        rep_share=None if r_share is None else round(r_share, 4),
        hold_share=None if h_share is None else round(h_share, 4),
        fault_share=round(f_share, 4),
        fault_s=t_c,
    )
