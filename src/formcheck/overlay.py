"""Drawing analysis results on frames. Annotators keep no analysis state: they draw what a
:class:`FrameFeedback` says.

Skeleton colours: green = the checks measured in this frame are fine, red = a fault is
active, grey = not measurable / no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from .pose import SKELETON, Pose
from .results import FrameFeedback

# RGB colours (frames are RGB throughout formcheck)
GOOD = (46, 204, 113)
FAULT = (231, 76, 60)
NEUTRAL = (189, 195, 199)
WHITE = (255, 255, 255)
PANEL = (20, 24, 28)
ACCENT = (52, 152, 219)


@dataclass(frozen=True)
class OverlayStyle:
    #: scale factor for lines and text relative to a 720p frame
    scale: float | None = None
    visibility_threshold: float = 0.5
    show_panel: bool = True


def _scale(img: NDArray[np.uint8], style: OverlayStyle) -> float:
    return style.scale if style.scale else max(0.5, min(img.shape[:2]) / 720.0)


class SkeletonAnnotator:
    """Draws bones and joints of a pose, coloured by the frame's check status."""

    def __init__(self, style: OverlayStyle = OverlayStyle()):
        self.style = style

    def annotate(self, scene: NDArray[np.uint8], pose: Pose | None,
                 feedback: FrameFeedback | None = None) -> NDArray[np.uint8]:
        if pose is None:
            return scene
        s = _scale(scene, self.style)
        color = NEUTRAL
        if feedback is not None and feedback.checks:
            if feedback.faults:
                color = FAULT
            elif any(v == "ok" for v in feedback.checks.values()):
                color = GOOD
        px = pose.px
        ok = np.nan_to_num(pose.visibility, nan=0.0) >= self.style.visibility_threshold
        ok &= np.all(np.isfinite(px), axis=1)
        thick = max(2, int(round(4 * s)))
        for a, b in SKELETON:
            if ok[a] and ok[b]:
                cv2.line(scene, _pt(px[a]), _pt(px[b]), color, thick, cv2.LINE_AA)
        r = max(3, int(round(5 * s)))
        for i in range(11, 33):
            if ok[i]:
                cv2.circle(scene, _pt(px[i]), r, WHITE, -1, cv2.LINE_AA)
                cv2.circle(scene, _pt(px[i]), r, color, max(1, thick // 2), cv2.LINE_AA)
        if ok[0]:
            cv2.circle(scene, _pt(px[0]), r + 2, color, thick, cv2.LINE_AA)
        return scene


class StatusAnnotator:
    """Draws the status panel: exercise, rep counts, hold timer, the current cue."""

    def __init__(self, title: str, style: OverlayStyle = OverlayStyle()):
        self.title = title
        self.style = style

    def annotate(self, scene: NDArray[np.uint8], fb: FrameFeedback) -> NDArray[np.uint8]:
        s = _scale(scene, self.style)
        h, w = scene.shape[:2]
        font = cv2.FONT_HERSHEY_SIMPLEX
        pad = int(12 * s)
        lines: list[tuple[str, tuple[int, int, int], float]] = [(self.title, WHITE, 0.8)]
        reps = fb.reps or {}
        per_side = [f"{k} {v}" for k, v in reps.items() if k != "total"]
        if reps:
            text = f"Reps {reps.get('total', 0)}" + (f"  ({', '.join(per_side)})" if per_side else "")
            lines.append((text, WHITE, 1.0))
        if fb.hold_s is not None:
            target = f" / {fb.hold_target_s:.0f}s" if fb.hold_target_s else ""
            lines.append((f"Hold {fb.hold_s:4.1f}s{target}", GOOD, 0.9))
        if fb.variant:
            lines.append((fb.variant.replace("_", " "), NEUTRAL, 0.7))
        if not fb.pose_found:
            lines.append((fb.message or "No person in view", NEUTRAL, 0.7))
        # panel
        heights = [int(34 * s * k / 0.8) for _, _, k in lines]
        panel_h = sum(heights) + 2 * pad
        panel_w = int(min(w * 0.6, 480 * s))
        roi = scene[0:panel_h, 0:panel_w]
        roi[:] = (roi * 0.35 + np.array(PANEL) * 0.65).astype(np.uint8)
        y = pad
        for (text, color, k), lh in zip(lines, heights):
            y += lh
            cv2.putText(scene, text, (pad, y - int(8 * s)), font, k * s, color,
                        max(1, int(2 * s)), cv2.LINE_AA)
        # hold progress bar
        if fb.hold_s is not None and fb.hold_target_s:
            frac = float(np.clip(fb.hold_s / fb.hold_target_s, 0, 1))
            y0 = panel_h - int(6 * s)
            cv2.rectangle(scene, (0, y0), (int(panel_w * frac), panel_h), GOOD, -1)
        # cue banner at the bottom
        if fb.cue:
            color = FAULT if (fb.faults or fb.pain_stop) else ACCENT
            k = 1.0 * s
            (tw, th), _ = cv2.getTextSize(fb.cue, font, k, max(1, int(2 * s)))
            if tw > w - 2 * pad:
                k *= (w - 2 * pad) / tw
                (tw, th), _ = cv2.getTextSize(fb.cue, font, k, max(1, int(2 * s)))
            y1 = h - pad
            y0 = y1 - th - 2 * pad
            cv2.rectangle(scene, (0, y0), (w, h), color, -1)
            cv2.putText(scene, fb.cue, ((w - tw) // 2, y1 - pad // 2), font, k, WHITE,
                        max(1, int(2 * s)), cv2.LINE_AA)
        return scene


def _pt(p: NDArray[np.floating]) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))
