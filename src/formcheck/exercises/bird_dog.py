"""Bird-Dog: on hands and knees, extend one arm forward and the opposite leg back, both parallel
to the floor, hold a few seconds, return, alternate. Camera at the side (hip rotation is seen
only from behind or in front).

**Which limb is lifted.** Per side, the arm's lift is the elevation of the upper arm
(shoulder->elbow, seen even when the hand is cropped off, bird_dog_02) above the floor line, the
leg's the larger of the thigh's (hip->knee) and the whole leg's (hip->ankle) elevation. On all
fours these read -64..-90 (arms) and -36..-53 (legs); lifted -35..+14 and -27..+25.

**Relative to the person's own rest.** The thresholds are lifts above the person's own
all-fours position: the rest elevation of arms and legs is the median of the person's recent
still frames on all fours with nothing lifted - a limb on its way up is not at rest - (before
any, an anatomical prior; always within an anatomical band, so a hand hovering above the mat
or a clip that starts mid-extension cannot move it far). An extension starts when an arm or a
leg rises ``*_lift_on_deg`` above its rest; both are down again below ``off`` = ``on`` minus a
hysteresis band that is the larger of a minimum and a fraction of the lift range the person
has shown in earlier extensions (with a minimum time past each threshold, so jitter never adds
a rep), and the extension ends once both have stayed down ``return_settle_s`` (a limb lowered
in two movements is one return).
A completed extension is one rep, named after the arm: left arm + right leg = ``left_arm`` (a
leg-only lift is named after the arm that should have gone with it).

**Heights.** Arm height is the shoulder->wrist elevation, leg height the hip->ankle elevation,
measured only while the wrist/ankle lies clearly inside the frame (else ``not_measurable``).
``leg_too_high`` is judged every frame of an extension; ``arm_too_low`` and ``leg_too_low`` on
the highest point of each extension ("stays below").

**Floor.** See :mod:`formcheck.exercises.families.quadruped`: the line through all four contacts,
taken from frames with all four down and held while limbs are lifted.

**Back.** ``back_sag`` has no spine landmarks to use: it is the change of the trunk line
(hip->shoulder) against the floor during an extension, relative to the same person's all-fours
frames - a back that sags or arches tips the shoulder-hip line.

**Hip rotation** needs a front/back view (the hip line then lies across the image): the hip
line's tilt against the floor line from the knee and wrist pairs. From the side the hip line
points at the camera, and the check says ``not_measurable``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from formcheck.core.pose import Landmark, Pose, side_landmark
from formcheck.core.results import Hold, Rep
from formcheck.core.view import body_yaw_deg
from formcheck.exercises.families.base import FrameEval, HoldTimer, Hysteresis
from formcheck.exercises.families.quadruped import (
    AllFoursParams,
    FloorAnalyzer,
    FloorContext,
    FloorParams,
    FloorTracker,
    Point,
    elevation_deg,
    finite,
    other,
    pt,
    quadruped_floor_deg,
    read_all_fours,
    seg_deg,
    spt,
)

SIDES = ("left", "right")


@dataclass(frozen=True)
class BirdDogContext(FloorContext):
    """Per-frame context plus the person's current lift thresholds (elevation, deg)."""

    arm_on_deg: float = math.nan
    leg_on_deg: float = math.nan


