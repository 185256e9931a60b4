"""Geometry and machinery shared by the floor exercises done face-down: on hands and knees
(``cat_cow``, ``bird_dog``) and in a plank (``plank``).

What is measured, in image pixels of one pose (y down):

* **floor line** (degrees, :func:`~formcheck.core.geometry.segment_angle` convention): a
  total-least-squares line (:func:`~formcheck.core.geometry.floor_angle_from_points`) through the
  points that touch the floor. On all fours these are both wrists and both knees, fitted only
  in frames with all four down (:class:`FloorTracker` keeps the median of recent ones and holds
  it while a limb is lifted). The contacts lie at different depths, so perspective tilts their
  line: bird_dog_02, filmed from close above, reads 9.4 deg where the wall-floor edge in the
  image is level; a hand hovering above the mat adds more. The estimate is therefore clamped to
  ``FloorParams.max_tilt_deg`` (5 deg: a camera on a tripod or the floor is within a few
  degrees of level; the other clips read -3..+3 on all fours). Before any all-fours frame the
  camera is taken as level (0 deg): a line through a far wrist and a near knee alone tilts by
  6-17 deg (bird_dog_01, bird_dog_03). In a front/back view the left-right pairs (both knees,
  both wrists) lie at one depth each, so their directions are averaged instead.
  The plank fits its own contacts (see :mod:`formcheck.exercises.plank`).
* **up**: unit vector away from the floor (:func:`~formcheck.core.geometry.up_vector`), to tell
  "above" from "below" whichever way the person faces.
* **elevation**: signed angle of a segment above the floor line, degrees in [-90, 90].
* **pitch** (:func:`pitch_deg`): signed angle of a segment (e.g. shoulder->ear) relative to
  the direction of another (hip->shoulder), positive when it turns toward ``up``.

Scalar ``math`` is used rather than the vectorised helpers in :mod:`formcheck.core.geometry` (same
definitions): one frame is a handful of points and numpy's per-call overhead would dominate
the per-frame budget (< 0.5 ms).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeVar

import numpy as np

# the scalar geometry the exercises of this family import from here (re-exported)
from formcheck.core.geometry import Point as Point
from formcheck.core.geometry import angle3 as angle3
from formcheck.core.geometry import dist as dist
from formcheck.core.geometry import elevation_deg as elevation_deg
from formcheck.core.geometry import floor_angle_from_points
from formcheck.core.geometry import height as height
from formcheck.core.geometry import pt as pt
from formcheck.core.geometry import seg_deg as seg_deg
from formcheck.core.geometry import up_vec as up_vec
from formcheck.core.pose import Landmark, Pose, side_landmark
from formcheck.core.view import WRONG_VIEW_MAX_YAW_DEG, WRONG_VIEW_MIN_S, body_yaw_deg
from formcheck.exercises.families.base import Analyzer, FrameEval


def other(side: str) -> str:
    return "right" if side == "left" else "left"


def spt(pose: Pose, side: str, name: str) -> Point:
    return pt(pose, side_landmark(side, name))


def from_vertical_deg(p: Point, q: Point, floor_deg: float) -> float:
    """Unsigned angle of the line p-q from the floor's perpendicular, [0, 90]."""
    return 90.0 - abs(elevation_deg(p, q, floor_deg))


def pitch_deg(base: Point, tip: Point, point: Point, up: Point) -> float:
    """Signed angle (deg) of tip->point relative to the direction base->tip: 0 = point in line
    with base-tip, positive when it turns toward ``up`` (e.g. the head raised relative to the
    trunk), negative toward the floor."""
    dx, dy = tip[0] - base[0], tip[1] - base[1]
    n = math.hypot(dx, dy)
    if not n > 1e-9:
        return math.nan
    dx, dy = dx / n, dy / n
    nx, ny = -dy, dx
    if nx * up[0] + ny * up[1] < 0:
        nx, ny = -nx, -ny
    vx, vy = point[0] - tip[0], point[1] - tip[1]
    return math.degrees(math.atan2(vx * nx + vy * ny, vx * dx + vy * dy))


def finite(*pts: Point) -> bool:
    return all(math.isfinite(c) for p in pts for c in p)


def out_of_frame(pose: Pose, lms: list[Landmark], margin: float = 0.01) -> list[Landmark]:
    """Landmarks whose normalised image position lies outside the frame by more than
    ``margin``. MediaPipe places joints cut off by the frame edge outside [0, 1] and often
    still gives them a high visibility (bird_dog_02: the extended hand at x = 1.06 with
    visibility 0.98), so visibility alone misses a cropped body."""
    out = []
    img = pose.image
    for lm in lms:
        x, y = float(img[lm, 0]), float(img[lm, 1])
        if x < -margin or x > 1 + margin or y < -margin or y > 1 + margin:
            out.append(lm)
    return out


