"""The one pose value type every module shares, and MediaPipe's 33 landmark names.

Nothing here imports mediapipe: :meth:`Pose.from_mediapipe` reads a landmark list by duck
typing, so analyzers, reports and tests run without a model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

NUM_LANDMARKS = 33
#: how far (share of the image size) a landmark may lie outside the picture and still count as
#: visible. Measured on the 24 sample clips (full model): with 0.02, a shoulder, hip, knee or
#: ankle with visibility >= 0.5 lies outside the picture in 0 frames of every clip except the
#: three labelled `not_visible` for a tight crop (bird_dog_02 51 %, plank_10 85 %, sitting_01 19 %).
IN_FRAME_MARGIN = 0.02


class Landmark(IntEnum):
    """MediaPipe Pose landmark indices (0-based, MediaPipe's order).

    LEFT/RIGHT are the person's sides, not the image's.
    """

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Bones drawn by the overlay, as landmark index pairs.
SKELETON: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
    (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (15, 17), (15, 19), (17, 19), (16, 18), (16, 20), (18, 20),
    (0, 7), (0, 8),
)

SIDES = ("left", "right")


def side_landmark(side: str, name: str) -> Landmark:
    """``side_landmark("left", "knee") -> Landmark.LEFT_KNEE``."""
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    return Landmark[f"{side.upper()}_{name.upper()}"]


def _as_array(values: Any, shape: tuple[int, ...], name: str) -> NDArray[np.float32]:
    arr = np.asarray(values, dtype=np.float32)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class Pose:
    """One person's landmarks in one frame.

    Attributes:
        image: (33, 3) float32. x, y normalised to [0, 1] by image width and height
            (may fall slightly outside when a joint is out of frame); z is MediaPipe's
            relative depth (same scale as x, smaller is nearer the camera). NaN = missing.
        world: (33, 3) float32, metres, hip-centred (MediaPipe world landmarks; y points
            down). NaN where not available.
        visibility: (33,) float32 in [0, 1]: MediaPipe's visibility (likelihood the joint is
            in frame and not occluded). NaN = unknown.
        timestamp_ms: time of the frame in the stream, milliseconds.
        image_size: (width, height) in pixels of the frame the landmarks were found in.
        num_people: how many people the estimator found in the frame (this pose is one).
    """

    image: NDArray[np.float32]
    world: NDArray[np.float32]
    visibility: NDArray[np.float32]
    timestamp_ms: float
    image_size: tuple[int, int]
    num_people: int = 1
    _px: NDArray[np.float32] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "image", _as_array(self.image, (NUM_LANDMARKS, 3), "image"))
        object.__setattr__(self, "world", _as_array(self.world, (NUM_LANDMARKS, 3), "world"))
        object.__setattr__(
            self, "visibility", _as_array(self.visibility, (NUM_LANDMARKS,), "visibility")
        )
        w, h = self.image_size
        if w <= 0 or h <= 0:
            raise ValueError(f"image_size must be positive, got {self.image_size}")
        px = self.image[:, :2] * np.array([w, h], dtype=np.float32)
        object.__setattr__(self, "_px", px)
        self.image.setflags(write=False)
        self.world.setflags(write=False)
        self.visibility.setflags(write=False)
        px.setflags(write=False)

    # ---- constructors -------------------------------------------------------------------
    @classmethod
    def from_array(
        cls,
        image: Any,
        *,
        timestamp_ms: float = 0.0,
        image_size: tuple[int, int] = (1280, 720),
        world: Any = None,
        visibility: Any = None,
        num_people: int = 1,
        pixels: bool = False,
    ) -> Pose:
        """Build a pose from plain arrays (tests, landmark tables, caches).

        ``image`` is (33, 2) or (33, 3); with ``pixels=True`` x, y are pixels and are
        normalised by ``image_size``. Missing ``world`` is NaN, missing ``visibility`` is 1.
        """
        arr = np.asarray(image, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != NUM_LANDMARKS or arr.shape[1] not in (2, 3):
            raise ValueError(f"image must be (33, 2) or (33, 3), got {arr.shape}")
        if arr.shape[1] == 2:
            arr = np.concatenate([arr, np.zeros((NUM_LANDMARKS, 1), np.float32)], axis=1)
        else:
            arr = arr.copy()
        if pixels:
            w, h = image_size
            arr[:, 0] /= w
            arr[:, 1] /= h
            arr[:, 2] /= w
        if world is None:
            world = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
        if visibility is None:
            visibility = np.ones(NUM_LANDMARKS, np.float32)
        return cls(arr, world, visibility, float(timestamp_ms), (image_size[0], image_size[1]), num_people)

    @classmethod
    def from_mediapipe(
        cls,
        landmarks: Sequence[Any],
        world_landmarks: Sequence[Any] | None,
        *,
        timestamp_ms: float,
        image_size: tuple[int, int],
        num_people: int = 1,
    ) -> Pose:
        """Build a pose from one entry of ``PoseLandmarkerResult.pose_landmarks`` (and the
        matching ``pose_world_landmarks`` entry). Read by attribute (x, y, z, visibility),
        so this module does not import mediapipe."""
        image = np.array([(lm.x, lm.y, lm.z) for lm in landmarks], dtype=np.float32)
        vis = np.array(
            [np.nan if lm.visibility is None else lm.visibility for lm in landmarks],
            dtype=np.float32,
        )
        if world_landmarks:
            world = np.array([(lm.x, lm.y, lm.z) for lm in world_landmarks], dtype=np.float32)
        else:
            world = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
        return cls(image, world, vis, float(timestamp_ms), (image_size[0], image_size[1]), num_people)

    @classmethod
    def from_row(cls, row: NDArray[np.floating], image_size: tuple[int, int]) -> Pose:
        """Inverse of :meth:`as_row`: one flat row of a landmark table."""
        row = np.asarray(row, dtype=np.float64)
        if row.shape != (ROW_SIZE,):
            raise ValueError(f"a pose row has {ROW_SIZE} values, got {row.shape}")
        image = row[2:101].reshape(NUM_LANDMARKS, 3)
        world = row[101:200].reshape(NUM_LANDMARKS, 3)
        vis = row[200:233]
        return cls(image, world, vis, float(row[0]), (image_size[0], image_size[1]), int(row[1]))

    # ---- converters ---------------------------------------------------------------------
    def as_row(self) -> NDArray[np.float64]:
        """Flat row: [timestamp_ms, num_people, image(99), world(99), visibility(33)]."""
        return np.concatenate(
            [
                [self.timestamp_ms, self.num_people],
                self.image.ravel(),
                self.world.ravel(),
                self.visibility,
            ]
        ).astype(np.float64)

    # ---- access -------------------------------------------------------------------------
    @property
    def px(self) -> NDArray[np.float32]:
        """(33, 2) float32 image coordinates in pixels (x right, y down)."""
        return self._px

    def xy(self, lm: int) -> NDArray[np.float32]:
        """(2,) pixel position of one landmark (NaN if missing)."""
        point: NDArray[np.float32] = self._px[int(lm)]
        return point

    def vis(self, lm: int) -> float:
        v = float(self.visibility[int(lm)])
        return 0.0 if np.isnan(v) else v

    def visible(self, lms: Iterable[int], threshold: float = 0.5,
                margin: float = IN_FRAME_MARGIN) -> bool:
        """True when every landmark is present (not NaN), its visibility >= threshold, and it
        lies inside the picture (normalised x, y within [-margin, 1 + margin]).

        The frame test matters: MediaPipe places a joint cut off by the frame edge outside
        [0, 1] and often still gives it a high visibility (a knee at x = 1.35 with visibility
        0.93 in a cropped glute-bridge frame), so visibility alone misses a cropped body.
        """
        idx = [int(i) for i in lms]
        v = self.visibility[idx]
        xy = self.image[idx, :2]
        inside = (xy >= -margin) & (xy <= 1.0 + margin)  # False for NaN too
        return bool(np.all(np.nan_to_num(v, nan=0.0) >= threshold)) and bool(inside.all())

    def near_side(self) -> str:
        """The person's side nearer the camera: 'left' or 'right'.

        Uses MediaPipe's relative depth z (smaller = nearer) of shoulders, hips and knees,
        with visibility as a tie-breaker.
        """
        left = [Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP, Landmark.LEFT_KNEE]
        right = [Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE]
        zl = np.nanmean(self.image[left, 2])
        zr = np.nanmean(self.image[right, 2])
        if np.isfinite(zl) and np.isfinite(zr) and abs(zl - zr) > 0.02:
            return "left" if zl < zr else "right"
        vl = np.nansum(self.visibility[left])
        vr = np.nansum(self.visibility[right])
        return "left" if vl >= vr else "right"

    @property
    def body_height_px(self) -> float:
        """A body-size scale in pixels: the longer of shoulder-mid to hip-mid and the
        hip-knee-ankle chain, useful to normalise distances. NaN if unknown."""
        p = self._px
        sh = np.nanmean(p[[11, 12]], axis=0)
        hp = np.nanmean(p[[23, 24]], axis=0)
        trunk = float(np.linalg.norm(sh - hp))
        return trunk if np.isfinite(trunk) else float("nan")


ROW_SIZE = 2 + 99 + 99 + 33
