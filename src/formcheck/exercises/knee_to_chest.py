"""Single Knee-to-Chest: lying on the back, pull one knee toward the chest with the other foot
on the floor, hold 15-30 s, then the other side. Camera at the side.

Per leg, ``hip_flex_<side>`` is the angle between the trunk (near hip -> near shoulder) and
that leg's thigh (hip -> knee), degrees: a knee pulled to the chest closes it to 45-80 deg
(knee_to_chest_01), lying with the knees bent reads 115-135 (pelvic_tilt_01,
glute_bridge_01), a straight leg 165-171. The held leg is the one with the angle under the
hold threshold (per-leg hysteresis, so jitter never splits a hold); its side is the person's
own side. Both legs are measured even from the side: MediaPipe places the far leg, and it is
used only where its visibility is at least ``LyingParams.aux_visibility``.

The other checks are measured against the **back line** (near shoulder -> near hip): lying on
the back both joint centres sit at about the same height above the mat, so the line runs
parallel to the floor whichever way the camera is tilted, and a hold (which rotates the
pelvis) does not move it much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from formcheck.core.geometry import Point, floor_angle_from_points
from formcheck.core.pose import Landmark, Pose, side_landmark
from formcheck.core.results import Hold, Rep
from formcheck.exercises.families.base import FrameEval, HoldTimer, Hysteresis
from formcheck.exercises.families.lying import (
    LyingAnalyzer,
    LyingParams,
    bend_above_line,
    dist,
    offset_above_line,
    pt,
    up_vec,
)

SIDES = ("left", "right")
_OTHER = {"left": "right", "right": "left"}


def _vec_angle(
    o1: tuple[float, float],
    p1: tuple[float, float],
    o2: tuple[float, float],
    p2: tuple[float, float],
) -> float:
    """Angle (deg, 0-180) between the vectors o1->p1 and o2->p2; NaN if degenerate."""
    ax, ay = p1[0] - o1[0], p1[1] - o1[1]
    bx, by = p2[0] - o2[0], p2[1] - o2[1]
    n = math.hypot(ax, ay) * math.hypot(bx, by)
    if not n > 1e-9:
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, (ax * bx + ay * by) / n))))


@dataclass(frozen=True)
class KneeToChestParams:
    """Provenance of each number: [spec] EXERCISES.md; [anatomy] what a body can do;
    [clips: people] measured on the labelled clips (how many different people, and the margin
    to the nearest clip); [signal] debounce and time constants of the signal processing.

    The hold is a position with an anatomical definition (the knee pulled past the
    perpendicular to the trunk), not a small swing, so it is read against fixed angles; a
    hold already under way when the stream opens is counted but its length not judged."""

    #: [anatomy] a leg is held to the chest when its trunk-thigh angle drops below this (deg):
    #: the thigh past perpendicular to the trunk, hip flexed over 85 deg. [clips: 2 people]
    #: held knees measure 35-84 (knee_to_chest_11 35-41, knee_to_chest_01 56-84): margin 11.
    hold_enter_deg: float = 95.0
    #: [clips: 6 people] ... and released when it opens past this (hysteresis): lying with
    #: bent knees reads 119-143 (pelvic_tilt_01, _11, glute_bridge_01, _11, _14,
    #: knee_to_chest_11's resting leg): margin 14 deg.
    hold_exit_deg: float = 105.0
    #: [signal] the angle must stay past a threshold this long before the state switches (s)
    switch_min_s: float = 0.3
    #: [signal] shorter holds are passes through the position, not holds (s)
    min_hold_s: float = 1.0
    #: [spec] the stretch released before 15 s is hold_too_short (also the live hold target)
    hold_min_s: float = 15.0
    #: [anatomy] opposite_leg_lifted: the other heel's height above the back line, in trunk
    #: lengths; 0 is the heel risen to the level of the hip joint - a foot clearly off the
    #: floor. [clips: 4 people] heels on the mat or table measure -0.17 (pelvic_tilt_01,
    #: glute_bridge_01) to -0.65 (knee_to_chest_01, filmed from above), -0.21 on
    #: knee_to_chest_11: margin 0.17 trunk lengths.
    opposite_heel_max: float = 0.0
    #: [anatomy] head_lifted: the neck's bend up from the back line (hip->shoulder vs
    #: shoulder->ear), deg; curling the head and shoulders up adds 30 deg or more. [clips: 3
    #: people] head resting: 6-13 (knee_to_chest_11), 17-22 (pelvic_tilt_01), 22-29
    #: (knee_to_chest_01): margin 16 deg.
    head_lift_max_deg: float = 45.0
    #: [spec] too_fast: hip angle speed sustained over 0.2 s (deg/s), the spec's start value.
    #: [clips: 1 person timed] knee_to_chest_11 pulls in at up to 101 deg/s: margin 19.
    too_fast_deg_s: float = 120.0
    lying: LyingParams = field(default_factory=LyingParams)


class KneeToChestAnalyzer(LyingAnalyzer[KneeToChestParams]):
    exercise_id = "knee_to_chest"
    Params = KneeToChestParams
    timed_checks = ("hold_too_short",)

    def reset(self) -> None:
        super().reset()
        p = self.params
        self.legs = {
            s: Hysteresis(p.hold_enter_deg, p.hold_exit_deg, rising=False, min_s=p.switch_min_s)
            for s in SIDES
        }
        self.timer = HoldTimer(release_s=0.0, min_hold_s=p.min_hold_s)
        self._side: str | None = None  # leg held now
        #: legs already pulled in when the stream opened (their first hold's start is unseen)
        self._opening: set[str] | None = None
        self._t_open = 0.0
        self._released_holds = 0
        self._phase = ""

    def required_landmarks(self, side: str) -> list[Landmark]:
        return [side_landmark(side, n) for n in ("shoulder", "hip", "knee")]

    def signal_thresholds(self) -> dict[str, list[tuple[float, str]]]:
        p = self.params
        hold = [(p.hold_enter_deg, "held"), (p.hold_exit_deg, "released")]
        return {
            "hip_flex_left": hold,
            "hip_flex_right": hold,
            "opposite_heel": [(p.opposite_heel_max, "opposite_leg_lifted")],
            "head_lift": [(p.head_lift_max_deg, "head_lifted")],
        }

    def evaluate(self, pose: Pose) -> FrameEval:
        p = self.params
        aux = self.lp.aux_visibility
        side = pose.near_side()
        ev = FrameEval(pose.timestamp_ms / 1000.0, side=side)
        front = self.body_view(pose, ev)
        sh, hp = pt(pose, side_landmark(side, "shoulder")), pt(pose, side_landmark(side, "hip"))
        back = [side_landmark(s, n) for s in SIDES for n in ("shoulder", "hip")]
        floor = floor_angle_from_points(pose.px[[i for i in back if pose.vis(i) >= aux]])
        up = up_vec(floor)
        trunk = dist(sh, hp)
        flex: dict[str, float] = {}
        for s in SIDES:
            h, k = side_landmark(s, "hip"), side_landmark(s, "knee")
            seen = s == side or (pose.vis(h) >= aux and pose.vis(k) >= aux)
            flex[s] = _vec_angle(hp, sh, pt(pose, h), pt(pose, k)) if seen else math.nan
            ev.signals[f"hip_flex_{s}"] = flex[s]
        ear = side_landmark(side, "ear")
        head_lift = (
            -bend_above_line(sh, hp, pt(pose, ear), up) if pose.vis(ear) >= aux else math.nan
        )
        ev.signals["head_lift"] = head_lift
        if front:
            reason = "front/back view: the legs and head need a side view"
            for c in ("opposite_leg_lifted", "head_lifted", "not_in_position"):
                ev.not_measurable(c, reason)
            return ev
        ev.in_position = self.is_supine(pose, side, up)
        if not ev.in_position:
            return ev
        ev.motion.update({f"hip_{s}": flex[s] for s in SIDES if math.isfinite(flex[s])})
        if math.isfinite(head_lift):
            ev.judge("head_lifted", head_lift > p.head_lift_max_deg)
        else:
            ev.not_measurable("head_lifted", "ear not visible")
        ev.signals["head_lifted"] = head_lift
        self._judge_opposite_leg(pose, flex, sh, hp, up, trunk, ev)
        return ev

    def _judge_opposite_leg(self, pose: Pose, flex: dict[str, float], sh: Point, hp: Point,
                            up: Point, trunk: float, ev: FrameEval) -> None:
        """opposite_leg_lifted: the heel of the leg not held, above the back line (trunk
        lengths), or both legs pulled in."""
        p = self.params
        aux = self.lp.aux_visibility
        # the held leg as this frame alone shows it: the more bent one, if bent enough
        cands = [s for s in SIDES if math.isfinite(flex[s]) and flex[s] < p.hold_exit_deg]
        if not cands:
            ev.judge("opposite_leg_lifted", False)
            return
        held = min(cands, key=lambda s: flex[s])
        other = _OTHER[held]
        heel = side_landmark(other, "heel")
        if pose.vis(heel) >= aux and trunk > 1e-6:
            heel_h = offset_above_line(pt(pose, heel), sh, hp, up) / trunk
        else:
            heel_h = math.nan
        ev.signals["opposite_heel"] = heel_h
        both_pulled = math.isfinite(flex[other]) and flex[other] < p.hold_enter_deg
        if math.isfinite(heel_h) or both_pulled:
            lifted = both_pulled or heel_h > p.opposite_heel_max
            ev.judge("opposite_leg_lifted", lifted)
            ev.signals["opposite_leg_lifted"] = heel_h
        else:
            ev.not_measurable("opposite_leg_lifted", "the other foot is not visible")

    def step(self, ev: FrameEval) -> None:
        self.view_step(ev)
        if ev.view == "front" or not ev.in_position:
            self.timer.pause(ev.t_s)
            self._phase = "" if ev.in_position else "get in position"
            return
        p = self.params
        flex = {s: ev.signals[f"hip_flex_{s}"] for s in SIDES}
        if self._opening is None:
            self._t_open = ev.t_s
            self._opening = {s for s in SIDES if flex[s] < p.hold_enter_deg}
        on = {s: self.legs[s].update(flex[s], ev.t_s) for s in SIDES}
        held = [s for s in SIDES if on[s]]
        side = None
        if held:
            side = min(held, key=lambda s: flex[s] if math.isfinite(flex[s]) else math.inf)
            if self._side in held:
                side = self._side  # keep the current hold's side while it lasts
        if self._side is not None and side != self._side:
            self._end_hold(self.timer.close(), self._side, released=True)
        good = not any(ev.is_fault(c) for c in ("opposite_leg_lifted", "head_lifted"))
        ended = self.timer.update(ev.t_s, side is not None, good)
        if ended is not None:
            self._end_hold(ended, self._side, released=True)
        self._side = side
        self._phase = f"holding {side}" if side else "rest"

    def _end_hold(self, hold: Hold | None, side: str | None, released: bool) -> None:
        if hold is None:
            return
        p = self.params
        hold.side = side
        self.holds.append(hold)
        faults = []
        # a hold of a leg already pulled in at the first frame, starting as soon as the
        # debounce allows: it was under way before the stream started
        opening = side in (self._opening or set()) and (
            hold.start_s <= self._t_open + p.switch_min_s + 0.1
        )
        if opening:
            self.notes.append(
                f"the {side} hold was under way when the stream started: counted, its length "
                "not judged"
            )
        if released:
            self._released_holds += 1
            # an opening hold's start was not seen: hold_too_short cannot be judged
            if not opening and self.timing_ok() and self.judge_hold(hold, p.hold_min_s, side):
                faults.append("hold_too_short")
        self.reps.append(
            Rep(
                index=len(self.reps) + 1,
                start_s=hold.start_s,
                end_s=hold.end_s,
                side=side,
                hold_s=hold.good_s,
                good=not faults,
                faults=faults,
            )
        )

    def pause(self, t_s: float) -> None:
        self.timer.pause(t_s)

    def finish(self) -> None:
        # a hold still going when the stream ends counts, but is not judged too short
        self._end_hold(self.timer.close(), self._side, released=False)
        self.finish_timing()
        sides = {h.side for h in self.holds if h.side}
        if self._released_holds == 0:
            self.mark_unmeasurable("one_side_only", "no hold was completed")
        elif len(sides) == 1:
            t = self.t_last
            self.add_event("one_side_only", t, t, side=next(iter(sides)))
        else:
            self.mark_measured("one_side_only")

    def live_status(self) -> tuple[float | None, float | None, str]:
        return self.timer.current_good_s, self.params.hold_min_s, self._phase
