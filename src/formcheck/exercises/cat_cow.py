"""Cat-Cow: on hands and knees, arch the back (cow: belly drops, head up) and round it (cat:
spine up, pelvis tucked, head down), moving slowly with the breath. Camera at the side.

**Spine proxy.** There are no spine landmarks. The proxy is the **head pitch relative to the
trunk**: the signed angle of the shoulder->ear segment against the hip->shoulder line
(:func:`~formcheck.exercises.families.quadruped.pitch_deg`; midpoints of the left and right landmarks,
which read a level head as ~0 where the near side alone read +18 on cat_cow_03), positive when
the head is raised (cow), negative when it is tucked (cat). In cat-cow the neck moves with the
spine, and it is the largest change the landmarks show: cat_cow_01 goes from -31 deg (cat) through -2..-13
(neutral) to +30 (cow), cat_cow_03 from +8.5 (cow) through 0 to -37.5 (cat). The trunk line's
own tilt moves with it (+6 deg from cat to cow in both clips) and is reported as
``trunk_elev``, but it depends on arm and thigh lengths, so it is not used for counting.
Limitation: a person who only nods the head moves this proxy without moving the back.

**Counting, relative to the person.** Phases are found from the person's own neutral and
range, not from fixed head angles. *Neutral* is the mean of the proxy over the person's
still frames between phases (moving under 5 deg/s; the mean, so the still ends of a
slow, small movement balance out), clamped to an anatomical band around a
prior (the level head that the clips' neutral frames read); until such frames exist, the prior.
A phase is an *excursion* from neutral: ``cat`` is entered when the proxy drops more than
``on`` below neutral and left when it comes back above ``off`` (and ``cow`` the same way
upward), with ``on`` the larger of a minimum excursion and a fraction of the deepest excursion
the person has shown on that side, and ``off`` a fraction of ``on`` - hysteresis on a fraction
of the person's observed range, so a large-range mover must come well back before a phase
ends and a small-range mover is still counted. A minimum time past each threshold applies
(0 where frames are further apart than that time: one frame of a GIF is already longer than
any jitter). One cycle = one cat plus one cow: a cycle is counted each time a second,
opposite extreme is reached (cat->cow, then cow->cat starts the next one).

**Checks.** ``hands_not_under_shoulders`` / ``knees_not_under_hips`` compare the near-side upper
arm and thigh with the floor's perpendicular, in the neutral band only (as the spec says);
``too_fast`` is the time from one extreme's peak to the next (< 1.5 s), timed only where frames
are close enough; ``small_range`` flags a cycle whose cat-to-cow range of the proxy is small,
and movement that never reaches either extreme over a whole window.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from formcheck.core.pose import Landmark, Pose, side_landmark
from formcheck.core.results import Rep
from formcheck.exercises.families.base import FrameEval, Hysteresis
from formcheck.exercises.families.quadruped import (
    AllFoursParams,
    FloorAnalyzer,
    FloorContext,
    FloorParams,
    from_vertical_deg,
    mid,
    pitch_deg,
    quadruped_floor_deg,
    read_all_fours,
    spt,
)


@dataclass(frozen=True)
class CatCowParams:
    """Provenance: *spec* (spec/EXERCISES.md), *anatomy*, or *clips* - cat_cow_01, cat_cow_03
    and cat_cow_11 are three different women; values are the proxy (head pitch against the
    trunk line, deg) from the full model, OneEuro-smoothed."""

    #: the person's neutral before it has been seen (deg). Clips (3 people): neutral frames
    #: read about -8 (cat_cow_01: -13.3, -2.1, -7.7), +0.4 (cat_cow_03) and -3..-15, median
    #: about -8 (cat_cow_11, 3.6-4.6 s): a level head looking slightly down.
    neutral_prior_deg: float = -8.0
    #: the learned neutral stays within this of the prior (deg). Anatomy: in a neutral spine
    #: the head is within about 10 deg of the trunk line; clips: -9..+0.4 (margin 1.6).
    neutral_band_deg: float = 10.0
    #: a frame is still (a rest, usable for neutral) when the proxy moved under this (deg)
    #: over ``still_s``: 5 deg/s. Design: cat-cow phases move 10-25 deg/s (clips: 40-110 deg
    #: in 2-4 s); smoothed jitter is about +-2 deg.
    still_max_deg: float = 2.5
    still_s: float = 0.5
    #: a phase needs an excursion from neutral of at least this (deg). Clips (3 people): the
    #: smallest labelled extreme is cat_cow_03's cow, +8.5 = 16.5 above the prior (margin 4.5;
    #: its own neutral, +0.4, cannot be learned from its 3 frames); cat_cow_01's cow 18.3 and
    #: cats 19.2-22.7; cat_cow_11's neutral dip to -14.6 is 6.6 below the prior (margin 5.4
    #: from counting it as a cat). Smoothed jitter is about +-2 deg.
    phase_min_deg: float = 12.0
    #: ... or this fraction of the deepest excursion the person has made on that side, if
    #: larger (design: half-depth phases of a large-range mover still count, a wobble at the
    #: far end of a phase does not start a new one)
    phase_on_frac: float = 0.4
    #: a phase ends when the excursion falls below this fraction of its entry threshold (design:
    #: a hysteresis band of at least 6 deg, three times the jitter)
    phase_off_frac: float = 0.5
    #: the proxy must stay past a threshold this long before the phase switches (s); jitter
    #: after smoothing is about +-2 deg and lasts a frame or two
    min_phase_s: float = 0.3
    #: spec: a phase (cat to cow or back) taking less than about 1.5 s is too fast
    min_phase_duration_s: float = 1.5
    #: small_range (spec: "the back barely changes"): a cycle whose cat-to-cow range of the
    #: proxy is below this (deg). A form threshold, absolute on purpose: a person whose whole
    #: range is small is exactly who should hear the cue. Clips (3 people): labelled full
    #: cycles span 46 (cat_cow_03, margin 16), 60 (cat_cow_01) and 109 (cat_cow_11).
    small_range_deg: float = 30.0
    #: ... or, in position, the proxy moving at least ``moving_min_deg`` (more than jitter)
    #: but never reaching cat or cow over this window (s): two spec phases of 1.5 s each with
    #: pauses fit easily in 8 s (spec-derived).
    range_window_s: float = 8.0
    moving_min_deg: float = 8.0
    #: spec: the upper arm more than about 15 deg from vertical in neutral. Clips (3 people):
    #: 0.5-7.2 deg on all fours (margin 7.8; cat_cow_01 labelled ~7).
    arm_max_from_vertical_deg: float = 15.0
    #: spec: the thigh more than about 15 deg from vertical. Clips (3 people): 0.5-7.5 deg on
    #: all fours (margin 7.5; cat_cow_03's oblique view is labelled 15-20 by eye and left out).
    thigh_max_from_vertical_deg: float = 15.0
    floor: FloorParams = field(default_factory=FloorParams)
    all_fours: AllFoursParams = field(default_factory=AllFoursParams)


@dataclass(frozen=True)
class CatCowContext(FloorContext):
    """Per-frame context plus the person's current neutral band: the proxy values (deg)
    between which the back counts as neutral (placement is judged there, as the spec says)."""

    neutral_lo_deg: float = -math.inf
    neutral_hi_deg: float = math.inf


class CatCowAnalyzer(FloorAnalyzer[CatCowParams]):
    exercise_id = "cat_cow"
    Params = CatCowParams

    def reset(self) -> None:
        super().reset()
        p = self.params
        n, on = p.neutral_prior_deg, p.phase_min_deg
        off = on * p.phase_off_frac
        self.cat = Hysteresis(n - on, n - off, rising=False, min_s=p.min_phase_s)
        self.cow = Hysteresis(n + on, n + off, rising=True, min_s=p.min_phase_s)
        self.phase = "neutral"
        #: the person's neutral: still frames between phases (value), and recent (t, value)
        self._rest: deque[float] = deque(maxlen=150)
        self._recent: deque[tuple[float, float]] = deque()
        #: deepest excursion from neutral seen so far on each side (deg, >= 0)
        self.depth = {"cat": 0.0, "cow": 0.0}
        #: finalised or current extremes: [kind, entered_s, peak_s, peak_value]
        self._extremes: list[list[Any]] = []
        self._window: deque[tuple[float, float]] = deque()
        self._held: tuple[float, float] | None = None
        self._last_extreme_t: float | None = None
        self.ranges: list[float] = []

    # ---- per frame ----------------------------------------------------------------------
    def required_landmarks(self, side: str) -> list[Landmark]:
        return [
            side_landmark(side, n) for n in ("shoulder", "elbow", "wrist", "hip", "knee", "ear")
        ]

    def signal_thresholds(self) -> dict[str, list[tuple[float, str]]]:
        p = self.params
        return {
            # the person's current entry thresholds (they follow the neutral and the range)
            "spine": [(self.cat.on, "cat"), (self.cow.on, "cow")],
            "arm_from_vertical": [(p.arm_max_from_vertical_deg, "hands_not_under_shoulders")],
            "thigh_from_vertical": [(p.thigh_max_from_vertical_deg, "knees_not_under_hips")],
        }

    def next_context(self, pose: Pose, dt: float) -> FloorContext:
        # cat-cow keeps all four limbs down: the floor is measured in every frame
        return CatCowContext(frame_dt_s=dt, neutral_lo_deg=self.cat.on,
                             neutral_hi_deg=self.cow.on)

    @property
    def neutral_deg(self) -> float:
        """The person's neutral (see the module docstring)."""
        p = self.params
        if not self._rest:
            return p.neutral_prior_deg
        n = statistics.fmean(self._rest)
        lo, hi = p.neutral_prior_deg - p.neutral_band_deg, p.neutral_prior_deg + p.neutral_band_deg
        return min(hi, max(lo, n))

    def _set_thresholds(self) -> None:
        """Entry/exit thresholds from the person's neutral and observed range."""
        p = self.params
        n = self.neutral_deg
        for kind, hyst, sign in (("cat", self.cat, -1.0), ("cow", self.cow, 1.0)):
            on = max(p.phase_min_deg, p.phase_on_frac * self.depth[kind])
            hyst.on, hyst.off = n + sign * on, n + sign * on * p.phase_off_frac

    def evaluate(self, pose: Pose, ctx: FloorContext | None = None) -> FrameEval:
        """Score one pose (pure given ``ctx``; the analyzer's current context by default)."""
        p = self.params
        ctx = ctx or self.context
        side = pose.near_side()
        ev = FrameEval(pose.timestamp_ms / 1000.0, side=side)
        self.view_check(pose, ev)
        self.cut_off(pose, side, ev)
        frontal = ev.view == "front"
        tilt = p.floor.max_tilt_deg
        floor = max(-tilt, min(tilt, quadruped_floor_deg(pose, frontal)))
        q = read_all_fours(pose, side, floor, p.all_fours, frontal)
        ev.in_position = q.in_position
        spine = pitch_deg(mid(pose, "hip"), mid(pose, "shoulder"), mid(pose, "ear"), q.up)
        # the supporting limbs (on all fours: the lower wrist and knee, usually the near ones)
        arm_v = from_vertical_deg(q.shoulder, spt(pose, q.wrist_side, "elbow"), floor)
        thigh_v = from_vertical_deg(q.hip, q.knee, floor)
        ev.signals.update(
            spine=spine,
            trunk_elev=q.trunk_elev,
            floor_deg=floor,
            arm_from_vertical=arm_v,
            thigh_from_vertical=thigh_v,
        )
        if frontal:
            reason = "front/back view: the back's shape needs a side view"
            for c in ("hands_not_under_shoulders", "knees_not_under_hips", "small_range"):
                ev.not_measurable(c, reason)
            return ev
        if not q.in_position:
            return ev
        lo = getattr(ctx, "neutral_lo_deg", -math.inf)
        hi = getattr(ctx, "neutral_hi_deg", math.inf)
        if lo < spine < hi:  # the neutral band: the spec measures here
            ev.judge("hands_not_under_shoulders", arm_v > p.arm_max_from_vertical_deg)
            ev.judge("knees_not_under_hips", thigh_v > p.thigh_max_from_vertical_deg)
            ev.signals["hands_not_under_shoulders"] = arm_v
            ev.signals["knees_not_under_hips"] = thigh_v
        return ev

    def _too_fast(self, ev: FrameEval) -> None:
        # cat_cow's too_fast is the duration of a phase (timed in step()); only the frame-rate
        # rule applies per frame
        reason = self.timing_reason(self.context)
        if reason is not None:
            ev.not_measurable("too_fast", reason)

    # ---- state machine ------------------------------------------------------------------
    def step(self, ev: FrameEval) -> None:
        p = self.params
        t = ev.t_s
        spine = ev.signals.get("spine", math.nan)
        if not ev.in_position or ev.view == "front" or not math.isfinite(spine):
            self.pause(t)
            return
        dt = self.context.frame_dt_s
        if not math.isfinite(dt):
            # first frame: whether one frame may switch a phase depends on the frame spacing,
            # known from the next frame on; hold this one until then
            self._held = (t, spine)
            return
        min_s = 0.0 if dt >= p.min_phase_s else p.min_phase_s
        self.cat.min_s = self.cow.min_s = min_s
        if self._held is not None:
            held, self._held = self._held, None
            self._advance(*held)
        self._advance(t, spine)

    def _advance(self, t: float, spine: float) -> None:
        p = self.params
        self._set_thresholds()
        in_cat = self.cat.update(spine, t)
        in_cow = self.cow.update(spine, t)
        phase = "cat" if in_cat else "cow" if in_cow else "neutral"
        if phase != "neutral":
            self._extreme(phase, t, spine)
            n = self.neutral_deg
            self.depth[phase] = max(self.depth[phase], abs(spine - n))
        # still frames between phases teach the person's neutral
        rec = self._recent
        rec.append((t, spine))
        while len(rec) > 1 and t - rec[1][0] >= p.still_s:
            rec.popleft()
        span = t - rec[0][0]
        if phase == "neutral" and span >= p.still_s * 0.9 and len(rec) >= 3:
            vals = [v for _, v in rec]
            if max(vals) - min(vals) <= p.still_max_deg:
                self._rest.append(spine)
        self.phase = phase
        self._range_window(t, spine)

    def _extreme(self, kind: str, t: float, value: float) -> None:
        """In ``kind`` at ``t``: follow its peak, or open a new extreme and count a cycle."""
        self._last_extreme_t = t
        cur = self._extremes[-1] if self._extremes else None
        if cur is not None and cur[0] == kind:
            if (value < cur[3]) if kind == "cat" else (value > cur[3]):
                cur[2], cur[3] = t, value
            return
        self._extremes.append([kind, t, t, value])
        if len(self._extremes) >= 3:
            # the previous two extremes are final now: judge the phase between them
            self._judge_phase(self._extremes[-3], self._extremes[-2])
        if len(self._extremes) % 2 == 0:  # a second, opposite extreme: one cat plus one cow
            first = self._extremes[-2]
            self.reps.append(
                Rep(len(self.reps) + 1, first[1], t, peak_s=first[2], kind=f"{first[0]}-{kind}")
            )

    def _judge_phase(self, a: list[Any], b: list[Any]) -> None:
        """The phase from extreme ``a`` to the opposite extreme ``b`` (both [kind, entered_s,
        peak_s, peak_value]): its duration (peak to peak) and its range of the proxy."""
        p = self.params
        rng = abs(b[3] - a[3])
        took = b[2] - a[2]
        self.ranges.append(rng)
        self.extra["phase_ranges_deg"] = [round(r, 1) for r in self.ranges]
        if rng < p.small_range_deg:
            # small_range is also judged per frame (and may be not measurable there): this
            # cycle's verdict leaves its measured state alone
            self.record_event("small_range", a[2], b[2], rng, worst_s=b[2])
            for rep in self.reps:
                if rep.start_s <= b[1] <= rep.end_s + 1e-9 and "small_range" not in rep.faults:
                    rep.good = False
                    rep.faults.append("small_range")
        if self.timing_ok():
            self.extra.setdefault("phase_durations_s", []).append(round(took, 2))
            self.judge_min_duration("too_fast", a[2], b[2], took, p.min_phase_duration_s)

    def _range_window(self, t: float, spine: float) -> None:
        p = self.params
        w = self._window
        w.append((t, spine))
        while w and t - w[0][0] > p.range_window_s:
            w.popleft()
        if not w or t - w[0][0] < p.range_window_s * 0.95:
            return
        if self._last_extreme_t is not None and t - self._last_extreme_t <= p.range_window_s:
            self.tracker.update("small_range", False, t, self.cue("small_range"))
            return
        vals = [v for _, v in w]
        rng = max(vals) - min(vals)
        small = p.moving_min_deg <= rng < p.small_range_deg
        self.tracker.update(
            "small_range", small, t, self.cue("small_range"), value=rng, worse="min"
        )

    def pause(self, t_s: float) -> None:
        self._window.clear()
        self._recent.clear()

    def finish(self) -> None:
        if self._held is not None:  # a one-frame stream
            self._advance(*self._held)
            self._held = None
        if len(self._extremes) >= 2:
            self._judge_phase(self._extremes[-2], self._extremes[-1])
        self.extra["cycles"] = len(self.reps)

    def live_status(self) -> tuple[float | None, float | None, str]:
        return None, None, self.phase