@dataclass(frozen=True)
class BirdDogParams:
    """Provenance: *spec* (spec/EXERCISES.md), *anatomy*, *design* (timing choices against
    jitter), or *clips* - bird_dog_01, _02, _03 and _11 are four different people; angles are
    elevations above the floor line (deg), full model, OneEuro-smoothed."""

    #: rest elevations before the person's own have been seen (deg). Anatomy: on all fours
    #: the upper arm hangs vertical (-90) and the hip->ankle line slopes ~-40 (thigh vertical,
    #: shin on the mat). Clips (3 people seen on all fours): the rest the analyzer learns is
    #: arm -85.3 / -68.0 (a hand hovering above the mat) / -82.4, leg -41.4 / -38.9 / -39.1
    #: (bird_dog_01 / _02 / _11).
    arm_rest_prior_deg: float = -85.0
    leg_rest_prior_deg: float = -41.0
    #: the learned rest stays in these bands (deg). Anatomy: past -60 the resting hand is
    #: already lifting; a leg resting on the knee slopes -30..-48 for thighs within 15 deg of
    #: vertical. Clips (3 people): arm -68.0..-85.3 (margin 8), legs -38.9..-41.4 (margin 6.6).
    arm_rest_band: tuple[float, float] = (-90.0, -60.0)
    leg_rest_band: tuple[float, float] = (-48.0, -30.0)
    #: the rest is learned only from still frames: the limb's lift changed less than
    #: ``rest_still_deg`` over the last ``rest_still_s`` (design: 3 times the smoothed jitter of
    #: ~2 deg; a controlled lift rises 50-100 deg/s, clips: bird_dog_01/_02/_11, so a limb on
    #: its way up moves 15-30 deg in 0.3 s and is never taken for the rest - without this,
    #: bird_dog_02 rolled -8 deg learned its rising arm as the rest, and the threshold
    #: climbed away ahead of the arm)
    rest_still_s: float = 0.3
    rest_still_deg: float = 6.0
    #: an arm is lifted when its upper arm rises this far above the person's rest (deg).
    #: Anatomy: a third of the way to horizontal, more than a hand hovering above the mat.
    #: Clips (3 people with reps): extension peaks +33..+95 above rest (nearest bird_dog_02
    #: rep 2, +33: margin 3 - its reps are carried by the leg anyway; bird_dog_11 rep 2 keeps
    #: the arm down, a leg-led rep).
    arm_lift_on_deg: float = 30.0
    #: a leg is lifted when it rises this far above its rest (deg). Anatomy: shifting weight
    #: on all fours tips the hip->ankle line under ~10 deg. Clips (3 people with reps):
    #: extension peaks +35..+50 above rest (nearest bird_dog_02 rep 2 +34.7: margin 18.7).
    leg_lift_on_deg: float = 16.0
    #: hysteresis: a lifted limb is down again below ``on`` minus the larger of these minimums
    #: (deg; design: 3-5 times the smoothed jitter of ~2 deg) and ``hyst_frac`` of the largest
    #: lift the person has made with that limb so far (design: a large mover's slow return is
    #: one return, not a flicker around ``on``; clips: ranges 33-95 arm, 35-50 leg give
    #: 5-14 deg).
    arm_hyst_min_deg: float = 10.0
    leg_hyst_min_deg: float = 7.0
    hyst_frac: float = 0.15
    #: both limbs down this long (s) ends an extension; a limb that rises again sooner is
    #: still the same extension (design: a leg lowered in two movements - the knee first,
    #: the foot after, or a dip and a last push - is one return; clips: the shortest time
    #: on all fours between two reps is 1.5 s, bird_dog_02 6.4-7.9 s: margin 1.0 s; the
    #: far leg of bird_dog_11, rolled +8 deg, dips below ``off`` for 0.27 s on its way down)
    return_settle_s: float = 0.5
    #: out of position this long (s) ends an extension without a rep; shorter is a misread
    #: frame (a lifted limb briefly hiding the supporting one) and pauses the hold instead
    #: (design; bird_dog_11 has one such 0.2 s misread at 1.4 s)
    position_grace_s: float = 0.5
    #: a threshold must stay passed this long before a limb counts as up or down (s; design:
    #: jitter lasts a frame or two)
    switch_min_s: float = 0.2
    #: an extension shorter than this is not a rep (s; design: jitter, or shifting weight; the
    #: shortest labelled extension lasts 1.3 s, bird_dog_02)
    min_extension_s: float = 0.5
    #: the hold is the time with every lifted limb near the top: arm line (or upper arm where
    #: the hand is cropped) above ``arm_top_deg`` and leg line above ``leg_top_deg``. Spec: the
    #: target is parallel to the floor; these bands are "within 40 / 30 deg of it". Clips
    #: (1 person, the only one with labelled short holds): bird_dog_02 (holds 1.2-2.3, 4.8-5.9,
    #: 7.8-9.0 s) reads -27..-39 on its upper arm there; -40 finds 1.4-2.2, 5.1-6.1, 7.9-8.9 s
    #: (-35 split the second hold in two). A lift that never reaches the band is no rep (a
    #: hand hovering at rest, bird_dog_02 at the start: -60, -52 with the camera rolled 8 deg).
    arm_top_deg: float = -40.0
    leg_top_deg: float = -30.0
    #: short dips out of the top are part of the hold (s; design)
    hold_release_s: float = 0.3
    #: spec: the extended position held less than about 2 s
    hold_min_s: float = 2.0
    #: spec: the lifted leg more than about 15 deg above horizontal. Clips (2 people):
    #: bird_dog_03 (labelled leg_too_high, hip-ankle ~24 deg) reads +24..+25 (margin 9);
    #: bird_dog_01 (fine) peaks at +6.4 (margin 8.6).
    leg_too_high_deg: float = 15.0
    #: spec: the extended leg / arm stays more than about 20 deg below horizontal. Clips:
    #: bird_dog_01 (fine) peaks arm +15.8, leg +6.4 (margins 35.8, 26.4); bird_dog_11's rep 1
    #: arm (hand at the frame edge, labelled not judged) peaks -21.2.
    leg_too_low_deg: float = -20.0
    arm_too_low_deg: float = -20.0
    #: a height is judged on an extension only if the wrist/ankle was measurable in at least
    #: this share of its top frames (design: half)
    min_measured_share: float = 0.5
    #: spec: the hip line tilting more than about 10 deg (front/back view; no clip has one)
    hip_rotation_deg: float = 10.0
    #: spec: the trunk line bending beyond about 15 deg; here the trunk line's change from
    #: the person's own all-fours frames. Clips (3 people): bird_dog_01 +1.6..+9.2, bird_dog_02
    #: -1.0..+2.5, bird_dog_11 -8.5..+6.7 (margin 5.8; all labelled no back_sag or unjudged).
    back_sag_deg: float = 15.0
    #: views (formcheck.core.view yaw, 90 = side): from this yaw up the heights are measured
    #: (clips, 4 people: bird_dog_03, the most oblique side clip, reads 61: margin 21); up to
    #: ``front_max_yaw_deg`` the view is front/back and hip rotation is measured (anatomy: the
    #: hip line within 25 deg of the image plane); in between neither: wrong_view.
    side_min_yaw_deg: float = 40.0
    front_max_yaw_deg: float = 25.0
    #: too_fast: upper-arm / leg elevation speed (deg/s) sustained over the base's 0.2 s window.
    #: Spec start 120. Clips (2 people timed, bird_dog_01 and _02): controlled lifts peak at
    #: 90-96 (margin 54); 150 leaves room for a brisk but controlled lift (a flung arm reads 300+).
    too_fast_deg_s: float = 150.0
    floor: FloorParams = field(default_factory=FloorParams)
    all_fours: AllFoursParams = field(default_factory=AllFoursParams)


