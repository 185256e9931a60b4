"""What every exercise analyzer shares: the update loop, debounced fault spans, the common
checks (not_visible, wrong_view, not_in_position, too_fast, pain_stop) and hold timing.

An analyzer subclass provides:

* ``exercise_id`` and a frozen ``Params`` dataclass (thresholds, each commented);
* ``required_landmarks(side)``: what must be visible for the exercise to be measured;
* ``evaluate(pose) -> FrameEval``: pure per-frame scoring of one pose (no state);
* ``step(ev)``: the rep/hold state machine, fed one ``FrameEval`` per frame with a pose;
* optionally ``finish()`` to close open reps and add clip-level faults at the end, and
  ``begin_frame(pose)`` for per-frame context (the frame spacing, ``self.clock``, is already
  counted then: the base times every frame, with or without a pose).

The base turns per-frame check states into debounced ``FaultSpan``s, so jitter around a
threshold does not flicker a fault on and off. Faults judged once rather than per frame (a hold
released too early, a cycle of too small a range) are events: every analyzer records them with
:meth:`Analyzer.add_event` (or :meth:`Analyzer.record_event`), and says what it could or could
not judge with :meth:`Analyzer.mark_measured` / :meth:`Analyzer.mark_unmeasurable`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

import numpy as np

from formcheck.core.checks import PAIN_STOP_ADVICE, checks_for, cue_for
from formcheck.core.pose import Landmark, Pose
from formcheck.core.results import CheckState, ExerciseResult, FaultSpan, FrameFeedback, Hold, Rep

OK = CheckState.OK
FAULT = CheckState.FAULT
NOT_MEASURABLE = CheckState.NOT_MEASURABLE


@dataclass
class FrameEval:
    """Pure per-frame evaluation of one pose.

    checks: check id -> its state this frame (set with :meth:`judge` and
    :meth:`not_measurable`); reasons: why each not-measurable check could not be measured.
    signals: named measurements (degrees, normalised distances) the checks used.
    in_position: whether the person is in the exercise's start/working position.
    side: the body side measured (nearer the camera), if relevant.
    """

    t_s: float
    checks: dict[str, CheckState] = field(default_factory=dict)
    signals: dict[str, float] = field(default_factory=dict)
    in_position: bool = True
    side: str | None = None
    view: str | None = None
    #: joint angles (degrees) watched for ballistic motion (too_fast)
    motion: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def judge(self, check: str, fault: bool) -> None:
        """``check`` was measured this frame: a fault, or OK."""
        self.checks[check] = FAULT if fault else OK
        self.reasons.pop(check, None)

    def not_measurable(self, check: str, reason: str) -> None:
        """``check`` cannot be measured this frame, for ``reason`` (said to the user)."""
        self.checks[check] = NOT_MEASURABLE
        self.reasons[check] = reason

    def is_fault(self, check: str) -> bool:
        return self.checks.get(check) == FAULT


class FaultTracker:
    """Turns per-frame fault booleans into debounced spans.

    A fault opens after it has been seen for ``min_on_s`` (continuous, allowing gaps up to
    ``max_gap_s`` with no verdict) and closes after ``min_off_s`` of OK frames.
    """

    def __init__(self, min_on_s: float = 0.3, min_off_s: float = 0.3, max_gap_s: float = 0.5):
        if min_on_s < 0 or min_off_s < 0 or max_gap_s < 0:
            raise ValueError("FaultTracker durations must be >= 0")
        self.min_on_s, self.min_off_s, self.max_gap_s = min_on_s, min_off_s, max_gap_s
        self.reset()

    def reset(self) -> None:
        self._cand_start: dict[tuple[str, str | None], float] = {}
        self._last_seen: dict[tuple[str, str | None], float] = {}
        self._open: dict[tuple[str, str | None], FaultSpan] = {}
        self._ok_since: dict[tuple[str, str | None], float] = {}
        self.spans: list[FaultSpan] = []
        #: the spans recorded with add(): events, not debounced states
        self.events: list[FaultSpan] = []

    def update(
        self,
        check: str,
        fault: bool | None,
        t_s: float,
        cue: str,
        side: str | None = None,
        value: float | None = None,
        min_on_s: float | None = None,
        worse: str = "max",
        cue_after_s: float | None = None,
    ) -> bool:
        """Feed one frame's verdict (None = no verdict this frame). Returns whether the
        fault is active (debounced) after this frame.

        ``cue_after_s``: the span is recorded after ``min_on_s`` but cued (``active()``:
        said and shown) only once it has lasted this long; a span that ends sooner stays in
        ``spans`` with ``cued=False`` (seen, not said)."""
        key = (check, side)
        if fault is None:
            return self._no_verdict(key, t_s)
        if not fault:
            return self._ok_frame(key, t_s)
        on = self.min_on_s if min_on_s is None else min_on_s
        span = self._fault_frame(key, t_s, on, cue, value, cue_after_s)
        if span is None:
            return False
        self._extend(span, t_s, value, worse, cue_after_s)
        return True

    def _no_verdict(self, key: tuple[str, str | None], t_s: float) -> bool:
        """A frame with no verdict: a candidate not seen for over ``max_gap_s`` is dropped;
        an open span stays open."""
        last = self._last_seen.get(key)
        if last is not None and t_s - last > self.max_gap_s:
            self._cand_start.pop(key, None)
        return key in self._open

    def _fault_frame(self, key: tuple[str, str | None], t_s: float, on: float, cue: str,
                     value: float | None, cue_after_s: float | None) -> FaultSpan | None:
        """A fault frame: (re)start the candidate after a gap, and open its span once it has
        been seen for ``on`` seconds. The open span, if any."""
        self._ok_since.pop(key, None)
        last = self._last_seen.get(key)
        if key not in self._cand_start or (last is not None and t_s - last > self.max_gap_s):
            self._cand_start[key] = t_s
        self._last_seen[key] = t_s
        span = self._open.get(key)
        if span is None and t_s - self._cand_start[key] >= on:
            check, side = key
            span = FaultSpan(check, self._cand_start[key], t_s, cue, side, t_s, value,
                             cued=cue_after_s is None)
            self._open[key] = span
            self.spans.append(span)
        return span

    @staticmethod
    def _extend(span: FaultSpan, t_s: float, value: float | None, worse: str,
                cue_after_s: float | None) -> None:
        """The open span (just opened or not) at a fault frame ``t_s``: its end, whether it is
        cued yet, and its worst value (the largest, or with ``worse="min"`` the smallest)."""
        span.end_s = t_s
        if not span.cued and cue_after_s is not None \
                and t_s - span.start_s >= cue_after_s - 1e-9:
            span.cued = True
        if value is not None and np.isfinite(value):
            better = span.worst_value is None or (
                value > span.worst_value if worse == "max" else value < span.worst_value
            )
            if better:
                span.worst_value, span.worst_s = float(value), t_s

    def _ok_frame(self, key: tuple[str, str | None], t_s: float) -> bool:
        """An OK frame: the candidate ends; an open span closes after ``min_off_s`` of OK
        frames."""
        self._cand_start.pop(key, None)
        if key in self._open:
            since = self._ok_since.setdefault(key, t_s)
            if t_s - since >= self.min_off_s:
                del self._open[key]
                self._ok_since.pop(key, None)
                return False
            return True
        return False

    def begin(self, check: str, t_start: float, t_now: float, side: str | None = None) -> None:
        """Date the fault about to be fed for ``t_now`` from ``t_start`` (earlier): the
        frames since ``t_start`` were the way into it (e.g. a posture that has left its
        good zone on the way to the fault threshold). Call just before ``update(check,
        True, t_now)``; a candidate or span already running keeps its own start."""
        key = (check, side)
        if key in self._open:
            return
        last = self._last_seen.get(key)
        fresh = key not in self._cand_start or (last is not None and t_now - last > self.max_gap_s)
        start = t_start if fresh else min(self._cand_start[key], t_start)
        self._cand_start[key] = min(start, t_now)
        self._last_seen[key] = t_now

    def add(self, span: FaultSpan) -> None:
        """Record an event-type fault (e.g. a hold released too early) directly."""
        self.spans.append(span)
        self.events.append(span)

    def open_span(self, check: str, side: str | None = None) -> FaultSpan | None:
        """The span of ``check`` open now, if any."""
        return self._open.get((check, side))

    def active(self) -> list[str]:
        """Checks with an open span that is cued (said and shown now)."""
        return [k[0] for k, span in self._open.items() if span.cued]

    def close_all(self) -> None:
        self._open.clear()


#: an analyzer's frozen Params dataclass
P = TypeVar("P")


class Analyzer(ABC, Generic[P]):
    """Base class for exercise analyzers, generic in their Params (``Analyzer[PlankParams]``:
    ``self.params`` is a ``PlankParams``). See the module docstring for the contract."""

    exercise_id: ClassVar[str]
    Params: ClassVar[type[Any]]
    #: checks (besides the common ones) that this analyzer's evaluate() produces
    visibility_threshold: ClassVar[float] = 0.5
    #: seconds a fault must persist before it is reported / said
    fault_min_on_s: ClassVar[float] = 0.3
    #: too_fast: angular speed limit (deg/s) sustained over ``too_fast_window_s``
    too_fast_deg_s: float = 120.0  # a family may set its own per instance from its Params
    too_fast_window_s: ClassVar[float] = 0.2
    #: pain gesture: both wrists above the head for this long
    pain_gesture_s: ClassVar[float] = 2.0
    #: how long an event-type fault's cue stays in the feedback after it happens; the live
    #: notice (on screen and spoken) lasts as long: the one place this timing lives
    event_cue_s: ClassVar[float] = 3.0
    #: how many recent frame spacings :attr:`clock` takes its median over
    frame_clock_n: ClassVar[int] = 15

    def __init__(self, params: P | None = None):
        self.params: P = params if params is not None else self.Params()
        if not isinstance(self.params, self.Params):
            raise ValueError(
                f"{type(self).__name__} expects {self.Params.__name__}, got {type(params).__name__}"
            )
        self.reset()

    # ---- subclass API -------------------------------------------------------------------
    @abstractmethod
    def required_landmarks(self, side: str) -> list[Landmark]:
        """Landmarks that must be visible (on the measured side) to score a frame."""

    @abstractmethod
    def evaluate(self, pose: Pose) -> FrameEval:
        """Score one pose, without state."""

    @abstractmethod
    def step(self, ev: FrameEval) -> None:
        """Advance the rep/hold state machine by one scored frame."""

    def pause(self, t_s: float) -> None:
        """A frame with no usable pose: timers pause (override to close holds, etc.)."""

    def finish(self) -> None:
        """Called once by :meth:`result` at the end of the stream."""

    def variant(self) -> str | None:
        return None

    def _not_visible_min_on(self) -> float:
        on = self.fault_min_on_for("not_visible")
        return 0.5 if on is None else on

    def fault_min_on_for(self, check: str) -> float | None:
        """Seconds ``check`` must persist before it is reported (None: ``fault_min_on_s``).

        Override for checks that must not nag (e.g. posture during hours of sitting).
        ``too_fast`` is already sustained over ``too_fast_window_s`` by its own test, so it
        opens at once: a second delay would hide a ballistic jerk that lasts a few tenths
        of a second."""
        return 0.0 if check == "too_fast" else None

    def cue_after_for(self, check: str) -> float | None:
        """Seconds ``check`` must persist before it is said/shown (None: as soon as it is
        reported). Longer than :meth:`fault_min_on_for` where a fault is worth recording
        when seen but not worth a spoken cue until it lasts (posture during sitting)."""
        return None

    def signal_thresholds(self) -> dict[str, list[tuple[float, str]]]:
        """Signal name -> [(threshold value, label)], for plots (notebook, reports).

        Empty by default; analyzers override it with the thresholds their checks use.
        """
        return {}

    def live_status(self) -> tuple[float | None, float | None, str]:
        """(current hold seconds in good form, hold target seconds, phase label)."""
        return None, None, ""

    def begin_frame(self, pose: Pose | None) -> None:
        """Called at the start of every :meth:`update`, after :attr:`clock` has counted the
        frame (override for per-frame context that evaluate() reads)."""

    # ---- shared machinery ---------------------------------------------------------------
    def reset(self) -> None:
        self.tracker = FaultTracker(min_on_s=self.fault_min_on_s)
        #: the frame spacing, for the checks that need a usable frame rate (every frame with
        #: a timestamp counts, with or without a pose)
        self.clock = FrameClock(self.frame_clock_n)
        self.reps: list[Rep] = []
        self.holds: list[Hold] = []
        self.not_measurable: dict[str, str] = {}
        self.measured: set[str] = set()
        self.frames = 0
        self.frames_with_pose = 0
        self.t_first: float | None = None
        self.t_last = 0.0
        self.pain_stops: list[float] = []
        self.notes: list[str] = []
        self._hands_up_since: float | None = None
        self._pain_latched = False
        self._motion_hist: dict[str, list[tuple[float, float]]] = {}
        self._motion_prev_t: float | None = None
        self._finished = False
        self.extra: dict[str, Any] = {}

    def cue(self, check: str) -> str:
        return cue_for(self.exercise_id, check)

    # ---- event faults and measurability -------------------------------------------------
    def mark_measured(self, check: str) -> None:
        """``check`` was judged (a fault or OK): it is not reported as not measurable."""
        self.measured.add(check)
        self.not_measurable.pop(check, None)

    def mark_unmeasurable(self, check: str, reason: str) -> None:
        """``check`` could not be judged, for ``reason`` (said to the user): the first reason
        is kept, and none once the check has been judged."""
        if check not in self.measured:
            self.not_measurable.setdefault(check, reason)

    def record_event(self, check: str, start_s: float, end_s: float, value: float | None = None,
                     side: str | None = None, worst_s: float | None = None) -> FaultSpan:
        """Record an event-type fault (no duration to debounce: a pain stop, a cycle of too
        small a range) as given; ``worst_s``: its worst moment, where ``value`` was measured.
        Whether the check was measured is left to the caller (:meth:`add_event` marks it)."""
        span = FaultSpan(check, start_s, end_s, self.cue(check), side, worst_s, value)
        self.tracker.add(span)
        return span

    def add_event(self, check: str, start_s: float, end_s: float, value: float | None = None,
                  side: str | None = None) -> FaultSpan:
        """Record an event-type fault judged at ``end_s`` (a hold released too early, a fast
        lowering...): the check counts as measured; its worst moment is its end."""
        self.mark_measured(check)
        return self.record_event(check, start_s, end_s, value, side, worst_s=end_s)

    def judge_min_duration(self, check: str, start_s: float, end_s: float, took_s: float,
                           min_s: float, side: str | None = None) -> bool:
        """``check`` on one timed stretch (a hold, a lowering, a movement phase) from
        ``start_s`` to ``end_s`` that took ``took_s``: a fault event when that is under
        ``min_s``, else measured OK. Returns whether it was a fault. Whether the stretch can be
        timed at all (the frame rate) is the caller's to decide first."""
        if took_s < min_s:
            self.add_event(check, start_s, end_s, took_s, side=side)
            return True
        self.mark_measured(check)
        return False

    def update(self, pose: Pose | None, t_ms: float | None = None) -> FrameFeedback:
        """Feed one frame. ``pose`` None means no person found; ``t_ms`` is then required."""
        if pose is None and t_ms is None:
            raise ValueError("update(None) needs t_ms: the frame's timestamp")
        t_s = (cast(Pose, pose).timestamp_ms if t_ms is None else t_ms) / 1000.0
        self.clock.tick(t_s)
        self.begin_frame(pose)
        if self.t_first is None:
            self.t_first = t_s
        self.t_last = t_s
        self.frames += 1
        if pose is None:
            self._hands_up_since = None
            self.pause(t_s)
            return self._feedback(t_s, False, {}, None, message="No person in view")
        self.frames_with_pose += 1
        pain = self._pain_gesture(pose, t_s)
        side = pose.near_side()
        if not pose.visible(self.required_landmarks(side), self.visibility_threshold):
            self.tracker.update("not_visible", True, t_s, self.cue("not_visible"),
                                min_on_s=self._not_visible_min_on())
            self.pause(t_s)
            return self._feedback(t_s, True, {"not_visible": FAULT}, side, pain=pain)
        ev = self.evaluate(pose)
        states = self._record_checks(ev, t_s)
        self.step(ev)
        return self._feedback(t_s, True, states, ev.side, signals=ev.signals, pain=pain)

    def _record_checks(self, ev: FrameEval, t_s: float) -> dict[str, CheckState]:
        """Feed this frame's check states to the fault tracker (adding not_visible,
        not_in_position and too_fast) and note what could not be measured; the states."""
        # evaluate() may itself report part of the body out of view (e.g. feet hidden) while
        # still scoring what it can see; otherwise the required landmarks were visible.
        partly_hidden = ev.checks.pop("not_visible", OK) == FAULT
        ev.reasons.pop("not_visible", None)
        self.tracker.update("not_visible", partly_hidden, t_s, self.cue("not_visible"),
                            min_on_s=self._not_visible_min_on() if partly_hidden else None)
        if "not_in_position" not in ev.checks:
            ev.judge("not_in_position", not ev.in_position)
        self._too_fast(ev)
        states: dict[str, CheckState] = {"not_visible": FAULT if partly_hidden else OK}
        for check, state in ev.checks.items():
            states[check] = state
            if state == NOT_MEASURABLE:
                self.mark_unmeasurable(check, ev.reasons[check])
                self.tracker.update(check, None, t_s, self.cue(check), side=None)
                continue
            self.mark_measured(check)
            self.tracker.update(
                check, state == FAULT, t_s, self.cue(check), value=ev.signals.get(check),
                min_on_s=self.fault_min_on_for(check), cue_after_s=self.cue_after_for(check),
            )
        return states

    def _feedback(self, t_s: float, found: bool, states: dict[str, CheckState], side: str | None,
                  signals: dict[str, float] | None = None, message: str | None = None,
                  pain: bool = False) -> FrameFeedback:
        hold_s, target, phase = self.live_status()
        active = self.tracker.active()
        cue = None
        if pain:
            cue = PAIN_STOP_ADVICE
        else:
            order = checks_for(self.exercise_id)
            for check in sorted(active, key=lambda c: order.index(c) if c in order else 99):
                cue = self.cue(check)
                break
            if cue is None:
                # event-type faults (a hold released too early, a too-fast lowering) have no
                # duration: say their cue for a few seconds after they happen
                recent = [f for f in self.tracker.events
                          if f.check != "pain_stop" and 0.0 <= t_s - f.end_s <= self.event_cue_s]
                if recent:
                    cue = recent[-1].cue
        counts = self.rep_counts()
        return FrameFeedback(
            t_s=t_s,
            pose_found=found,
            checks=states,
            faults=active,
            cue=cue,
            reps=counts,
            hold_s=hold_s,
            hold_target_s=target,
            phase=phase,
            side=side,
            variant=self.variant(),
            signals=dict(signals or {}),
            message=message,
            pain_stop=pain,
        )

    def rep_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {"total": len(self.reps)}
        for r in self.reps:
            if r.side:
                counts[r.side] = counts.get(r.side, 0) + 1
        return counts

    # ---- common checks ------------------------------------------------------------------
    def _too_fast(self, ev: FrameEval) -> None:
        """Ballistic motion: a watched joint angle (``ev.motion``) turning faster than
        ``too_fast_deg_s`` throughout the last ``too_fast_window_s``.

        "Throughout" means both the net change over the window divided by its span and every
        frame-to-frame speed inside it exceed the limit, so landmark jitter (which reverses
        direction from frame to frame) does not add up to a fast movement. Where frames are
        further apart than half the window (low frame-rate clips, GIFs), the speed cannot be
        timed and the check reports not measurable.
        """
        if "too_fast" in ev.checks or not ev.motion:
            return
        window_s = self.too_fast_window_s
        dt = ev.t_s - self._motion_prev_t if self._motion_prev_t is not None else None
        self._motion_prev_t = ev.t_s
        fast = False
        worst = 0.0
        timed = False
        for name, angle in ev.motion.items():
            if not np.isfinite(angle):
                continue
            hist = self._motion_hist.setdefault(name, [])
            hist.append((ev.t_s, float(angle)))
            while hist and ev.t_s - hist[0][0] > window_s + 0.25:
                hist.pop(0)
            # the shortest recent stretch that spans the window (frame times rarely land
            # exactly on it)
            start = max((i for i, (t, _) in enumerate(hist) if ev.t_s - t >= window_s * 0.9),
                        default=None)
            window = hist[start:] if start is not None else []
            if len(window) >= 3:
                timed = True
                ts = np.array([w[0] for w in window])
                ang = np.array([w[1] for w in window])
                steps = np.diff(ang) / np.maximum(np.diff(ts), 1e-3)
                net = (ang[-1] - ang[0]) / max(ts[-1] - ts[0], 1e-3)
                same_way = np.all(np.sign(steps) == np.sign(net)) if net != 0 else False
                sustained = min(abs(net), float(np.min(np.abs(steps)))) if same_way else 0.0
                worst = max(worst, sustained)
                if sustained > self.too_fast_deg_s:
                    fast = True
        if timed:
            ev.judge("too_fast", fast)
            ev.signals["too_fast"] = worst
            return
        if dt is not None and dt > window_s / 2:
            ev.not_measurable(
                "too_fast", f"frames are {dt:.2f} s apart: too few to time a {window_s:.1f} s movement"
            )

    def _pain_gesture(self, pose: Pose, t_s: float) -> bool:
        """Both wrists above the top of the head for ``pain_gesture_s`` while the trunk is
        upright (standing, sitting, kneeling).

        In lying and all-fours positions "above the head" in the image is where hands go
        during normal exercises (holding a knee to the chest), so the gesture is not read
        there; the key press (:meth:`record_pain_stop`) works in every position.
        """
        wl, wr = pose.xy(Landmark.LEFT_WRIST), pose.xy(Landmark.RIGHT_WRIST)
        head = np.nanmin(pose.px[[0, 2, 5, 7, 8], 1])
        ok = pose.visible([Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST, Landmark.NOSE], 0.5)
        # image y points down: above the head = smaller y. Require a margin of 1/4 of the
        # shoulder-hip distance so hands resting by the ears or on the head do not trigger it.
        margin = 0.25 * (pose.body_height_px if np.isfinite(pose.body_height_px) else 0.0)
        up = ok and wl[1] < head - margin and wr[1] < head - margin and self._trunk_upright(pose)
        if not up:
            self._hands_up_since = None
            self._pain_latched = False
            return False
        if self._hands_up_since is None:
            self._hands_up_since = t_s
        if t_s - self._hands_up_since >= self.pain_gesture_s - 1e-6:
            if not self._pain_latched:
                self.record_pain_stop(t_s)
                self._pain_latched = True
            return True
        return False

    @staticmethod
    def _trunk_upright(pose: Pose, max_tilt_deg: float = 45.0) -> bool:
        """Shoulders above the hips within ``max_tilt_deg`` of the image vertical; True when
        the hips are out of view (a desk camera often sees only the upper body)."""
        p = pose.px
        sh = np.nanmean(p[[11, 12]], axis=0)
        hp = np.nanmean(p[[23, 24]], axis=0)
        hips_seen = pose.visible([Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 0.5) or pose.visible(
            [Landmark.LEFT_HIP], 0.5) or pose.visible([Landmark.RIGHT_HIP], 0.5)
        if not (np.all(np.isfinite(sh)) and np.all(np.isfinite(hp))) or not hips_seen:
            return True
        d = sh - hp
        tilt = np.degrees(np.arctan2(abs(d[0]), -d[1]))  # 0 = shoulders straight above hips
        return bool(tilt <= max_tilt_deg)

    def record_pain_stop(self, t_s: float) -> None:
        """Record a pain stop (gesture or a key press in live mode)."""
        self.pain_stops.append(t_s)
        self.record_event("pain_stop", t_s, t_s)

    # ---- result -------------------------------------------------------------------------
    def result(self) -> ExerciseResult:
        if not self._finished:
            self.finish()
            self.tracker.close_all()
            self._finished = True
        t0 = self.t_first or 0.0
        return ExerciseResult(
            exercise=self.exercise_id,
            variant=self.variant(),
            duration_s=max(0.0, self.t_last - t0),
            frames=self.frames,
            frames_with_pose=self.frames_with_pose,
            reps=list(self.reps),
            rep_counts=self.rep_counts(),
            holds=list(self.holds),
            faults=sorted(self.tracker.spans, key=lambda f: (f.start_s, f.check)),
            not_measurable={k: v for k, v in self.not_measurable.items() if k not in self.measured},
            pain_stops=list(self.pain_stops),
            notes=list(self.notes),
            extra=dict(self.extra),
        )


class HoldTimer:
    """Times continuous periods in the target position, counting good-form time only.

    ``update(t_s, in_target, good)``: in_target opens/keeps a hold, good adds time to the
    good-form count. A hold ends after ``release_s`` out of target (jitter tolerance).
    """

    def __init__(self, release_s: float = 0.3, min_hold_s: float = 0.0):
        self.release_s = release_s
        self.min_hold_s = min_hold_s
        self.holds: list[Hold] = []
        self._start: float | None = None
        self._last_in: float | None = None
        self._last_t: float | None = None
        self._good = 0.0

    @property
    def active(self) -> bool:
        return self._start is not None

    @property
    def current_good_s(self) -> float:
        return self._good if self._start is not None else 0.0

    @property
    def current_s(self) -> float:
        if self._start is None or self._last_in is None:
            return 0.0
        return self._last_in - self._start

    def update(self, t_s: float, in_target: bool, good: bool = True) -> Hold | None:
        """Returns the Hold that just ended, if any."""
        ended = None
        if in_target:
            if self._start is None:
                self._start, self._good = t_s, 0.0
            elif good and self._last_t is not None:
                self._good += max(0.0, min(t_s - self._last_t, 0.5))
            self._last_in = t_s
        elif self._start is not None and self._last_in is not None:
            if t_s - self._last_in >= self.release_s:
                ended = self._close()
        self._last_t = t_s
        return ended

    def pause(self, t_s: float) -> None:
        """No pose this frame: the timer neither advances nor ends."""
        self._last_t = t_s

    def close(self) -> Hold | None:
        return self._close() if self._start is not None else None

    def _close(self) -> Hold | None:
        assert self._start is not None and self._last_in is not None
        hold = Hold(self._start, self._last_in, self._good)
        self._start = self._last_in = None
        self._good = 0.0
        if hold.duration_s >= self.min_hold_s:
            self.holds.append(hold)
            return hold
        return None


class Hysteresis:
    """A two-threshold switch: turns on above ``on`` and off below ``off`` (on > off), or the
    reverse when ``rising=False``. Optionally requires ``min_s`` in a state before switching."""

    def __init__(self, on: float, off: float, rising: bool = True, min_s: float = 0.0):
        if rising and on <= off or not rising and on >= off:
            raise ValueError(
                f"hysteresis needs on {'>' if rising else '<'} off, got on={on}, off={off}"
            )
        self.on, self.off, self.rising, self.min_s = on, off, rising, min_s
        self.state = False
        self._pending_since: float | None = None

    def update(self, value: float, t_s: float) -> bool:
        if not np.isfinite(value):
            return self.state
        if self.rising:
            want = value > self.on if not self.state else not (value < self.off)
        else:
            want = value < self.on if not self.state else not (value > self.off)
        if want != self.state:
            if self._pending_since is None:
                self._pending_since = t_s
            if t_s - self._pending_since >= self.min_s:
                self.state = want
                self._pending_since = None
        else:
            self._pending_since = None
        return self.state

    def off_since(self) -> float | None:
        """Since when (s) the switch has been off or on its way off (past the off threshold,
        waiting out ``min_s``); -inf when off with no switch pending; None while on."""
        if not self.state:
            return -math.inf
        return self._pending_since


class FrameClock:
    """Median spacing (s) of the last ``n`` frames, to know whether timing checks are possible
    (a 3 fps GIF cannot time a 3 s hold or a 0.2 s speed window)."""

    def __init__(self, n: int = 15):
        self._dts: deque[float] = deque(maxlen=n)
        self._last: float | None = None

    def tick(self, t_s: float) -> None:
        if self._last is not None and t_s > self._last:
            self._dts.append(t_s - self._last)
        self._last = t_s

    @property
    def dt(self) -> float:
        return float(np.median(self._dts)) if self._dts else math.nan


class WindowedShare:
    """Share of True among the samples of the last ``window_s`` seconds (e.g. how often a
    limb was hidden: MediaPipe flickers on occluded or cropped limbs); given values in [0, 1]
    instead of flags, their mean."""

    def __init__(self, window_s: float):
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def update(self, t_s: float, flag: float) -> float:
        self._samples.append((t_s, flag))
        while self._samples and t_s - self._samples[0][0] > self.window_s:
            self._samples.popleft()
        return sum(f for _, f in self._samples) / len(self._samples)
