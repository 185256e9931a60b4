"""Pure, vectorised geometry on landmark coordinates.

Every function takes points as arrays whose last axis is (x, y) or (x, y, z) and broadcasts
over leading axes, so the same code scores one frame or a whole (T, 2) signal. Image
coordinates are pixels with y pointing down; angles are degrees. NaN in, NaN out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from formcheck.core.pose import Pose

Array = NDArray[np.float64]


def joint_angle(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> Array:
    """Angle ABC at vertex ``b`` in degrees, in [0, 180]. 180 = straight."""
    a, b, c = (np.asarray(p, dtype=np.float64) for p in (a, b, c))
    ba = a - b
    bc = c - b
    dot = np.sum(ba * bc, axis=-1)
    norm = np.linalg.norm(ba, axis=-1) * np.linalg.norm(bc, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos: Array = np.clip(dot / norm, -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def segment_angle(p: ArrayLike, q: ArrayLike) -> Array:
    """Direction of the segment p->q in image coordinates, degrees in (-180, 180].

    0 = pointing right, +90 = pointing *up* (image y is flipped so angles read like a
    drawing: counter-clockwise positive).
    """
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    d = q - p
    # "+ 0.0" turns -0.0 into 0.0, so a segment pointing left is +180 (the documented range)
    up: Array = -d[..., 1] + 0.0
    right: Array = d[..., 0]
    return np.degrees(np.arctan2(up, right))


def wrap_deg(angle: ArrayLike) -> Array:
    """Wrap angles to (-180, 180]."""
    a = np.asarray(angle, dtype=np.float64)
    return -((-a + 180.0) % 360.0 - 180.0)


def incline(p: ArrayLike, q: ArrayLike, floor_deg: ArrayLike = 0.0) -> Array:
    """Unsigned angle of the *line* through p and q to the floor line, in [0, 90].

    ``floor_deg`` is the floor's direction in the image (see :func:`segment_angle`), so a
    tilted camera does not read as a tilted limb.
    """
    a = wrap_deg(segment_angle(p, q) - np.asarray(floor_deg, dtype=np.float64))
    a = np.abs(a)
    return np.where(a > 90.0, 180.0 - a, a)


def elevation(p: ArrayLike, q: ArrayLike, floor_deg: ArrayLike = 0.0) -> Array:
    """Signed angle of the segment p->q above the floor line, in [-90, 90].

    Positive when q is higher than p (relative to the floor), whichever way the person faces.
    """
    a = wrap_deg(segment_angle(p, q) - np.asarray(floor_deg, dtype=np.float64))
    # fold the horizontal direction: pointing left or right is the same "level"
    return np.where(np.abs(a) > 90.0, np.sign(a) * (180.0 - np.abs(a)), a)


def angle_from_vertical(p: ArrayLike, q: ArrayLike, floor_deg: ArrayLike = 0.0) -> Array:
    """Unsigned angle of the line p-q from the vertical (perpendicular to the floor), [0, 90]."""
    return 90.0 - incline(p, q, floor_deg)


def signed_offset_from_line(p: ArrayLike, a: ArrayLike, b: ArrayLike) -> Array:
    """Signed perpendicular distance of point p from the line a->b (same units as input).

    Positive when p lies to the left of a->b in a y-up drawing; in image coordinates (y down)
    that is the side a person would call "above" for a line running left to right.
    """
    p, a, b = (np.asarray(x, dtype=np.float64) for x in (p, a, b))
    ab = b - a
    ap = p - a
    cross: Array = ab[..., 0] * ap[..., 1] - ab[..., 1] * ap[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        offset: Array = -cross / np.linalg.norm(ab, axis=-1)
        return offset


def deviation_from_line_deg(p: ArrayLike, a: ArrayLike, b: ArrayLike, up: ArrayLike) -> Array:
    """How far the vertex p bends out of the straight line a-b, in degrees, signed.

    Returns ``180 - angle(a, p, b)``, positive when p lies on the ``up`` side of the line a-b
    (``up`` is a direction vector in the same coordinates, e.g. away from the floor) and
    negative on the other side. 0 = a, p, b in a straight line. The side is decided by p's
    perpendicular offset from the line (not by p against the segment's midpoint, which gets
    the sign wrong on a sloping line).
    """
    p, a, b, up = (np.asarray(x, dtype=np.float64) for x in (p, a, b, up))
    bend = 180.0 - joint_angle(a, p, b)
    d = b - a
    normal = np.stack([-d[..., 1], d[..., 0]], axis=-1)
    # orient the normal towards ``up``
    flip = np.sign(np.sum(normal * up, axis=-1))
    normal = normal * np.where(flip == 0, 1.0, flip)[..., None]
    side = np.sign(np.sum((p - a) * normal, axis=-1))
    return bend * np.where(side == 0, 1.0, side)


def up_vector(floor_deg: ArrayLike) -> Array:
    """Image-coordinate unit vector pointing away from the floor (y down convention)."""
    f = np.radians(np.asarray(floor_deg, dtype=np.float64))
    # floor direction in image coords is (cos f, -sin f); rotate by +90 deg (counter-clockwise
    # in a y-up drawing) to get "up": (-sin f, -cos f) in y-down image coordinates.
    return np.stack([-np.sin(f), -np.cos(f)], axis=-1)


def angular_velocity(angle_deg: ArrayLike, t_s: ArrayLike) -> Array:
    """Central-difference d(angle)/dt in deg/s for a (T,) signal sampled at times t_s."""
    a = np.asarray(angle_deg, dtype=np.float64)
    t = np.asarray(t_s, dtype=np.float64)
    if a.size < 2:
        return np.zeros_like(a)
    return np.gradient(a, t)


def floor_angle_from_points(points: ArrayLike) -> float:
    """Robust floor direction (degrees, :func:`segment_angle` convention) from contact points.

    ``points`` is (N, 2) pixels of landmarks that touch the floor (wrists, knees, heels, toes,
    hips when lying). Fits a total-least-squares line; returns 0.0 (level) when fewer than
    two distinct finite points are given, and clamps to +-30 deg: a floor tilted more than that
    is a landmark error, not a camera.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) < 2 or np.ptp(pts[:, 0]) < 1e-6:
        return 0.0
    centred = pts - pts.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    dx, dy = vt[0]
    ang = float(np.degrees(np.arctan2(-dy, dx)))
    ang = float(wrap_deg(ang))
    if ang > 90:
        ang -= 180
    elif ang < -90:
        ang += 180
    return float(np.clip(ang, -30.0, 30.0))


