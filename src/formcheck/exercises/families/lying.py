"""Geometry and machinery shared by the exercises done lying on the back (supine):
``pelvic_tilt``, ``knee_to_chest`` and ``glute_bridge``.

What is measured, in image pixels of one pose (y down), seen from the side:

* **floor line** (:func:`feet_floor_deg`): a total-least-squares line
  (:func:`~formcheck.core.geometry.floor_angle_from_points`) through both shoulders, heels and toes
  - the parts that stay on the floor in a tilt or a bridge. The shoulder landmark is the joint
  centre, a few centimetres above the mat, so this line leans about 4-6 deg toward the head
  relative to the true floor; every threshold measured against it was set on the same line
  (clip evidence is quoted next to each number). Clamped to +-30 deg by the fit.
* **trunk elevation** (``trunk_elev``): signed angle of the shoulder->hip segment above that
  floor line, degrees. Lying flat it reads the 5-8 deg lean above; a bridge top reads 18-22.
* **hip angle** (``hip_angle``): shoulder-hip-knee angle, degrees (180 = straight line).
* **knee angle** (``knee_angle``): hip-knee-ankle angle, degrees.
* **up**: unit vector away from the floor (:func:`~formcheck.core.geometry.up_vector`), used to tell
  "above" from "below" a line whichever way the person lies.

Scalar ``math`` is used instead of the vectorised helpers in :mod:`formcheck.core.geometry` (same
definitions): one frame is a handful of points, and numpy's per-call overhead would dominate the
per-frame budget (< 0.5 ms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeVar

# the scalar geometry the exercises of this family import from here (re-exported)
from formcheck.core.geometry import Point as Point
from formcheck.core.geometry import angle3 as angle3
from formcheck.core.geometry import deviation_from_line_deg, floor_angle_from_points
from formcheck.core.geometry import dist as dist
from formcheck.core.geometry import elevation_deg as elevation_deg
from formcheck.core.geometry import height as height
from formcheck.core.geometry import pt as pt
from formcheck.core.geometry import seg_deg as seg_deg
from formcheck.core.geometry import up_vec as up_vec
from formcheck.core.pose import Landmark, Pose, side_landmark
from formcheck.core.results import Hold
from formcheck.core.view import WRONG_VIEW_MAX_YAW_DEG, WRONG_VIEW_MIN_S, body_yaw_deg
from formcheck.exercises.families.base import Analyzer, FrameEval

#: landmarks that rest on the floor in a tilt or a bridge (both sides)
_FEET_FLOOR = [
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_HEEL,
    Landmark.RIGHT_HEEL,
    Landmark.LEFT_FOOT_INDEX,
    Landmark.RIGHT_FOOT_INDEX,
]


def offset_above_line(p: Point, a: Point, b: Point, up: Point) -> float:
    """Perpendicular distance of p from the line a-b (pixels), positive on the ``up`` side."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy)
    if not n > 1e-9:
        return math.nan
    nx, ny = -dy / n, dx / n  # a unit normal of the line
    if nx * up[0] + ny * up[1] < 0:
        nx, ny = -nx, -ny
    return (p[0] - a[0]) * nx + (p[1] - a[1]) * ny


def bend_above_line(p: Point, a: Point, b: Point, up: Point) -> float:
    """``180 - angle(a, p, b)``, positive when p lies on the ``up`` side of the line a-b
    (scalar form of :func:`formcheck.core.geometry.deviation_from_line_deg`)."""
    return float(deviation_from_line_deg(p, a, b, up))


def feet_floor_deg(pose: Pose, min_vis: float = 0.3) -> float:
    """Floor direction (degrees) from shoulders, heels and toes (see module docstring).

    Points seen with visibility below ``min_vis`` (guessed by the model) are left out."""
    idx = [i for i in _FEET_FLOOR if pose.vis(i) >= min_vis]
    return floor_angle_from_points(pose.px[idx]) if len(idx) >= 2 else 0.0