@dataclass
class _Extension:
    start_s: float
    arm_side: str | None = None
    leg_side: str | None = None
    arm_peak_lift: float = -math.inf
    leg_peak_lift: float = -math.inf
    arm_peak: float = -math.inf  # arm line (shoulder->wrist) at its highest, measured frames
    arm_peak_s: float | None = None
    leg_peak: float = -math.inf
    leg_peak_s: float | None = None
    arm_top_frames: int = 0
    arm_measured: int = 0
    leg_top_frames: int = 0
    leg_measured: int = 0
    #: time at the top (s), frames with no pose not counted
    top_s: float = 0.0
    #: whether a lifted limb ever came near the top (into the hold band)
    reached_top: bool = False
    #: when both limbs came down (s); None while a limb is up
    down_s: float | None = None
    faults: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Limbs:
    """One frame's limb reading (:meth:`BirdDogAnalyzer._read_limbs`)."""

    #: lift (deg above the floor line) per limb and side: arm_left, ..., leg_right
    lifts: dict[str, float]
    #: the side of the arm / leg lifted the most, and its lift
    arm_side: str
    leg_side: str
    arm_lift: float
    leg_lift: float
    arm_up: bool
    leg_up: bool
    #: heights (deg) of the lifted arm / leg, NaN where the hand / foot is not clearly seen
    arm_h: float
    leg_h: float


