"""Synthetic poses of a person lying on the back, seen from their right side (head toward
image left, like the labelled floor clips), 720p pixels. Used by the pelvic tilt, knee-to-chest
and glute bridge tests.

Proportions (pixels): trunk (shoulder-hip) 500, the joint centres of shoulder and hip 40 px
above the mat (y = 560), knees bent with the feet flat. Only the joints a test cares about are
moved; everything else stays put, so a test changes one measurement at a time.
"""

from __future__ import annotations

from formcheck.core.pose import Pose
from tests.builders import make_pose

FLOOR_Y = 560.0
#: the near (right) side at rest, knees bent ~70 deg, feet flat
NEAR = {
    "SHOULDER": (300.0, 520.0),
    "ELBOW": (450.0, 545.0),
    "WRIST": (600.0, 545.0),
    "PINKY": (620.0, 548.0),
    "INDEX": (625.0, 545.0),
    "THUMB": (618.0, 540.0),
    "HIP": (800.0, 520.0),
    "KNEE": (1050.0, 300.0),
    "ANKLE": (1150.0, 530.0),
    "HEEL": (1140.0, FLOOR_Y),
    "FOOT_INDEX": (1230.0, FLOOR_Y),
    "EAR": (180.0, 480.0),
    "EYE": (150.0, 450.0),
    "EYE_INNER": (148.0, 450.0),
    "EYE_OUTER": (160.0, 452.0),
    "MOUTH": (140.0, 485.0),
}
NOSE = (130.0, 455.0)
#: where the far (left) side appears relative to the near side: a little up the image
FAR_OFFSET = (10.0, -40.0)
#: the hip landmark's move in a full posterior tilt (toward the shoulders and up), which opens
#: the shoulder-hip-knee angle by about 8 deg, as pelvic_tilt_01 measures
TILT_SHIFT = (-40.0, -8.0)
#: hip positions: on the shoulder-knee line (a straight bridge), on the mat
HIP_REST = NEAR["HIP"]


def hip_on_line(frac_up: float) -> tuple[float, float]:
    """Hip x fixed, raised ``frac_up`` of the way from the mat (0) to the shoulder-knee line
    (1); above 1 it bends above the line (arching)."""
    sx, sy = NEAR["SHOULDER"]
    kx, ky = NEAR["KNEE"]
    hx, hy = HIP_REST
    line_y = sy + (ky - sy) * (hx - sx) / (kx - sx)
    return hx, hy + frac_up * (line_y - hy)


def supine(
    near: dict[str, tuple[float, float]] | None = None,
    far: dict[str, tuple[float, float]] | None = None,
    *,
    tilt: float = 0.0,
    far_offset: tuple[float, float] = FAR_OFFSET,
    mirror: bool = True,
    nose: tuple[float, float] = NOSE,
    **kw,
) -> Pose:
    """A supine pose. ``near``/``far`` override joints by short name ("KNEE") on the right
    (near) and left (far) side; by default the far side mirrors the near one, shifted by
    ``far_offset`` (``mirror=False``: the far side keeps the resting pose instead).
    ``tilt`` (0-1) moves the hip landmarks as a posterior pelvic tilt does."""
    n = dict(NEAR)
    n["HIP"] = (HIP_REST[0] + tilt * TILT_SHIFT[0], HIP_REST[1] + tilt * TILT_SHIFT[1])
    rest = dict(n)
    n.update(near or {})
    f = {k: (x + far_offset[0], y + far_offset[1]) for k, (x, y) in (n if mirror else rest).items()}
    f.update(far or {})
    pts = {"NOSE": nose}
    for name, (x, y) in n.items():
        if name == "MOUTH":
            pts["MOUTH_RIGHT"] = (x, y)
        else:
            pts[f"RIGHT_{name}"] = (x, y)
    for name, (x, y) in f.items():
        if name == "MOUTH":
            pts["MOUTH_LEFT"] = (x, y)
        else:
            pts[f"LEFT_{name}"] = (x, y)
    kw.setdefault("near_side", "right")
    return make_pose(pts, base={}, **kw)


def standing() -> Pose:
    """The standing person from tests.builders (not a lying position)."""
    return make_pose(near_side="left")


def face_down(**kw) -> Pose:
    """Trunk and legs as when lying on the back, but the face turned to the floor (prone, as
    in a plank): the nose below the ear."""
    return supine(nose=(130.0, 540.0), **kw)


def front_view(**kw) -> Pose:
    """Lying, but seen from the feet/head end: shoulders and hips spread across the image."""
    return supine(far_offset=(0.0, -420.0), **kw)


def lerp(a: tuple[float, float], b: tuple[float, float], f: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f


def ramp(t: float, t0: float, t1: float) -> float:
    """0 before t0, 1 after t1, linear in between."""
    if t1 <= t0:
        return 1.0 if t >= t1 else 0.0
    return min(1.0, max(0.0, (t - t0) / (t1 - t0)))


def run(analyzer, fn, seconds: float, fps: float = 30.0):
    """Feed ``fn(t_s) -> Pose | None`` for ``seconds`` at ``fps``; (result, feedbacks)."""
    from tests.builders import pose_sequence, run_analyzer

    return run_analyzer(analyzer, pose_sequence(fn, seconds, fps))


def run_pipeline(exercise: str, fn, seconds: float, fps: float = 30.0, jitter_px: float = 0.0,
                 seed: int = 0):
    """Like :func:`run`, but with the pipeline's One-Euro landmark smoothing in front of the
    analyzer (what every real stream gets; the exercise recogniser is left out: it reads
    synthetic poses without world landmarks as another exercise), optionally with Gaussian
    landmark jitter of ``jitter_px`` pixels (sd per coordinate, per frame) added before it:
    timing and noise as on a real clip. Returns (result, feedbacks)."""
    import numpy as np

    from formcheck.analysis.smoothing import OneEuroParams, PoseSmoother
    from formcheck.exercises import make_analyzer
    from tests.builders import pose_sequence

    rng = np.random.default_rng(seed)
    smoother = PoseSmoother(OneEuroParams())
    analyzer = make_analyzer(exercise)
    fbs = []
    for t_ms, pose in pose_sequence(fn, seconds, fps):
        if pose is not None and jitter_px > 0:
            w, h = pose.image_size
            image = pose.image.copy()
            image[:, 0] += rng.normal(0.0, jitter_px / w, len(image))
            image[:, 1] += rng.normal(0.0, jitter_px / h, len(image))
            pose = Pose(image, pose.world, pose.visibility, t_ms, pose.image_size, pose.num_people)
        fbs.append(analyzer.update(smoother.update(pose), t_ms))
    return analyzer.result(), fbs
