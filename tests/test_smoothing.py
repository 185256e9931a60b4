"""One Euro landmark smoothing: removes jitter on a still point, follows real movement."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis.smoothing import OneEuroFilter, OneEuroParams, PoseSmoother
from formcheck.core.pose import Landmark, Pose
from tests.builders import make_pose

FPS = 30.0
KNEE = Landmark.LEFT_KNEE


def run(xs, ys=None, fps=FPS, smoother=None):
    """Smooth a knee track (pixels, 720p); returns the (T, 2) smoothed positions."""
    sm = smoother or PoseSmoother()
    ys = np.full(len(xs), 360.0) if ys is None else ys
    out = []
    for i, (x, y) in enumerate(zip(xs, ys)):
        q = sm.update(make_pose({"LEFT_KNEE": (x, y)}, t_ms=i * 1000.0 / fps))
        out.append(q.xy(KNEE).copy())
    return np.array(out)


def test_still_point_jitter_is_cut_to_a_third():
    # MediaPipe's frame-to-frame jitter on a still joint is a few px at 720p
    rng = np.random.default_rng(0)
    xs, ys = 640 + rng.normal(0, 3, 300), 360 + rng.normal(0, 3, 300)
    out = run(xs, ys)
    raw_std = np.std(np.c_[xs, ys][30:], axis=0)
    assert (np.std(out[30:], axis=0) < 0.45 * raw_std).all()
    # and it stays centred on the true position
    np.testing.assert_allclose(out[30:].mean(axis=0), [640, 360], atol=1.0)


def test_follows_a_step_within_a_few_frames_without_overshoot():
    xs = np.r_[np.full(30, 640.0), np.full(30, 840.0)]
    out = run(xs)[:, 0]
    assert out[29] == pytest.approx(640, abs=0.01)
    # 95 % of a 200 px jump within 0.2 s (6 frames at 30 fps)
    assert out[30 + 6] >= 640 + 0.95 * 200
    assert out.max() <= 840 + 0.5


def test_slow_exercise_movement_keeps_its_range():
    # 0.5 Hz, +-100 px: a slow rep must not be flattened (rep counting needs the range)
    t = np.arange(150) / FPS
    xs = 640 + 100 * np.sin(2 * np.pi * 0.5 * t)
    out = run(xs)[60:, 0]
    assert (out.max() - out.min()) / 2 >= 90


def test_no_person_frames_pass_through_and_a_long_gap_restarts():
    sm = PoseSmoother()
    assert sm.update(None) is None
    sm.update(make_pose({"LEFT_KNEE": (600, 360)}, t_ms=0))
    sm.update(make_pose({"LEFT_KNEE": (600, 360)}, t_ms=33))
    # after a gap longer than reset_gap_s, the new position is taken as is (no smearing)
    q = sm.update(make_pose({"LEFT_KNEE": (900, 360)}, t_ms=33 + 1000))
    assert q.xy(KNEE)[0] == pytest.approx(900, abs=0.01)


def test_landmark_that_was_missing_comes_back_unsmoothed():
    sm = PoseSmoother()
    p0 = make_pose(t_ms=0)
    img = p0.image.copy()
    img[KNEE] = np.nan
    sm.update(Pose(img, p0.world, p0.visibility, 0.0, p0.image_size))
    q = sm.update(make_pose({"LEFT_KNEE": (700, 500)}, t_ms=33))
    np.testing.assert_allclose(q.xy(KNEE), [700, 500], atol=0.01)
    assert np.isnan(q.world).all()  # NaN world stays NaN, nothing invented


def test_keeps_pose_metadata():
    q = PoseSmoother().update(make_pose(t_ms=5.0, num_people=2, visibility=0.7))
    assert q.timestamp_ms == 5.0 and q.num_people == 2 and q.image_size == (1280, 720)
    np.testing.assert_allclose(q.visibility, 0.7, atol=1e-6)


def test_time_going_backwards_restarts_instead_of_dividing_by_zero():
    f = OneEuroFilter()
    f(np.array([0.0]), 1.0)
    out = f(np.array([5.0]), 1.0)  # same time stamp
    assert out[0] == 5.0
    out = f(np.array([7.0]), 0.5)  # earlier
    assert out[0] == 7.0


@pytest.mark.parametrize("kw", [{"min_cutoff": 0}, {"beta": -1}, {"d_cutoff": 0}])
def test_invalid_params(kw):
    with pytest.raises(ValueError):
        OneEuroParams(**kw)