# ---- floor estimates ----------------------------------------------------------------------------
def quadruped_floor_deg(pose: Pose, frontal: bool) -> float:
    """Floor line from all four hand and knee contacts (side view) or from the directions of the
    left-right wrist and knee pairs (front/back view). Degrees; see the module docstring."""
    lw, rw = pt(pose, Landmark.LEFT_WRIST), pt(pose, Landmark.RIGHT_WRIST)
    lk, rk = pt(pose, Landmark.LEFT_KNEE), pt(pose, Landmark.RIGHT_KNEE)
    if frontal:
        dirs = []
        for a, b in ((lw, rw), (lk, rk)):
            if finite(a, b) and dist(a, b) > 1e-6:
                d = seg_deg(a, b)
                d = (d + 90.0) % 180.0 - 90.0  # a line: fold to (-90, 90]
                dirs.append(d)
        return float(max(-30.0, min(30.0, sum(dirs) / len(dirs)))) if dirs else 0.0
    return floor_angle_from_points(np.array([lw, rw, lk, rk]))


class FloorTracker:
    """The floor line of the last frames in which all four limbs were down (median of up to
    ``n`` estimates), held while a limb is lifted."""

    def __init__(self, n: int = 30):
        self._vals: deque[float] = deque(maxlen=n)

    def add(self, floor_deg: float) -> None:
        if math.isfinite(floor_deg):
            self._vals.append(floor_deg)

    @property
    def value(self) -> float | None:
        return float(np.median(self._vals)) if self._vals else None


@dataclass(frozen=True)
class FloorContext:
    """What one frame's evaluation may use besides the pose: estimates carried over from
    earlier frames. ``evaluate(pose, ctx)`` is a pure function of both."""

    #: floor line (deg) from earlier frames with all contacts down; None = estimate per frame
    floor_deg: float | None = None
    #: trunk (hip->shoulder) elevation (deg) in the person's own all-fours position
    neutral_trunk_deg: float | None = None
    #: median spacing of recent frames (s); NaN = not known yet
    frame_dt_s: float = math.nan


@dataclass(frozen=True)
class FloorParams:
    """Numbers shared by the face-down floor exercises (each exercise's Params embeds a copy).
    Provenance: *spec*, *anatomy*, *design*, or *clips* (the 7 quadruped clips are 7 different
    people: bird_dog_01/02/03/11, cat_cow_01/03/11; planks see plank.py)."""

    #: wrong_view: a front/back view (yaw below this, deg) sustained this long (s); the
    #: evidence for both numbers (clips: every side clip 61-88 deg) is in formcheck.core.view
    front_view_max_yaw_deg: float = WRONG_VIEW_MAX_YAW_DEG
    wrong_view_min_s: float = WRONG_VIEW_MIN_S
    #: too_fast is already "sustained over 0.2 s" (the base's window); it needs only a few
    #: frames more to be reported, or a limb flung up in 0.3 s would go unnoticed (design)
    too_fast_min_on_s: float = 0.1
    #: largest floor tilt (deg) taken from contact points; see the module docstring. Design: a
    #: camera on a tripod or the floor is within a few degrees of level; clips (7 people) read
    #: -2.3..+3.3 on settled all fours, bird_dog_02 9.4 from perspective (clamped)
    max_tilt_deg: float = 5.0
    #: a landmark this far outside the frame (normalised units) counts as cut off (design:
    #: 1 % of the image, above MediaPipe's placement noise at the edge)
    frame_margin: float = 0.01
    #: movement speed (too_fast) needs 3 frames inside the base's 0.2 s window: frames at most
    #: 0.1 s apart (design from the spec's 0.2 s window; bird_dog_01 is 10 fps, cat_cow_01
    #: 1.83 fps)
    max_speed_dt_s: float = 0.105
    #: phases and holds are timed only when frames are at most this far apart: 0.2 s keeps
    #: the error under ~15 % of the shortest timed span (spec: cat_cow's 1.5 s phase)
    max_timing_dt_s: float = 0.2


class HasFloorParams(Protocol):
    """What the family needs of a floor exercise's Params."""

    @property
    def floor(self) -> FloorParams: ...


#: the Params of a floor exercise (each embeds a FloorParams as ``floor``)
FP = TypeVar("FP", bound=HasFloorParams)


