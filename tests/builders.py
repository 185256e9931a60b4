"""Small builders of synthetic poses and pose sequences for tests (no model needed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from formcheck.core.pose import NUM_LANDMARKS, Landmark, Pose

#: A neutral standing person seen from their left side, facing image-left, 720p, pixels.
#: Only rough proportions matter; tests override the joints they care about.
STANDING_LEFT_SIDE: dict[str, tuple[float, float]] = {
    "NOSE": (590, 150), "LEFT_EYE_INNER": (600, 140), "LEFT_EYE": (603, 140),
    "LEFT_EYE_OUTER": (606, 140), "RIGHT_EYE_INNER": (600, 140), "RIGHT_EYE": (603, 140),
    "RIGHT_EYE_OUTER": (606, 140), "LEFT_EAR": (625, 150), "RIGHT_EAR": (625, 150),
    "MOUTH_LEFT": (598, 170), "MOUTH_RIGHT": (598, 170),
    "LEFT_SHOULDER": (630, 230), "RIGHT_SHOULDER": (632, 230),
    "LEFT_ELBOW": (630, 330), "RIGHT_ELBOW": (632, 330),
    "LEFT_WRIST": (625, 420), "RIGHT_WRIST": (627, 420),
    "LEFT_PINKY": (622, 440), "RIGHT_PINKY": (624, 440),
    "LEFT_INDEX": (618, 442), "RIGHT_INDEX": (620, 442),
    "LEFT_THUMB": (618, 432), "RIGHT_THUMB": (620, 432),
    "LEFT_HIP": (635, 430), "RIGHT_HIP": (637, 430),
    "LEFT_KNEE": (630, 560), "RIGHT_KNEE": (632, 560),
    "LEFT_ANKLE": (635, 680), "RIGHT_ANKLE": (637, 680),
    "LEFT_HEEL": (650, 695), "RIGHT_HEEL": (652, 695),
    "LEFT_FOOT_INDEX": (600, 700), "RIGHT_FOOT_INDEX": (602, 700),
}


def make_pose(
    points: dict[str, tuple[float, float]] | None = None,
    *,
    t_ms: float = 0.0,
    image_size: tuple[int, int] = (1280, 720),
    visibility: float | dict[str, float] = 0.95,
    near_side: str = "left",
    num_people: int = 1,
    base: dict[str, tuple[float, float]] | None = None,
) -> Pose:
    """A pose from named pixel positions (``{"LEFT_KNEE": (x, y)}``), over ``base``.

    ``near_side`` sets MediaPipe-style depth z so that side reads as nearer the camera.
    Landmarks missing from both ``points`` and ``base`` are NaN.
    """
    pts = dict(base if base is not None else STANDING_LEFT_SIDE)
    pts.update(points or {})
    img = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
    w, h = image_size
    for name, (x, y) in pts.items():
        lm = Landmark[name]
        z = -0.1 if name.startswith(near_side.upper()) else 0.1
        img[lm] = (x / w, y / h, z)
    vis = np.full(NUM_LANDMARKS, 0.95, np.float32)
    if isinstance(visibility, dict):
        for name, v in visibility.items():
            vis[Landmark[name]] = v
    else:
        vis[:] = visibility
    vis[np.isnan(img[:, 0])] = np.nan
    return Pose(img, np.full((NUM_LANDMARKS, 3), np.nan, np.float32), vis, t_ms, image_size,
                num_people)


def pose_sequence(
    fn: Callable[[float], Pose | None], seconds: float, fps: float = 30.0
) -> Iterator[tuple[float, Pose | None]]:
    """(t_ms, pose) for t in [0, seconds) at ``fps``; ``fn(t_s)`` builds each frame's pose
    (with any t_ms: it is replaced by the frame's time) or returns None for no person."""
    n = int(round(seconds * fps))
    for i in range(n):
        t_ms = i * 1000.0 / fps
        pose = fn(t_ms / 1000.0)
        if pose is not None:
            pose = Pose(pose.image, pose.world, pose.visibility, t_ms, pose.image_size,
                        pose.num_people)
        yield t_ms, pose


def run_analyzer(analyzer, frames):
    """Feed (t_ms, pose) frames to an analyzer; return (result, [feedback per frame])."""
    fbs = [analyzer.update(pose, t_ms) for t_ms, pose in frames]
    return analyzer.result(), fbs
