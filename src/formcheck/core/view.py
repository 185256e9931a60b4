"""Which way the camera sees the body: side, front/back or oblique.

Most floor exercises need a side view. The measure is how much the shoulder and hip lines
point *along the camera axis*: seen from the side they point straight at the camera (the
lines look short in the image); seen from the front or back they lie across the image.

Two estimates, the first that is available wins:

* world landmarks (metres, camera-aligned axes): the angle of the shoulder line and hip line
  out of the image plane, ``atan2(|dz|, hypot(dx, dy))`` - 90 deg = pure side view;
* image landmarks: the shoulder/hip line length relative to the trunk length (shoulder-mid to
  hip-mid), mapped to the same angle through ``arccos`` of the ratio over a typical
  shoulder-width / trunk-length ratio of 0.75.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.core.pose import Landmark, Pose

#: wrong_view for exercises that need a side view: body yaw below this (deg) is a front/back
#: view. Measured on the labelled clips: every side clip 61-88 deg (bird_dog_03 61, plank_05
#: oblique 67-80), knee_to_chest_01 (from above, oblique) 44-50, the frontal end of sitting_01
#: (labelled wrong_view) 24-37.
WRONG_VIEW_MAX_YAW_DEG = 40.0
#: ... sustained this long (s): turning toward the camera for a moment is not a wrong view
WRONG_VIEW_MIN_S = 1.0

L_SH, R_SH = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
L_HIP, R_HIP = Landmark.LEFT_HIP, Landmark.RIGHT_HIP


@dataclass(frozen=True)
class ViewParams:
    #: above this out-of-plane angle (deg) the view counts as a side view. 55 deg leaves
    #: room for a camera a little in front of or behind the side (labels accept "slight
    #: oblique" as side).
    side_min_deg: float = 55.0
    #: below this the view is front/back; in between it is oblique
    front_max_deg: float = 30.0
    #: shoulder width / trunk length of an adult seen square-on (anthropometric average ~0.7-0.8)
    width_ratio: float = 0.75


def body_yaw_deg(pose: Pose, params: ViewParams = ViewParams()) -> float:
    """Out-of-image-plane angle (deg, 0-90) of the shoulder and hip lines. NaN if unknown."""
    w = pose.world
    pairs = [(L_SH, R_SH), (L_HIP, R_HIP)]
    angles = []
    for a, b in pairs:
        d = w[a] - w[b]
        if np.all(np.isfinite(d)) and np.linalg.norm(d) > 1e-6:
            angles.append(np.degrees(np.arctan2(abs(d[2]), np.hypot(d[0], d[1]))))
    if angles:
        return float(np.mean(angles))
    px = pose.px
    trunk = np.linalg.norm((px[L_SH] + px[R_SH]) / 2 - (px[L_HIP] + px[R_HIP]) / 2)
    widths = [np.linalg.norm(px[a] - px[b]) for a, b in pairs]
    if not np.isfinite(trunk) or trunk < 1e-6 or not np.all(np.isfinite(widths)):
        return float("nan")
    ratio = float(np.clip(np.mean(widths) / trunk / params.width_ratio, 0.0, 1.0))
    return float(np.degrees(np.arccos(ratio)))


def classify_view(pose: Pose, params: ViewParams = ViewParams()) -> str:
    """'side', 'oblique', 'front' (front or back), or 'unknown'."""
    yaw = body_yaw_deg(pose, params)
    if not np.isfinite(yaw):
        return "unknown"
    if yaw >= params.side_min_deg:
        return "side"
    if yaw <= params.front_max_deg:
        return "front"
    return "oblique"
