"""Issue 9, scenario 2: a stoop bend is warned at the bottom of the bend, while it happens -
also when no lift follows within the clip and when the head, the hands or the whole upper
body leave the frame at the bottom. A stoop is never counted as a squat lift.

Synthetic side-view tracks from ``test_ex_lifting.lift_pose`` (trunk 75 deg forward, knees
155 deg for the stoop; knees 70 deg for the squat).
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis.pipeline import FrameProcessor
from formcheck.core.checks import cue_for
from formcheck.core.pose import Landmark, Pose
from formcheck.exercises.lifting import LiftingAnalyzer
from tests.builders import pose_sequence
from tests.test_ex_lifting import SQUAT, STAND, STOOP, lerp, lift_pose, one_lift

CUE = cue_for("lifting", "bending_at_waist")
HEAD = ("NOSE", "LEFT_EYE", "RIGHT_EYE", "LEFT_EAR", "RIGHT_EAR")
HANDS = ("LEFT_WRIST", "RIGHT_WRIST", "LEFT_ELBOW", "RIGHT_ELBOW")
UPPER = HEAD + HANDS + ("LEFT_SHOULDER", "RIGHT_SHOULDER")


def out_of_frame(pose: Pose, names, how: str = "below") -> Pose:
    """Landmarks leave the image at the bottom: ``below`` = guessed below the image edge with
    low visibility (what MediaPipe reports), ``nan`` = dropped."""
    img, vis = pose.image.copy(), pose.visibility.copy()
    for n in names:
        i = Landmark[n]
        if how == "nan":
            img[i], vis[i] = np.nan, np.nan
        else:
            img[i, 1], vis[i] = 1.05, 0.2
    return Pose(img, pose.world, vis, pose.timestamp_ms, pose.image_size, pose.num_people)


def bend_and_stay(bottom: dict, down_s: float = 1.5, hide=(), how="below", hide_at=0.67):
    """Stand 1 s, bend down over ``down_s`` and stay at the bottom until the clip ends (no
    lift within the clip); ``hide`` leaves the frame once the bend is ``hide_at`` down."""
    def fn(t: float) -> Pose:
        u = (t - 1.0) / down_s
        pose = lift_pose(**lerp(STAND, bottom, u))
        if hide and u >= hide_at:
            pose = out_of_frame(pose, hide, how)
        return pose
    return fn


def run(fn, seconds, fps=30.0):
    proc = FrameProcessor("lifting", smoothing=None)
    fbs = [proc(pose, t)[1] for t, pose in pose_sequence(fn, seconds, fps)]
    return proc.result(), fbs


def first_cue_s(fbs) -> float | None:
    return next((fb.t_s for fb in fbs if fb.cue == CUE), None)


def test_stoop_bend_that_never_completes_is_warned_at_the_bottom():
    res, fbs = run(bend_and_stay(STOOP), 4.5)  # bottom reached at 2.5 s, clip ends at 4.5
    assert res.rep_count == 0
    assert "bending_at_waist" in res.fault_ids
    assert "bending_at_waist" not in res.not_measurable
    # said while it happens: within half a second of reaching the bottom, not at the end
    said = first_cue_s(fbs)
    assert said is not None and 2.3 <= said <= 3.0
    span = next(f for f in res.faults if f.check == "bending_at_waist")
    assert span.start_s < 2.6 and span.end_s == pytest.approx(4.5 - 1 / 30, abs=0.05)


def test_squat_bend_that_never_completes_is_not_warned():
    res, fbs = run(bend_and_stay(SQUAT), 4.5)
    assert "bending_at_waist" not in res.fault_ids
    assert first_cue_s(fbs) is None


@pytest.mark.parametrize("hide, how, at", [(HEAD, "below", 0.67), (HEAD + HANDS, "below", 0.67),
                                           (HEAD + HANDS, "nan", 0.67), (UPPER, "below", 0.85),
                                           (UPPER, "nan", 0.85)])
def test_head_or_hands_leaving_the_frame_at_the_bottom_still_warned(hide, how, at):
    # head and hands go at two-thirds of the way down; with the shoulders gone too (from
    # 85 % down), the trunk is judged from the frames of the bend that showed it
    res, fbs = run(bend_and_stay(STOOP, hide=hide, how=how, hide_at=at), 4.5)
    assert "bending_at_waist" in res.fault_ids, res.notes
    said = first_cue_s(fbs)
    assert said is not None and said <= 3.2
    assert res.rep_count == 0


def test_a_stoop_lift_is_warned_before_it_completes_and_counted_as_stoop():
    fn, secs = one_lift(STOOP, down_s=1.5, up_s=1.5)  # bottom 2.5-3.0 s, standing at 4.5 s
    res, fbs = run(fn, secs)
    assert res.rep_count == 1 and res.reps[0].kind == "stoop"
    assert res.extra["stoop_lifts"] == 1 and res.extra["squat_lifts"] == 0
    said = first_cue_s(fbs)
    assert said is not None and said < 3.2  # at the bottom, before the rise
    # one warning for one bend, not one at the bottom and another at the lockout
    assert [f.check for f in res.faults].count("bending_at_waist") == 1


def test_a_squat_lift_is_not_warned_at_its_bottom():
    fn, secs = one_lift(SQUAT)
    res, fbs = run(fn, secs)
    assert res.reps[0].kind == "squat" and "bending_at_waist" not in res.fault_ids
    assert first_cue_s(fbs) is None


def test_knees_not_measurable_at_the_bottom_is_not_a_squat():
    # the ankle hidden and no world landmarks: the knee angle is unknown at the bottom, so the
    # lift's kind is not judged (never a guessed "squat")
    fn, secs = one_lift(STOOP)

    def no_ankles(t):
        return out_of_frame(fn(t), ("LEFT_ANKLE", "RIGHT_ANKLE", "LEFT_HEEL", "RIGHT_HEEL",
                                    "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX"), "nan")
    a = LiftingAnalyzer()
    for t, pose in pose_sequence(no_ankles, secs, 30.0):
        a.update(pose, t)
    res = a.result()
    assert res.rep_count == 1
    assert res.reps[0].kind is None
    assert res.extra["squat_lifts"] == 0
    assert "bending_at_waist" not in res.fault_ids


def test_lifting_02_stoop_is_warned_within_its_first_frames(samples):
    from formcheck.analysis.pipeline import analyze_track
    from formcheck.analysis.track import load_or_extract

    an = analyze_track(load_or_extract(samples / "lifting_02.mp4"), "lifting")
    assert an.result.reps[0].kind == "stoop"
    # the clip opens mid-lift at the stoop's bottom: warned within 0.3 s, not at lockout
    said = first_cue_s(an.frames)
    assert said is not None and said <= 0.3
