"""Landmark smoothing: a One Euro filter (Casiez et al., CHI 2012) over whole poses.

The Tasks API has no smoothing of its own; jitter near a threshold is the top cause of false
reps. The One Euro filter smooths hard when a point is still and follows quickly when it
moves, so it removes jitter without adding lag to real movement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.core.pose import Pose


@dataclass(frozen=True)
class OneEuroParams:
    #: cutoff (Hz) at rest: lower = smoother. 1.0 Hz removes MediaPipe's frame-to-frame
    #: jitter (a few px at 720p) while a slow exercise movement (0.2-1 Hz) passes.
    min_cutoff: float = 1.0
    #: how fast the cutoff rises with speed; 0.3 keeps lag under one frame at normal speeds.
    beta: float = 0.3
    d_cutoff: float = 1.0
    #: a gap longer than this (s) restarts the filter rather than smoothing across it
    reset_gap_s: float = 0.5

    def __post_init__(self) -> None:
        if self.min_cutoff <= 0 or self.d_cutoff <= 0 or self.beta < 0:
            raise ValueError("OneEuroParams: cutoffs must be > 0 and beta >= 0")


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Vectorised One Euro filter over an array of any shape."""

    def __init__(self, params: OneEuroParams = OneEuroParams()):
        self.p = params
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t_s: float, scale: float = 1.0) -> np.ndarray:
        """Filter one sample. ``scale`` converts x's units to those the cutoffs were tuned
        for (e.g. normalised coordinates -> pixels), so beta means the same on any clip."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t_s - self._t > self.p.reset_gap_s or t_s <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t_s
            return x
        dt = t_s - self._t
        dx = (x - self._x) / dt
        a_d = _alpha(self.p.d_cutoff, dt)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.p.min_cutoff + self.p.beta * np.abs(dx_hat) * scale
        a = _alpha(cutoff, dt)
        x_hat: np.ndarray = a * x + (1 - a) * self._x
        # a landmark that was NaN and comes back: take it as is
        fresh = ~np.isfinite(self._x)
        x_hat[fresh] = x[fresh]
        self._x, self._dx, self._t = x_hat, np.nan_to_num(dx_hat), t_s
        return x_hat


class PoseSmoother:
    """Smooths image and world landmarks of a pose stream; ``update(None)`` marks a gap."""

    def __init__(self, params: OneEuroParams = OneEuroParams()):
        self.params = params
        self._img = OneEuroFilter(params)
        self._world = OneEuroFilter(params)

    def reset(self) -> None:
        self._img.reset()
        self._world.reset()

    def update(self, pose: Pose | None) -> Pose | None:
        if pose is None:
            return None
        t = pose.timestamp_ms / 1000.0
        w, h = pose.image_size
        # image coordinates are normalised: scale speed to pixels of the longer side
        img = self._img(pose.image, t, scale=float(max(w, h)) / 100.0)
        world = self._world(pose.world, t, scale=10.0)  # metres -> decimetres
        return Pose(img, world, pose.visibility, pose.timestamp_ms, pose.image_size, pose.num_people)
