"""The Pose value type: shapes, NaN for missing, round trips, near side, visibility."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from formcheck.core.pose import NUM_LANDMARKS, ROW_SIZE, Landmark, Pose, side_landmark
from tests.builders import make_pose


def test_shapes_dtypes_and_read_only():
    p = make_pose()
    assert p.image.shape == (33, 3) and p.image.dtype == np.float32
    assert p.world.shape == (33, 3) and p.visibility.shape == (33,)
    assert p.px.shape == (33, 2)
    with pytest.raises(ValueError):
        p.image[0, 0] = 1.0  # frozen arrays: a pose cannot be changed after the fact
    with pytest.raises(ValueError, match=r"\(33, 3\)"):
        Pose(np.zeros((32, 3)), np.zeros((33, 3)), np.zeros(33), 0.0, (10, 10))
    with pytest.raises(ValueError, match="image_size"):
        Pose(np.zeros((33, 3)), np.zeros((33, 3)), np.zeros(33), 0.0, (0, 10))


def test_px_scales_by_image_size():
    p = make_pose({"LEFT_KNEE": (640, 360)}, image_size=(1280, 720))
    np.testing.assert_allclose(p.xy(Landmark.LEFT_KNEE), [640, 360], atol=1e-3)
    np.testing.assert_allclose(p.image[Landmark.LEFT_KNEE, :2], [0.5, 0.5], atol=1e-6)


def test_from_array_pixels_and_defaults():
    pts = np.arange(66, dtype=np.float32).reshape(33, 2) * 10
    p = Pose.from_array(pts, pixels=True, image_size=(640, 480), timestamp_ms=12.5)
    np.testing.assert_allclose(p.px, pts, atol=1e-3)
    assert np.isnan(p.world).all()  # unknown world landmarks are NaN, not zeros
    assert (p.visibility == 1).all() and p.timestamp_ms == 12.5
    with pytest.raises(ValueError, match=r"\(33, 2\) or \(33, 3\)"):
        Pose.from_array(np.zeros((33, 4)))


def test_row_round_trip_keeps_nan():
    p = make_pose({"LEFT_KNEE": (700, 500)}, t_ms=1234.5, num_people=2)
    base = p.as_row()
    base[2 + 3 * Landmark.RIGHT_ANKLE: 5 + 3 * Landmark.RIGHT_ANKLE] = np.nan
    assert base.shape == (ROW_SIZE,)
    q = Pose.from_row(base, p.image_size)
    assert q.timestamp_ms == 1234.5 and q.num_people == 2 and q.image_size == (1280, 720)
    np.testing.assert_allclose(q.px[Landmark.LEFT_KNEE], [700, 500], atol=1e-3)
    assert np.isnan(q.px[Landmark.RIGHT_ANKLE]).all()
    np.testing.assert_array_equal(np.isnan(q.as_row()), np.isnan(base))
    with pytest.raises(ValueError, match=str(ROW_SIZE)):
        Pose.from_row(np.zeros(10), (10, 10))


def test_from_mediapipe_reads_by_attribute_and_keeps_missing_visibility_nan():
    lms = [SimpleNamespace(x=i / 40, y=0.5, z=0.0, visibility=None if i == 3 else 0.9)
           for i in range(NUM_LANDMARKS)]
    world = [SimpleNamespace(x=0.1, y=-0.2, z=0.3) for _ in range(NUM_LANDMARKS)]
    p = Pose.from_mediapipe(lms, world, timestamp_ms=40.0, image_size=(400, 200), num_people=1)
    np.testing.assert_allclose(p.px[10], [100, 100], atol=1e-3)
    assert np.isnan(p.visibility[3]) and p.vis(3) == 0.0
    np.testing.assert_allclose(p.world[0], [0.1, -0.2, 0.3], atol=1e-6)
    q = Pose.from_mediapipe(lms, None, timestamp_ms=0.0, image_size=(400, 200))
    assert np.isnan(q.world).all()


@pytest.mark.parametrize("side", ["left", "right"])
def test_near_side_from_depth(side):
    assert make_pose(near_side=side).near_side() == side


def test_near_side_falls_back_to_visibility_when_depth_is_flat():
    p = make_pose(visibility={"RIGHT_SHOULDER": 0.2, "RIGHT_HIP": 0.2, "RIGHT_KNEE": 0.2})
    img = p.image.copy()
    img[:, 2] = 0.0  # no depth difference
    flat = Pose(img, p.world, p.visibility, 0.0, p.image_size)
    assert flat.near_side() == "left"


def test_visible_needs_presence_visibility_and_inside_the_picture():
    knee = [Landmark.LEFT_KNEE]
    assert make_pose().visible(knee)
    assert not make_pose(visibility={"LEFT_KNEE": 0.3}).visible(knee)
    # cut off by the right edge, though MediaPipe still rates it visible (seen on cropped clips)
    assert not make_pose({"LEFT_KNEE": (1330, 560)}).visible(knee)
    assert make_pose({"LEFT_KNEE": (1290, 560)}).visible(knee)  # 0.8 % outside: edge jitter
    missing = dict(make_pose().__dict__)
    img = make_pose().image.copy()
    img[Landmark.LEFT_KNEE] = np.nan
    assert not Pose(img, missing["world"], missing["visibility"], 0.0, (1280, 720)).visible(knee)


def test_side_landmark_names():
    assert side_landmark("right", "heel") is Landmark.RIGHT_HEEL
    with pytest.raises(ValueError, match="left' or 'right"):
        side_landmark("middle", "knee")


def test_body_height_is_the_trunk_length():
    p = make_pose({"LEFT_SHOULDER": (600, 200), "RIGHT_SHOULDER": (600, 200),
                   "LEFT_HIP": (600, 500), "RIGHT_HIP": (600, 500)})
    assert p.body_height_px == pytest.approx(300, abs=0.1)