# ---- shared parameters and machinery ---------------------------------------------------------
@dataclass(frozen=True)
class LyingParams:
    """Numbers shared by the lying exercises (each exercise's Params embeds a copy).
    Provenance tags as in the exercises' Params: [spec], [anatomy], [clips: people],
    [signal]."""

    #: [anatomy] the trunk (shoulder-hip line) is lying when it is within this of image
    #: horizontal: sitting up or standing reads 60-90. [clips: 3 people] bridge tops reach
    #: 20-30 deg (glute_bridge_01, _11, _14): margin 15.
    lying_max_incline_deg: float = 45.0
    #: [anatomy] on the back, the knee is never far below the hip (on all fours it is a
    #: thigh length, about 0.9 trunk lengths, below). Straight legs lying read about 0
    #: (knee_to_chest_01): margin 0.35 trunk lengths either way.
    knee_below_hip_max: float = 0.35
    #: [anatomy] on the back the face points up: the nose is above the ear (along "up"), by
    #: 0.12-0.23 trunk lengths on the supine clips; face down (plank, all fours, a deadlift's
    #: bottom) it is 0.07-0.21 below on every other labelled clip [clips: margin 0.07].
    #: Checked only where both are seen.
    face_up_min: float = 0.0
    #: wrong_view: a front/back view (yaw below this, deg) sustained this long (s); the
    #: evidence for both numbers is in formcheck.core.view
    front_view_max_yaw_deg: float = WRONG_VIEW_MAX_YAW_DEG
    wrong_view_min_s: float = WRONG_VIEW_MIN_S
    #: [signal] holds and lowering speed are timed only when frames are at most this far
    #: apart (median): [clips: 2 people] GIF-derived clips at 3.33 fps (0.3 s) cannot time a
    #: 3 s hold to the label's satisfaction (pelvic_tilt_03, knee_to_chest_01 mark
    #: hold_too_short unmeasurable); the slowest real camera clip runs 25 fps (0.04 s).
    max_timing_dt_s: float = 0.25
    #: [signal] a landmark used for a secondary measure (far leg, feet) counts as seen above
    #: this MediaPipe visibility score
    aux_visibility: float = 0.3


class HasLyingParams(Protocol):
    """What the family needs of a lying exercise's Params."""

    @property
    def lying(self) -> LyingParams: ...

    @property
    def too_fast_deg_s(self) -> float: ...


#: the Params of a lying exercise (each embeds a LyingParams as ``lying``)
LP = TypeVar("LP", bound=HasLyingParams)


class LyingAnalyzer(Analyzer[LP]):
    """Common part of the supine analyzers: frame spacing, sustained wrong_view, too_fast limit
    from Params, and the timing-measurability rule. Subclass Params must have ``lying``
    (:class:`LyingParams`) and ``too_fast_deg_s``."""

    #: name of the per-exercise timed checks that need a usable frame rate
    timed_checks: ClassVar[tuple[str, ...]] = ("hold_too_short",)

    def reset(self) -> None:
        super().reset()
        self.too_fast_deg_s = float(self.params.too_fast_deg_s)
        self._coarse_reason: str | None = None

    @property
    def lp(self) -> LyingParams:
        return self.params.lying

    def timing_ok(self) -> bool:
        """Whether frames come often enough to time holds and lowering (see LyingParams)."""
        dt = self.clock.dt
        if math.isfinite(dt) and dt > self.lp.max_timing_dt_s:
            self._coarse_reason = (
                f"frames are {dt:.2f} s apart (over {self.lp.max_timing_dt_s:.2f} s): "
                "too coarse to time holds and movements"
            )
            return False
        return True

    def body_view(self, pose: Pose, ev: FrameEval) -> bool:
        """Adds the body yaw to ``ev.signals``; returns True when the view is front/back."""
        yaw = body_yaw_deg(pose)
        ev.signals["body_yaw"] = yaw
        front = math.isfinite(yaw) and yaw < self.lp.front_view_max_yaw_deg
        ev.view = "front" if front else "side"
        return front

    def view_step(self, ev: FrameEval) -> None:
        """wrong_view: a front/back view sustained for ``wrong_view_min_s`` (debounced here,
        not per frame, so a person turning over does not trigger it)."""
        yaw = ev.signals.get("body_yaw", math.nan)
        if not math.isfinite(yaw):
            self.tracker.update("wrong_view", None, ev.t_s, self.cue("wrong_view"))
            return
        self.mark_measured("wrong_view")
        self.tracker.update(
            "wrong_view",
            yaw < self.lp.front_view_max_yaw_deg,
            ev.t_s,
            self.cue("wrong_view"),
            value=yaw,
            min_on_s=self.lp.wrong_view_min_s,
            worse="min",
        )

    def is_supine(self, pose: Pose, side: str, up: Point) -> bool:
        """Lying on the back: trunk near horizontal, the knee not below the hip (not on all
        fours) and the face up (not prone: plank, all fours)."""
        sh = pt(pose, side_landmark(side, "shoulder"))
        hp = pt(pose, side_landmark(side, "hip"))
        kn = pt(pose, side_landmark(side, "knee"))
        incline = abs(elevation_deg(sh, hp, 0.0))
        trunk = dist(sh, hp)
        if not (incline <= self.lp.lying_max_incline_deg and trunk > 1e-6):
            return False
        if height(kn, hp, up) / trunk <= -self.lp.knee_below_hip_max:
            return False
        ear = side_landmark(side, "ear")
        aux = self.lp.aux_visibility
        if pose.vis(Landmark.NOSE) >= aux and pose.vis(ear) >= aux:
            face_up = height(pt(pose, Landmark.NOSE), pt(pose, ear), up) / trunk
            return face_up > self.lp.face_up_min
        return True

    def judge_hold(self, hold: Hold, min_s: float, side: str | None = None) -> bool:
        """hold_too_short on one released hold whose start was seen, frames permitting (the
        caller asks :meth:`timing_ok` first): a fault event when it lasted under ``min_s``,
        else measured OK. Returns whether it was too short."""
        return self.judge_min_duration(
            "hold_too_short", hold.start_s, hold.end_s, hold.duration_s, min_s, side=side
        )

    def finish_timing(self) -> None:
        """At the end: timed checks never judged because of the frame rate say why."""
        self.timing_ok()
        if self._coarse_reason:
            for check in self.timed_checks:
                self.mark_unmeasurable(check, self._coarse_reason)