class FloorAnalyzer(Analyzer[FP]):
    """Common part of the face-down analyzers: the per-frame context (floor line, frame
    spacing), sustained wrong_view, cut-off body parts as not_visible, debounce per check, and
    the timing-measurability rule. Subclass Params must have ``floor`` (:class:`FloorParams`)
    and may have ``too_fast_deg_s`` (the angular-speed limit of the base's too_fast)."""

    #: checks whose debounce is longer than the base's ``fault_min_on_s`` (name -> Params attr)
    _min_on_attr: ClassVar[dict[str, str]] = {}
    frame_clock_n: ClassVar[int] = 9

    def reset(self) -> None:
        super().reset()
        limit = getattr(self.params, "too_fast_deg_s", None)
        if limit is not None:
            self.too_fast_deg_s = float(limit)
        self.context = FloorContext()

    @property
    def fp(self) -> FloorParams:
        return self.params.floor

    # ---- hooks --------------------------------------------------------------------------
    def frame_landmarks(self, side: str) -> list[Landmark]:
        """Landmarks that must lie inside the image for every check to be measured."""
        return self.required_landmarks(side)

    def next_context(self, pose: Pose, dt: float) -> FloorContext:
        """The context for this frame, from the previous one and this pose (override)."""
        return FloorContext(frame_dt_s=dt)

    def fault_min_on_for(self, check: str) -> float | None:
        if check == "wrong_view":
            return self.fp.wrong_view_min_s
        if check == "too_fast":
            return self.fp.too_fast_min_on_s
        attr = self._min_on_attr.get(check)
        return float(getattr(self.params, attr)) if attr else None

    # ---- shared machinery ---------------------------------------------------------------
    def begin_frame(self, pose: Pose | None) -> None:
        dt = self.clock.dt
        # a GIF at 1-2 fps has frames further apart than the tracker's gap tolerance;
        # without this no fault could ever persist across two frames there
        if math.isfinite(dt):
            self.tracker.max_gap_s = max(0.5, 1.5 * dt)
        if pose is not None:
            self.context = self.next_context(pose, dt)

    def timing_reason(self, ctx: FloorContext, speed: bool = False) -> str | None:
        """Why phases/holds (or, with ``speed``, movement speed) cannot be timed at this
        frame spacing; None when they can (or when the spacing is not known yet: first frame)."""
        dt = ctx.frame_dt_s
        limit = self.fp.max_speed_dt_s if speed else self.fp.max_timing_dt_s
        if math.isfinite(dt) and dt > limit:
            return f"frames are {dt:.2f} s apart ({1 / dt:.1f} fps): too few to time it"
        return None

    def timing_ok(self) -> bool:
        return self.timing_reason(self.context) is None

    def frame_step_s(self, t_s: float, prev_s: float | None) -> float:
        """Time from the previous frame with a pose to this one that counts toward a hold:
        frames with no pose in between do not count (gaps longer than 0.5 s, or 1.5 frame
        spacings on a low frame-rate clip, are not added)."""
        if prev_s is None:
            return 0.0
        dt = self.clock.dt
        cap = max(0.5, 1.5 * dt) if math.isfinite(dt) else 0.5
        return max(0.0, min(t_s - prev_s, cap))

    def _too_fast(self, ev: FrameEval) -> None:
        reason = self.timing_reason(self.context, speed=True)
        if reason is not None and "too_fast" not in ev.checks:
            ev.not_measurable("too_fast", reason)
            return
        super()._too_fast(ev)

    def view_check(self, pose: Pose, ev: FrameEval) -> float:
        """Sets ``wrong_view`` (front/back view instead of a side view); returns the yaw."""
        yaw = body_yaw_deg(pose)
        ev.signals["yaw"] = yaw
        if not math.isfinite(yaw):
            ev.not_measurable("wrong_view", "shoulder and hip lines not found")
            ev.view = "unknown"
        else:
            front = yaw < self.fp.front_view_max_yaw_deg
            ev.view = "front" if front else "side"
            ev.judge("wrong_view", front)
        return yaw

    def cut_off(self, pose: Pose, side: str, ev: FrameEval) -> list[Landmark]:
        """Marks ``not_visible`` when a needed landmark lies outside the frame."""
        out = out_of_frame(pose, self.frame_landmarks(side), self.fp.frame_margin)
        if out:
            ev.judge("not_visible", True)
            ev.signals["cut_off"] = float(len(out))
        return out