class BirdDogAnalyzer(FloorAnalyzer[BirdDogParams]):
    exercise_id = "bird_dog"
    Params = BirdDogParams

    def reset(self) -> None:
        super().reset()
        p = self.params
        self.floor_tracker = FloorTracker()
        self.trunk_tracker = FloorTracker()
        #: the person's rest elevations (median of recent all-fours frames) and the largest
        #: lift above rest made so far, per limb
        self.rest = {"arm": FloorTracker(n=90), "leg": FloorTracker(n=90)}
        self.lift_range = {"arm": 0.0, "leg": 0.0}
        #: (t, arm lift, leg lift) of the last ``rest_still_s``: which limbs are still
        self._recent: deque[tuple[float, float, float]] = deque()
        arm_on, arm_off = self._thresholds("arm")
        leg_on, leg_off = self._thresholds("leg")
        self.arm = Hysteresis(arm_on, arm_off, rising=True, min_s=p.switch_min_s)
        self.leg = Hysteresis(leg_on, leg_off, rising=True, min_s=p.switch_min_s)
        self.timer = HoldTimer(release_s=p.hold_release_s)
        self.ext: _Extension | None = None
        self.phase = "all fours"
        self._prev_t: float | None = None
        self._out_since: float | None = None

    # ---- per frame ----------------------------------------------------------------------
    def required_landmarks(self, side: str) -> list[Landmark]:
        return [side_landmark(side, n) for n in ("shoulder", "elbow", "hip", "knee")]

    def frame_landmarks(self, side: str) -> list[Landmark]:
        return self.required_landmarks(side) + [
            Landmark.LEFT_WRIST,
            Landmark.RIGHT_WRIST,
            Landmark.LEFT_ANKLE,
            Landmark.RIGHT_ANKLE,
        ]

    def signal_thresholds(self) -> dict[str, list[tuple[float, str]]]:
        p = self.params
        return {
            "arm_lift": [(self.arm.on, "arm up"), (self.arm.off, "arm down")],
            "leg_lift": [(self.leg.on, "leg up"), (self.leg.off, "leg down")],
            "leg_height": [
                (p.leg_too_high_deg, "leg_too_high"),
                (p.leg_too_low_deg, "leg_too_low"),
            ],
            "arm_height": [(p.arm_too_low_deg, "arm_too_low")],
            "trunk_change": [(p.back_sag_deg, "back_sag"), (-p.back_sag_deg, "back_sag")],
            "hip_tilt": [(p.hip_rotation_deg, "hip_rotation")],
        }

    def _view(self, pose: Pose) -> tuple[str, float]:
        """('side' | 'front' | 'oblique' | 'unknown', yaw deg); see BirdDogParams."""
        p = self.params
        yaw = body_yaw_deg(pose)
        if not math.isfinite(yaw):
            return "unknown", yaw
        if yaw >= p.side_min_yaw_deg:
            return "side", yaw
        return ("front" if yaw <= p.front_max_yaw_deg else "oblique"), yaw

    def _lifts(self, pose: Pose, floor: float) -> dict[str, float]:
        """Upper-arm and leg lift (deg above the floor line) per side."""
        out: dict[str, float] = {}
        for s in SIDES:
            out[f"arm_{s}"] = elevation_deg(spt(pose, s, "shoulder"), spt(pose, s, "elbow"), floor)
            hip = spt(pose, s, "hip")
            th = elevation_deg(hip, spt(pose, s, "knee"), floor)
            whole = elevation_deg(hip, spt(pose, s, "ankle"), floor)
            vals = [v for v in (th, whole) if math.isfinite(v)]
            out[f"leg_{s}"] = max(vals) if vals else math.nan
        return out

    def next_context(self, pose: Pose, dt: float) -> FloorContext:
        """Learn the floor line and the all-fours trunk line from frames with all four limbs
        down (read against the floor known so far)."""
        p = self.params
        view, _ = self._view(pose)
        frontal = view == "front"
        known = self.floor_tracker.value
        lifts = self._lifts(pose, known if known is not None else 0.0)
        down = all(
            math.isfinite(lifts[f"arm_{s}"])
            and lifts[f"arm_{s}"] < self.arm.on
            and math.isfinite(lifts[f"leg_{s}"])
            and lifts[f"leg_{s}"] < self.leg.on
            for s in SIDES
        )
        if down and view in ("side", "front"):
            tilt = self.fp.max_tilt_deg
            floor = max(-tilt, min(tilt, quadruped_floor_deg(pose, frontal)))
            q = read_all_fours(pose, pose.near_side(), floor, p.all_fours, frontal)
            if q.in_position:
                self.floor_tracker.add(floor)
                if not frontal:
                    self.trunk_tracker.add(q.trunk_elev)
        return BirdDogContext(self.floor_tracker.value, self.trunk_tracker.value, dt,
                              arm_on_deg=self.arm.on, leg_on_deg=self.leg.on)

    def rest_deg(self, limb: str) -> float:
        """The person's rest elevation of ``limb`` ('arm' or 'leg'), see the module docstring."""
        p = self.params
        prior = p.arm_rest_prior_deg if limb == "arm" else p.leg_rest_prior_deg
        lo, hi = p.arm_rest_band if limb == "arm" else p.leg_rest_band
        v = self.rest[limb].value
        return min(hi, max(lo, prior if v is None else v))

    def _thresholds(self, limb: str) -> tuple[float, float]:
        """(on, off) elevations of ``limb`` from the person's rest and lift range."""
        p = self.params
        lift = p.arm_lift_on_deg if limb == "arm" else p.leg_lift_on_deg
        band = p.arm_hyst_min_deg if limb == "arm" else p.leg_hyst_min_deg
        on = self.rest_deg(limb) + lift
        return on, on - max(band, p.hyst_frac * self.lift_range[limb])

    def evaluate(self, pose: Pose, ctx: FloorContext | None = None) -> FrameEval:
        """Score one pose (pure given ``ctx``; the analyzer's current context by default)."""
        p = self.params
        ctx = ctx or self.context
        side = pose.near_side()
        ev = FrameEval(pose.timestamp_ms / 1000.0, side=side)
        view = self._judge_view(pose, ev)
        self.cut_off(pose, side, ev)
        frontal = view == "front"
        # the floor of earlier all-fours frames; before any, a level camera (module docstring)
        floor = ctx.floor_deg if ctx.floor_deg is not None else 0.0
        q = read_all_fours(pose, side, floor, p.all_fours, frontal)
        ev.in_position = q.in_position
        limbs = self._read_limbs(pose, ctx, floor)
        ev.signals.update(
            arm_lift=limbs.arm_lift,
            leg_lift=limbs.leg_lift,
            floor_deg=floor,
            trunk_elev=q.trunk_elev,
            arm_side=0.0 if limbs.arm_side == "left" else 1.0,
            leg_side=0.0 if limbs.leg_side == "left" else 1.0,
        )
        # heights of the lifted limbs, where the hand / foot is clearly in the frame
        ev.signals["arm_height"], ev.signals["leg_height"] = limbs.arm_h, limbs.leg_h
        if not q.in_position:
            return ev
        ev.motion.update({k: v for k, v in limbs.lifts.items() if math.isfinite(v)})
        self._judge_hip_rotation(pose, view, floor, ev)
        if view != "side":  # limb lifts and heights are read in a side view only
            return ev
        self._judge_extension(limbs, ctx, q.trunk_elev, ev)
        return ev

    def _judge_view(self, pose: Pose, ev: FrameEval) -> str:
        """The camera view (see :meth:`_view`): its yaw signal and the ``wrong_view`` check."""
        view, ev.signals["yaw"] = self._view(pose)
        ev.view = view
        if view == "unknown":
            ev.not_measurable("wrong_view", "shoulder and hip lines not found")
        else:
            ev.judge("wrong_view", view == "oblique")
        return view

    def _read_limbs(self, pose: Pose, ctx: FloorContext, floor: float) -> _Limbs:
        """Which arm and which leg are lifted the most, whether they are up, and their
        heights."""
        p = self.params
        lifts = self._lifts(pose, floor)
        arm_side = max(SIDES, key=lambda s: _nz(lifts[f"arm_{s}"]))
        leg_side = max(SIDES, key=lambda s: _nz(lifts[f"leg_{s}"]))
        arm_lift, leg_lift = lifts[f"arm_{arm_side}"], lifts[f"leg_{leg_side}"]
        arm_on = getattr(ctx, "arm_on_deg", p.arm_rest_prior_deg + p.arm_lift_on_deg)
        leg_on = getattr(ctx, "leg_on_deg", p.leg_rest_prior_deg + p.leg_lift_on_deg)
        return _Limbs(
            lifts,
            arm_side,
            leg_side,
            arm_lift,
            leg_lift,
            arm_up=arm_lift > arm_on,
            leg_up=leg_lift > leg_on,
            arm_h=self._height(pose, arm_side, "shoulder", "wrist", floor),
            leg_h=self._height(pose, leg_side, "hip", "ankle", floor),
        )

    def _judge_hip_rotation(self, pose: Pose, view: str, floor: float, ev: FrameEval) -> None:
        """hip_rotation from a front/back view; there, the limb heights and the back are not
        measurable."""
        if view != "front":
            ev.not_measurable(
                "hip_rotation",
                f"{view} view: the hip line points at the camera; film from behind or in "
                "front to see the pelvis roll",
            )
            return
        tilt = _line_tilt(pt(pose, Landmark.LEFT_HIP), pt(pose, Landmark.RIGHT_HIP), floor)
        ev.signals["hip_tilt"] = tilt
        if math.isfinite(tilt):
            ev.judge("hip_rotation", tilt > self.params.hip_rotation_deg)
            ev.signals["hip_rotation"] = tilt
        reason = "front/back view: limb heights and the back need a side view"
        for c in ("leg_too_high", "back_sag"):
            ev.not_measurable(c, reason)

    def _judge_extension(self, limbs: _Limbs, ctx: FloorContext, trunk_elev: float,
                         ev: FrameEval) -> None:
        """Side view, limbs lifted: same_side, leg_too_high and back_sag."""
        p = self.params
        if limbs.arm_up and limbs.leg_up:
            ev.judge("same_side", limbs.arm_side == limbs.leg_side)
        if limbs.leg_up:
            if math.isfinite(limbs.leg_h):
                ev.judge("leg_too_high", limbs.leg_h > p.leg_too_high_deg)
                ev.signals["leg_too_high"] = limbs.leg_h
            else:
                ev.not_measurable("leg_too_high", "the lifted foot is out of the frame")
        if limbs.arm_up or limbs.leg_up:
            if ctx.neutral_trunk_deg is None:
                ev.not_measurable("back_sag", "no all-fours frame yet to compare the back with")
            else:
                change = trunk_elev - ctx.neutral_trunk_deg
                ev.signals["trunk_change"] = change
                ev.judge("back_sag", abs(change) > p.back_sag_deg)
                ev.signals["back_sag"] = abs(change)

    def _height(self, pose: Pose, side: str, root: str, end: str, floor: float) -> float:
        lm = side_landmark(side, end)
        x, y = float(pose.image[lm, 0]), float(pose.image[lm, 1])
        inside = 0.01 <= x <= 0.99 and 0.01 <= y <= 0.99 and pose.vis(lm) >= 0.3
        if not inside:
            return math.nan
        return elevation_deg(spt(pose, side, root), pt(pose, lm), floor)

    # ---- state machine ------------------------------------------------------------------
    def step(self, ev: FrameEval) -> None:
        p = self.params
        t = ev.t_s
        dt = self.context.frame_dt_s
        min_s = 0.0 if math.isfinite(dt) and dt >= p.switch_min_s else p.switch_min_s
        self.arm.min_s = self.leg.min_s = min_s
        if not ev.in_position:
            self._out_of_position(t)
            return
        self._out_since = None
        s = ev.signals
        self._remember(s, t)
        self.arm.on, self.arm.off = self._thresholds("arm")
        self.leg.on, self.leg.off = self._thresholds("leg")
        arm_up = self.arm.update(s["arm_lift"], t)
        leg_up = self.leg.update(s["leg_lift"], t)
        if not (arm_up or leg_up):
            self._at_rest(s, t)
            return
        if self.ext is None:
            self.ext = _Extension(t)
        e = self.ext
        e.down_s = None  # a limb rose again before the return settled: the same extension
        at_top = self._follow_extension(e, s, arm_up, leg_up, t)
        posture = ("same_side", "leg_too_high", "back_sag", "hip_rotation")
        good = not any(ev.is_fault(c) for c in posture)
        ended = self.timer.update(t, at_top, good)
        if ended is not None:
            self._record_hold(ended)
        prev, self._prev_t = self._prev_t, t
        if at_top:
            e.reached_top = True
            e.top_s += self.frame_step_s(t, prev)
        name = f"{self._rep_side(e)}".replace("_", " ")
        self.phase = f"hold {name}" if self.timer.active else f"extending {name}"

    def _out_of_position(self, t: float) -> None:
        """Not on all fours this frame: wait a moment mid-extension, else end it."""
        if self._out_since is None:
            self._out_since = t
        if self.ext is not None and t - self._out_since < self.params.position_grace_s:
            self.pause(t)  # a frame or two misread mid-extension: wait
            return
        self._prev_t = t
        e = self.ext
        if e is not None and e.down_s is not None:  # both limbs were down already
            self._end_extension(e.down_s, completed=True)
        self._end_extension(t, completed=False)
        self.arm.state = self.leg.state = False
        self.phase = "not in position"

    def _at_rest(self, s: dict[str, float], t: float) -> None:
        """On all fours with nothing lifted: an extension ends once the return has settled
        (``return_settle_s``); learn the person's rest."""
        self._prev_t = t
        e = self.ext
        if e is not None:
            if e.down_s is None:
                e.down_s = t
                ended = self.timer.close()
                if ended is not None:
                    self._record_hold(ended)
            if t - e.down_s >= self.params.return_settle_s:
                self._end_extension(e.down_s, completed=True)
        self.phase = "all fours"
        # all fours with nothing lifted: the person's own rest. (Below ``on``, not
        # ``off``: before the floor is known a camera rolled 8 deg reads a resting leg
        # past ``off``, and the rest must be learned to correct for it.)
        if s["arm_lift"] < self.arm.on and s["leg_lift"] < self.leg.on:
            arm_still, leg_still = self._still()
            if arm_still:
                self.rest["arm"].add(s["arm_lift"])
            if leg_still:
                self.rest["leg"].add(s["leg_lift"])

    def _remember(self, s: dict[str, float], t: float) -> None:
        """Keep the last ``rest_still_s`` of limb lifts (for :meth:`_still`)."""
        self._recent.append((t, s["arm_lift"], s["leg_lift"]))
        while self._recent and t - self._recent[0][0] > self.params.rest_still_s:
            self._recent.popleft()

    def _still(self) -> tuple[bool, bool]:
        """Whether the arm and the leg have stayed within ``rest_still_deg`` over the last
        ``rest_still_s`` (a limb on its way up or down is not at rest)."""
        p = self.params
        if not self._recent or self._recent[-1][0] - self._recent[0][0] < 0.5 * p.rest_still_s:
            return False, False
        out = []
        for i in (1, 2):
            vals = [r[i] for r in self._recent if math.isfinite(r[i])]
            out.append(len(vals) >= 2 and max(vals) - min(vals) < p.rest_still_deg)
        return out[0], out[1]

    def _follow_extension(self, e: _Extension, s: dict[str, float], arm_up: bool, leg_up: bool,
                          t: float) -> bool:
        """Update the extension's peaks and frames at the top; whether it is at the top."""
        p = self.params
        arm_side = "left" if s["arm_side"] == 0.0 else "right"
        leg_side = "left" if s["leg_side"] == 0.0 else "right"
        if arm_up and s["arm_lift"] > e.arm_peak_lift:
            e.arm_peak_lift, e.arm_side = s["arm_lift"], arm_side
        if leg_up and s["leg_lift"] > e.leg_peak_lift:
            e.leg_peak_lift, e.leg_side = s["leg_lift"], leg_side
        arm_h, leg_h = s.get("arm_height", math.nan), s.get("leg_height", math.nan)
        arm_level = arm_h if math.isfinite(arm_h) else s["arm_lift"]
        leg_level = leg_h if math.isfinite(leg_h) else s["leg_lift"]
        arm_top = not arm_up or arm_level >= p.arm_top_deg
        leg_top = not leg_up or leg_level >= p.leg_top_deg
        at_top = arm_top and leg_top
        if at_top and arm_up:
            e.arm_top_frames += 1
            if math.isfinite(arm_h):
                e.arm_measured += 1
                if arm_h > e.arm_peak:
                    e.arm_peak, e.arm_peak_s = arm_h, t
        if at_top and leg_up:
            e.leg_top_frames += 1
            if math.isfinite(leg_h):
                e.leg_measured += 1
                if leg_h > e.leg_peak:
                    e.leg_peak, e.leg_peak_s = leg_h, t
        return at_top

    def _rep_side(self, e: _Extension) -> str:
        if e.arm_side is not None:
            return f"{e.arm_side}_arm"
        if e.leg_side is not None:
            return f"{other(e.leg_side)}_arm"
        return "unknown"

    def _record_hold(self, hold: Hold) -> None:
        if self.ext is not None:
            hold.side = self._rep_side(self.ext)
        self.holds.append(hold)

    def _end_extension(self, t: float, completed: bool) -> None:
        """Both limbs are down (``completed``) or the position was lost: close the extension,
        judge it, and count a rep if it was a real one."""
        e = self.ext
        if e is None:
            return
        ended = self.timer.close()
        if ended is not None:
            self._record_hold(ended)
        self.ext = None
        if t - e.start_s < self.params.min_extension_s:
            return
        for limb, peak in (("arm", e.arm_peak_lift), ("leg", e.leg_peak_lift)):
            if math.isfinite(peak):
                self.lift_range[limb] = max(self.lift_range[limb], peak - self.rest_deg(limb))
        self._judge_heights(e, t)
        if not completed or not e.reached_top:
            # a lift that never came near horizontal (a hand hovering, weight shifting) is no
            # extension: no rep, no hold to judge
            return
        p = self.params
        side = self._rep_side(e)
        if self.timing_ok():
            if self.judge_min_duration("hold_too_short", e.start_s, t, e.top_s, p.hold_min_s,
                                       side=side):
                e.faults.add("hold_too_short")
        elif "hold_too_short" not in self.measured:
            self.not_measurable["hold_too_short"] = self.timing_reason(self.context) or ""
        rep = Rep(
            len(self.reps) + 1,
            e.start_s,
            t,
            peak_s=e.arm_peak_s or e.leg_peak_s,
            side=side,
            hold_s=round(e.top_s, 3),
            good=not e.faults,
            faults=sorted(e.faults),
        )
        if self.reps and self.reps[-1].side != side:
            self.extra["alternations"] = self.extra.get("alternations", 0) + 1
        self.reps.append(rep)

    def _judge_heights(self, e: _Extension, t: float) -> None:
        """arm_too_low / leg_too_low on the highest point of the extension."""
        p = self.params
        for limb, peak, peak_s, top, measured, limit in (
            ("arm", e.arm_peak, e.arm_peak_s, e.arm_top_frames, e.arm_measured, p.arm_too_low_deg),
            ("leg", e.leg_peak, e.leg_peak_s, e.leg_top_frames, e.leg_measured, p.leg_too_low_deg),
        ):
            check = f"{limb}_too_low"
            lifted = e.arm_side is not None if limb == "arm" else e.leg_side is not None
            if not lifted:
                continue
            if top == 0 or measured < p.min_measured_share * top:
                where = "hand" if limb == "arm" else "foot"
                self.mark_unmeasurable(check, f"the extended {where} is out of the frame")
                continue
            self.mark_measured(check)
            if peak < limit:
                e.faults.add(check)
                self.record_event(check, e.start_s, t, peak, worst_s=peak_s)

    def pause(self, t_s: float) -> None:
        """No usable pose: the hold timer stops (it neither advances nor ends)."""
        self.timer.pause(t_s)
        self._prev_t = None

    def finish(self) -> None:
        # an extension still going at the end is not a completed rep, but its heights count;
        # one whose limbs were both down already is complete, and so is one whose limbs were
        # both past ``off`` when the stream ended (the return was under way and the stream
        # ended before ``switch_min_s`` could confirm it: a clip cut right after the return)
        e = self.ext
        if e is not None:
            down = e.down_s if e.down_s is not None else self._returning_since()
            self._end_extension(down if down is not None else self.t_last,
                                completed=down is not None)
        counts = self.rep_counts()
        self.extra["reps_per_side"] = {k: v for k, v in counts.items() if k != "total"}
        self.extra.setdefault("alternations", 0)

    def _returning_since(self) -> float | None:
        """Since when both limbs have been down or past ``off`` on their way down (s);
        None while either is up."""
        arm, leg = self.arm.off_since(), self.leg.off_since()
        if arm is None or leg is None:
            return None
        since = max(arm, leg)
        return since if math.isfinite(since) else self.t_last

    def live_status(self) -> tuple[float | None, float | None, str]:
        p = self.params
        return self.timer.current_good_s, p.hold_min_s, self.phase


def _nz(v: float) -> float:
    return v if math.isfinite(v) else -math.inf


def _line_tilt(a: Point, b: Point, floor: float) -> float:
    """Unsigned angle (deg, 0-90) of the line a-b against the floor line."""
    if not finite(a, b):
        return math.nan
    d = (seg_deg(a, b) - floor + 90.0) % 180.0 - 90.0
    return abs(d)
