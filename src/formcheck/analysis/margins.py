"""How far each judged check was from flipping: the deciding signal against its threshold.

For a labelled clip, ``formcheck evaluate --margins`` lists every check the label judges
(``faults`` must be reported, ``no_faults`` must not) that the analyzer measures with a
thresholded signal (``Analyzer.signal_thresholds()``, the numbers the HTML report draws), and
the margin in the signal's units: positive = on the label's side by that much, negative = on
the wrong side. A pass by 0.4 deg is a pass the next person may not get.

The deciding value is the most extreme level the signal *held* for the analyzers' debounce
time (``Analyzer.fault_min_on_s``, 0.3 s), over the frames where the analyzer evaluated the
check, so a one-frame spike does not decide it. Longer persistence rules (sitting's 5 s before
a slouch is said) and hysteresis (on/off thresholds) are about time, not distance: the margin
is measured against the threshold that turns the fault on. Which side of a threshold is the
fault is read from the frames: the side where the check said ``ok`` (or, with no ok frame,
where it said ``fault``). Two thresholds
labelled with the same check bound a band (sag/pike, drop/crane); the nearer one decides.
Hold checks (``hold_too_short``) compare the shortest completed hold with the hold target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from formcheck.analysis.pipeline import Analysis
    from formcheck.exercises.families.base import Analyzer

#: the note of a judged check that no thresholded signal decides (not_visible, pain_stop, ...)
NO_SIGNAL = "no thresholded signal"

#: signal_thresholds() labels that are not check ids, per exercise: label -> check id
LABEL_CHECKS: dict[str, dict[str, str]] = {
    "sitting": {"slouch on": "slouching", "head forward on": "slouching",
                "knee min": "knees_not_90", "knee max": "knees_not_90",
                "heel up": "feet_not_flat", "front view": "wrong_view"},
    "lifting": {"stoop trunk": "bending_at_waist", "knees nearly straight": "bending_at_waist",
                "load far": "load_far_from_body", "twist": "twisting", "narrow": "narrow_base"},
}

#: checks that need every one of their signals past its threshold at once (the others need
#: any one): a stoop is the trunk far forward AND the knees nearly straight
ALL_OF = frozenset({("lifting", "bending_at_waist")})

#: signals that are not angles (ratios of a body length, or of the image)
UNITLESS = frozenset({"knee_height", "load_forearms", "stance_ratio", "opposite_heel",
                      "head_forward"})


@dataclass
class CheckMargin:
    """One judged check on one clip."""

    check: str
    #: what the label says: "fault" (must be reported) or "ok" (must not be)
    expected: str
    signal: str | None = None
    threshold: float | None = None
    #: the deciding value (held for the check's opening time), in the signal's units
    value: float | None = None
    #: distance to the threshold, positive = on the label's side
    margin: float | None = None
    unit: str = ""
    #: why there is no margin (no thresholded signal, never evaluated)
    note: str = ""

    def text(self) -> str:
        if self.margin is None:
            return f"{self.check} ({self.expected}): - {self.note}"
        unit = f" {self.unit}" if self.unit else ""
        return (f"{self.check} ({self.expected}): {self.margin:+.2f}{unit} "
                f"[{self.signal} {self.value:.2f} vs {self.threshold:g}]")


def _held_extreme(t: np.ndarray, v: np.ndarray, hold_s: float) -> float:
    """max over start frames of min(v over the next ``hold_s`` seconds): the highest level
    ``v`` stayed at for ``hold_s`` (the plain maximum when hold_s is 0)."""
    if hold_s <= 0:
        return float(np.max(v))
    best = -np.inf
    end = 0
    n = len(t)
    for i in range(n):
        end = max(end, i)
        while end + 1 < n and t[end + 1] - t[i] <= hold_s + 1e-9:
            end += 1
        if t[end] - t[i] < hold_s - 1e-9 and end == n - 1:
            # the stream ends before the level could be held long enough
            if i == 0:
                best = max(best, float(np.min(v)))  # short clip: the whole clip decides
            break
        best = max(best, float(np.min(v[i:end + 1])))
    return best


def _direction(vals: np.ndarray, states: np.ndarray, thr: float) -> int | None:
    """+1 when the fault lies above ``thr``, -1 when below; None if the frames cannot tell."""
    ok = vals[states == "ok"]
    if len(ok):
        med = float(np.median(ok))
        if med != thr:
            return -1 if med > thr else 1
    bad = vals[states == "fault"]
    if len(bad):
        med = float(np.median(bad))
        if med != thr:
            return 1 if med > thr else -1
    return None


def check_margins(analysis: Analysis, faults: list[str], no_faults: list[str],
                  analyzer: Analyzer[Any] | None = None) -> list[CheckMargin]:
    """Margins of the judged checks (``faults`` expected, ``no_faults`` not) in one analysis
    (``pipeline.Analysis`` with its per-frame feedback kept)."""
    from formcheck.exercises import make_analyzer

    exercise = analysis.result.exercise
    analyzer = analyzer or make_analyzer(exercise)
    aliases = LABEL_CHECKS.get(exercise, {})
    by_check: dict[str, list[tuple[str, float]]] = {}
    for signal, rows in analyzer.signal_thresholds().items():
        for thr, label in rows:
            check = aliases.get(label, label)
            by_check.setdefault(check, []).append((signal, float(thr)))
    frames = analysis.frames
    t = np.array([f.t_s for f in frames], dtype=np.float64)
    out = []
    for check, expected in [*[(c, "fault") for c in faults], *[(c, "ok") for c in no_faults]]:
        m = CheckMargin(check, expected)
        out.append(m)
        if check == "hold_too_short":
            _hold_margin(m, analysis)
            continue
        signal_rows = by_check.get(check)
        if not signal_rows:
            m.note = NO_SIGNAL
            continue
        out[-1] = _signal_margin(m, signal_rows, analysis, t, analyzer.fault_min_on_s,
                                 (exercise, check) in ALL_OF)
    return out


def _hold_margin(m: CheckMargin, analysis: Analysis) -> None:
    reps = [r for r in analysis.result.reps if r.hold_s and r.hold_s > 0]
    targets = [f.hold_target_s for f in analysis.frames if f.hold_target_s]
    if not reps or not targets:
        m.note = "no timed hold"
        return
    target = float(max(targets))
    shortest = float(min(r.hold_s for r in reps))
    m.signal, m.threshold, m.value, m.unit = "hold_s", target, shortest, "s"
    # fault when the shortest hold is under the target
    m.margin = (target - shortest) if m.expected == "fault" else (shortest - target)


def _signal_margin(m: CheckMargin, rows: list[tuple[str, float]], analysis: Analysis,
                   t: NDArray[np.float64],
                   hold_s: float, all_of: bool) -> CheckMargin:
    """``m`` filled from the thresholded signals ``rows`` of its check (or with a note)."""
    frames = analysis.frames
    check, expected = m.check, m.expected
    states = np.array([f.checks.get(check, "") for f in frames], dtype=object)
    evaluated = (states == "ok") | (states == "fault")
    if not evaluated.any():
        m.note = "no per-frame verdict (decided per rep or per clip)"
        return m
    best: CheckMargin | None = None
    best_margin = 0.0
    for signal, thr in rows:
        vals = np.array([f.signals.get(signal, np.nan) for f in frames], dtype=np.float64)
        use = evaluated & np.isfinite(vals)
        if not use.any():
            continue
        band = sorted(th for sig, th in rows if sig == signal)
        if len(band) == 2 and band[0] < band[1]:  # a band: the fault lies outside it
            found: int | None = -1 if thr == band[0] else 1
        else:
            found = _direction(vals[use], states[use], thr)
        if found is None:
            continue
        d = found
        past = _held_extreme(t[use], d * (vals[use] - thr), hold_s)  # > 0: fault side
        margin = past if expected == "fault" else -past
        # any-of: the fault needs one signal past its line (a fault's margin is the largest,
        # an ok's the smallest); all-of: the other way round
        want_max = (expected == "fault") != all_of
        if best is None or (margin > best_margin if want_max else margin < best_margin):
            best_margin = margin
            best = CheckMargin(check, expected, signal, thr, thr + d * past, margin,
                               "" if signal in UNITLESS else "deg")
    if best is None:
        m.note = "signal never measured"
        return m
    return best