# ---- scalar forms for per-frame code (one point pair at a time, same conventions) ----------

#: one image point (x, y) in pixels
Point = tuple[float, float]


def pt(pose: Pose, lm: int) -> Point:
    """Landmark ``lm``'s image position (pixels) as a plain tuple."""
    x, y = pose.px[int(lm)]
    return float(x), float(y)


def dist(p: Point, q: Point) -> float:
    return math.hypot(q[0] - p[0], q[1] - p[1])


def angle3(a: Point, b: Point, c: Point) -> float:
    """Angle ABC at ``b``, degrees in [0, 180]; NaN if a point is missing or degenerate
    (scalar :func:`joint_angle`)."""
    bax, bay = a[0] - b[0], a[1] - b[1]
    bcx, bcy = c[0] - b[0], c[1] - b[1]
    n = math.hypot(bax, bay) * math.hypot(bcx, bcy)
    if not n > 1e-9:  # also catches NaN
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, (bax * bcx + bay * bcy) / n))))


def seg_deg(p: Point, q: Point) -> float:
    """Direction of p->q, degrees, counter-clockwise in a y-up drawing (:func:`segment_angle`)."""
    return math.degrees(math.atan2(-(q[1] - p[1]), q[0] - p[0]))


def elevation_deg(p: Point, q: Point, floor_deg: float) -> float:
    """Signed angle of p->q above the floor line, [-90, 90] (:func:`elevation`)."""
    a = (seg_deg(p, q) - floor_deg + 180.0) % 360.0 - 180.0
    if abs(a) > 90.0:
        a = math.copysign(180.0 - abs(a), a)
    return a


def up_vec(floor_deg: float) -> Point:
    """Image unit vector away from the floor (:func:`up_vector`)."""
    f = math.radians(floor_deg)
    return -math.sin(f), -math.cos(f)


def height(p: Point, ref: Point, up: Point) -> float:
    """How far p lies above ref along ``up`` (pixels)."""
    return (p[0] - ref[0]) * up[0] + (p[1] - ref[1]) * up[1]