class BaselineFollower:
    """The resting level of a signal that rises during the movement: follows the signal down
    at once (after ``down_tau_s`` smoothing) and up only slowly (``up_tau_s``), and not at all
    while ``frozen`` (during a rep), so a held position never becomes the new rest level."""

    def __init__(self, up_tau_s: float, down_tau_s: float = 0.0):
        self.up_tau_s, self.down_tau_s = up_tau_s, down_tau_s
        self.value: float | None = None
        self._t: float | None = None

    def update(self, x: float, t_s: float, frozen: bool = False) -> float:
        if not math.isfinite(x):
            return math.nan if self.value is None else self.value
        if self.value is None or self._t is None:
            self.value, self._t = x, t_s
            return x
        dt = max(0.0, min(t_s - self._t, 1.0))
        self._t = t_s
        if x < self.value:
            a = 1.0 if self.down_tau_s <= 0 else 1.0 - math.exp(-dt / self.down_tau_s)
            self.value += a * (x - self.value)
        elif not frozen:
            self.value += (1.0 - math.exp(-dt / self.up_tau_s)) * (x - self.value)
        return self.value


class Smoother:
    """Exponential moving average with a time constant (s), for uneven frame spacing.

    Each sample's weight decays by ``exp(-dt / tau_s)`` per step and the average is divided
    by the sum of the weights, so the start is not pulled toward the first sample: over the
    first ``tau_s`` seconds it is close to the plain mean of what was seen (a jittery first
    frame does not skew a level read off the opening seconds); later it is the usual EMA."""

    def __init__(self, tau_s: float):
        if tau_s <= 0:
            raise ValueError("Smoother: tau_s must be > 0")
        self.tau_s = tau_s
        self.value: float | None = None
        self._m = 0.0  # decayed sum of samples
        self._w = 0.0  # decayed sum of weights
        self._t: float | None = None

    def update(self, x: float, t_s: float) -> float:
        if math.isfinite(x):
            keep = 0.0
            if self._t is not None:
                keep = math.exp(-max(0.0, min(t_s - self._t, 1.0)) / self.tau_s)
            self._m = keep * self._m + x
            self._w = keep * self._w + 1.0
            self.value = self._m / self._w
            self._t = t_s
        return math.nan if self.value is None else self.value
