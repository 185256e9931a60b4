"""Pose estimation with MediaPipe's Pose Landmarker (Tasks API).

This is the only module that imports mediapipe. Everything else sees :class:`Pose` values.

VIDEO running mode is used for files *and* live frames: it runs synchronously on the frame
it is given and uses the previous frame's landmarks to track, so a live loop that always
hands it the newest camera frame gets the lowest latency without LIVE_STREAM's callback
queue (which would let results lag behind the person).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from formcheck.core.pose import Pose
from formcheck.io.model_download import resolve_model
from formcheck.io.models import ModelError
from formcheck.io.offline import block_native_uploads, unblock_native_uploads


@dataclass(frozen=True)
class EstimatorOptions:
    """Settings for :class:`PoseEstimator`."""

    #: model variant: lite (fastest), full (default), heavy (most accurate, ~3x slower)
    model: str = "full"
    #: explicit .task file; overrides ``model`` lookup
    model_path: str | None = None
    #: find up to this many people so a second person is reported, not silently mixed in
    num_poses: int = 2
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __post_init__(self) -> None:
        if self.model not in ("lite", "full", "heavy"):
            raise ValueError(f"model must be lite, full or heavy, not {self.model!r}")
        if self.num_poses < 1:
            raise ValueError("num_poses must be >= 1")
        for name in ("min_detection_confidence", "min_presence_confidence",
                     "min_tracking_confidence"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")


@dataclass(frozen=True)
class Detection:
    """All people found in one frame; ``main`` is the one analysed (largest on screen)."""

    poses: tuple[Pose, ...]
    main: Pose | None


class PoseEstimator:
    """MediaPipe PoseLandmarker in VIDEO mode, as a context manager.

    ``detect(rgb, timestamp_ms)`` takes an (H, W, 3) uint8 RGB frame. Timestamps must
    increase strictly (MediaPipe's rule); a timestamp that does not is a ValueError.
    """

    def __init__(self, options: EstimatorOptions = EstimatorOptions()):
        self.options = options
        self.model_path: Path = resolve_model(options.model, options.model_path)
        self._landmarker = None
        self._last_ts: int | None = None
        self._warm = False

    def __enter__(self) -> PoseEstimator:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        if self._landmarker is not None:
            return
        # Quiet TFLite/glog start-up chatter unless the user asked for it.
        os.environ.setdefault("GLOG_minloglevel", "2")
        from mediapipe.tasks.python import BaseOptions, vision

        o = self.options
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=o.num_poses,
            min_pose_detection_confidence=o.min_detection_confidence,
            min_pose_presence_confidence=o.min_presence_confidence,
            min_tracking_confidence=o.min_tracking_confidence,
            output_segmentation_masks=False,
        )
        # MediaPipe's native usage logging would phone home; keep it here (see io/offline.py)
        block_native_uploads()
        try:
            with _quiet_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError, OSError) as exc:
            unblock_native_uploads()
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"cannot load pose model {self.model_path}: {why}") from None
        except BaseException:
            unblock_native_uploads()
            raise
        self._last_ts = None
        self._warm = False

    def close(self) -> None:
        if self._landmarker is not None:
            try:
                self._landmarker.close()  # where MediaPipe sends its session report
            finally:
                self._landmarker = None
                unblock_native_uploads()

    def detect(self, rgb: NDArray[np.uint8], timestamp_ms: float) -> Detection:
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is not open: use it in a `with` block")
        import mediapipe as mp

        ts = int(round(timestamp_ms))
        if self._last_ts is not None and ts <= self._last_ts:
            raise ValueError(
                f"timestamps must increase: got {ts} ms after {self._last_ts} ms"
            )
        self._last_ts = ts
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self._warm:
            result = self._landmarker.detect_for_video(image, ts)
        else:  # the first call initialises TFLite, which logs to the C stderr
            with _quiet_native_stderr():
                result = self._landmarker.detect_for_video(image, ts)
            self._warm = True
        h, w = rgb.shape[:2]
        n = len(result.pose_landmarks)
        poses = tuple(
            Pose.from_mediapipe(
                result.pose_landmarks[i],
                result.pose_world_landmarks[i] if i < len(result.pose_world_landmarks) else None,
                timestamp_ms=float(timestamp_ms),
                image_size=(w, h),
                num_people=n,
            )
            for i in range(n)
        )
        return Detection(poses, _largest(poses))


@contextmanager
def _quiet_native_stderr():
    """Silence what TFLite and glog write straight to file descriptor 2 while a model is
    loaded and first run ("Created TensorFlow Lite XNNPACK delegate", alignment warnings):
    noise for a user. Python exceptions still propagate. FORMCHECK_VERBOSE=1 keeps it all."""
    if os.environ.get("FORMCHECK_VERBOSE"):
        yield
        return
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (e.g. captured)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _largest(poses: tuple[Pose, ...]) -> Pose | None:
    """The person who takes up the most of the frame (the one exercising, usually)."""
    if not poses:
        return None
    def area(p: Pose) -> float:
        xy = p.image[:, :2]
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) == 0:
            return 0.0
        span = np.clip(xy, 0, 1).max(axis=0) - np.clip(xy, 0, 1).min(axis=0)
        return float(span[0] * span[1])
    return max(poses, key=area)