# ---- hands and knees ----------------------------------------------------------------------------
@dataclass(frozen=True)
class AllFoursParams:
    """When a pose counts as on hands and knees (cat_cow, bird_dog ``not_in_position``).
    Provenance as in :class:`FloorParams` (7 quadruped clips, 7 people)."""

    #: the trunk (hip->shoulder) within this of the floor line (deg). Anatomy: arms are
    #: longer than thighs, so the shoulders sit a little above the hips; standing or kneeling
    #: up reads 60-90. Clips (7 people): 0.1-21.3 deg in position (margin 18.7).
    trunk_max_incline_deg: float = 40.0
    #: the supporting arm (shoulder->wrist) and thigh (hip->knee) within this of vertical
    #: (deg). Spec: hands under shoulders and knees under hips are "within about 15 deg"; this
    #: is the wider "still on all fours" test (anatomy: sitting back on the heels or lying prone
    #: is 60-90 from vertical). Clips (7 people): settled all fours 0-12 deg; reaching into and
    #: out of position and a lifted limb's partner pass through 30-45 (bird_dog_11, cat_cow_11).
    support_max_from_vertical_deg: float = 45.0
    #: shoulder above the supporting wrist and hip above the supporting knee by at least this
    #: share of the trunk length. Anatomy: an arm is ~1.1 and a thigh ~0.9 trunk lengths; lying
    #: prone ~0. Clips (7 people): 0.55-1.16 (margin 0.05: bird_dog_02, filmed from close
    #: above, foreshortens the arm).
    min_limb_height: float = 0.5


@dataclass
class AllFours:
    """One pose read as hands and knees; points are pixels (NaN when missing)."""

    side: str
    floor_deg: float
    up: Point
    shoulder: Point
    hip: Point
    trunk_len: float
    trunk_elev: float
    #: the supporting (lower) wrist and knee, and which side each is on
    wrist: Point
    wrist_side: str
    knee: Point
    knee_side: str
    in_position: bool


def read_all_fours(
    pose: Pose, side: str, floor_deg: float, p: AllFoursParams, frontal: bool = False
) -> AllFours:
    """Measure the all-fours position from the near ``side``'s shoulder and hip and the
    supporting wrist and knee: of the two, one that stands under its shoulder / hip as a
    support does (:func:`_supports`), else the lower one (relative to the floor). A hand
    sliding forward on the mat, or the near hand read lower than the far one by the
    perspective of a camera close above, is not the support while the other hand is.
    In a front/back view the trunk points along the camera axis, so its incline is not tested
    there."""
    up = up_vec(floor_deg)
    sh, hp = spt(pose, side, "shoulder"), spt(pose, side, "hip")
    trunk = dist(sh, hp)

    def support(name: str, root: str) -> tuple[Point, str, Point]:
        """(point, side, its own root) of the supporting ``name`` (wrist or knee)."""
        near_root = sh if root == "shoulder" else hp  # when the limb's own root is not seen
        cands = []
        for s in (side, other(side)):
            pnt, own = spt(pose, s, name), spt(pose, s, root)
            if finite(pnt):
                cands.append((pnt, s, own if finite(own) else near_root))
        if not cands:
            return (math.nan, math.nan), side, near_root
        # a support first; then the lower one, the near side winning a tie within 5 % of the
        # trunk (it is the better-seen one)
        return max(cands, key=lambda c: (
            _supports(c[2], c[0], floor_deg, up, trunk, p),
            -height(c[0], hp, up) + (0.05 * trunk if c[1] == side else 0.0)))

    (wr, wside, shoulder), (kn, kside, hip) = support("wrist", "shoulder"), support("knee", "hip")
    trunk_elev = elevation_deg(hp, sh, floor_deg)
    ok = (
        finite(sh, hp, wr, kn)
        and trunk > 1e-6
        and (frontal or abs(trunk_elev) <= p.trunk_max_incline_deg)
        and _supports(shoulder, wr, floor_deg, up, trunk, p)
        and _supports(hip, kn, floor_deg, up, trunk, p)
    )
    return AllFours(side, floor_deg, up, sh, hp, trunk, trunk_elev, wr, wside, kn, kside, bool(ok))


def _supports(root: Point, end: Point, floor_deg: float, up: Point, trunk: float,
              p: AllFoursParams) -> bool:
    """Whether the limb root->end (shoulder->wrist, hip->knee) stands as a support: near
    vertical and reaching down at least ``min_limb_height`` trunk lengths."""
    return (finite(root, end)
            and from_vertical_deg(root, end, floor_deg) <= p.support_max_from_vertical_deg
            and height(root, end, up) >= p.min_limb_height * trunk)


def mid(pose: Pose, name: str) -> Point:
    """Midpoint of the left and right ``name`` landmarks (the one seen if the other is missing)."""
    a, b = spt(pose, "left", name), spt(pose, "right", name)
    if finite(a) and finite(b):
        return (a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0
    return a if finite(a) else b
