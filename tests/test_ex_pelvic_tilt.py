"""Pelvic tilt analyzer on synthetic supine sequences: each check fires on the fault and stays
quiet on good form; jitter never adds reps; a lost pose pauses a hold."""

from __future__ import annotations

import pytest

from formcheck.exercises import make_analyzer
from formcheck.exercises.pelvic_tilt import PelvicTiltParams
from tests.lying_builders import face_down, front_view, hip_on_line, run, standing, supine

HOLD_TARGET = PelvicTiltParams().hold_min_s


def tilts(hold_s: float, n: int, rest_s: float = 2.0, move_s: float = 0.6):
    """n tilts: rest, tilt in ``move_s``, hold ``hold_s``, release in ``move_s``."""
    period = rest_s + 2 * move_s + hold_s

    def amount(t: float) -> float:
        k, u = divmod(t, period)
        if k >= n or u < rest_s:
            return 0.0
        u -= rest_s
        if u < move_s:
            return u / move_s
        if u < move_s + hold_s:
            return 1.0
        return max(0.0, 1.0 - (u - move_s - hold_s) / move_s)

    return amount, n * period + rest_s


def analyze(fn, seconds, fps=30.0):
    return run(make_analyzer("pelvic_tilt"), fn, seconds, fps)


def test_short_tilts_are_counted_and_flagged_hold_too_short():
    amount, dur = tilts(hold_s=1.0, n=4)
    res, _ = analyze(lambda t: supine(tilt=amount(t)), dur)
    assert res.rep_count == 4
    assert "hold_too_short" in res.fault_ids
    assert all(0.9 <= h.duration_s <= 2.0 for h in res.holds)
    for quiet in (
        "hips_lifted",
        "knees_not_bent",
        "too_fast",
        "not_in_position",
        "wrong_view",
        "not_visible",
    ):
        assert quiet not in res.fault_ids


def test_tilts_held_long_enough_are_good_reps():
    amount, dur = tilts(hold_s=4.0, n=3)
    res, fbs = analyze(lambda t: supine(tilt=amount(t)), dur)
    assert res.rep_count == 3
    assert res.fault_ids == []
    assert all(r.good and r.hold_s >= HOLD_TARGET for r in res.reps)
    # the live hold timer climbs during a tilt and shows the target
    hold_s, target, phase = max((f.hold_s, f.hold_target_s, f.phase) for f in fbs)
    assert hold_s >= HOLD_TARGET and target == HOLD_TARGET and phase == "tilt"


def test_jitter_around_the_start_threshold_adds_no_rep():
    # the hip angle flickers across the 4 deg tilt threshold every other frame (+-1.5 deg)
    res, _ = analyze(lambda t: supine(tilt=0.5 + (0.25 if int(t * 30) % 2 else -0.25)), 10.0)
    assert res.rep_count == 0


def test_jitter_during_a_hold_does_not_split_it():
    amount, dur = tilts(hold_s=4.0, n=1)

    def fn(t):
        a = amount(t)
        return supine(tilt=a + (0.2 if int(t * 30) % 2 else -0.2) * (a >= 1.0))

    res, _ = analyze(fn, dur)
    assert res.rep_count == 1
    assert "hold_too_short" not in res.fault_ids


def test_lost_pose_mid_hold_pauses_the_timer():
    amount, dur = tilts(hold_s=4.0, n=1)
    gap = (3.5, 4.5)  # inside the hold (2.6-6.6 s)
    res, fbs = analyze(lambda t: None if gap[0] <= t < gap[1] else supine(tilt=amount(t)), dur)
    assert res.rep_count == 1
    (hold,) = res.holds
    # the gap neither ended the hold nor counted as good time
    assert hold.duration_s >= 4.0
    assert hold.good_s == pytest.approx(hold.duration_s - 1.0, abs=0.2)
    during = [f.hold_s for f in fbs if gap[0] <= f.t_s < gap[1]]
    assert max(during) == pytest.approx(min(during))


def test_hips_lifted_fires_when_the_pelvis_leaves_the_floor():
    amount, dur = tilts(hold_s=4.0, n=1)
    lifted = hip_on_line(0.9)
    res, _ = analyze(
        lambda t: supine(near={"HIP": lifted} if amount(t) >= 1.0 else None, tilt=amount(t)), dur
    )
    assert "hips_lifted" in res.fault_ids
    assert res.reps and "hips_lifted" in res.reps[0].faults and not res.reps[0].good


def test_knees_not_bent_fires_on_straight_legs_and_not_on_bent_ones():
    straight = {
        "KNEE": (1050.0, 515.0),
        "ANKLE": (1300.0, 525.0),
        "HEEL": (1300.0, 560.0),
        "FOOT_INDEX": (1330.0, 520.0),
    }
    res, _ = analyze(lambda t: supine(near=straight), 3.0)
    assert "knees_not_bent" in res.fault_ids
    res, _ = analyze(lambda t: supine(), 3.0)
    assert "knees_not_bent" not in res.fault_ids


def test_too_fast_fires_on_a_jerk_and_not_on_a_controlled_tilt():
    # the hips thrown up into a bridge in 0.25 s: the hip angle turns ~170 deg/s
    hip_up = hip_on_line(1.0)

    def jerk(t):
        f = min(1.0, max(0.0, (t - 1.0) / 0.25))
        return supine(near={"HIP": (800.0, 520.0 + f * (hip_up[1] - 520.0))})

    res, _ = analyze(jerk, 2.0)
    assert "too_fast" in res.fault_ids
    amount, dur = tilts(hold_s=1.0, n=2, move_s=0.4)
    res, _ = analyze(lambda t: supine(tilt=amount(t)), dur)
    assert "too_fast" not in res.fault_ids


def test_not_in_position_when_standing_or_face_down():
    res, _ = analyze(lambda t: standing(), 2.0)
    assert "not_in_position" in res.fault_ids
    assert res.rep_count == 0
    # prone (plank-like) with the same outline: tilts of the hip are not counted
    amount, dur = tilts(hold_s=4.0, n=2)
    res, _ = analyze(lambda t: face_down(tilt=amount(t)), dur)
    assert "not_in_position" in res.fault_ids
    assert res.rep_count == 0


def test_not_visible_when_the_legs_are_hidden():
    hidden = {"RIGHT_KNEE": 0.1, "RIGHT_ANKLE": 0.1}
    res, _ = analyze(lambda t: supine(visibility=hidden), 2.0)
    assert "not_visible" in res.fault_ids


def test_wrong_view_needs_a_sustained_front_view():
    res, _ = analyze(lambda t: front_view() if t >= 1.0 else supine(), 3.0)
    assert "wrong_view" in res.fault_ids
    # half a second facing the camera (turning to reach it) is not a wrong view
    res, _ = analyze(lambda t: front_view() if 1.0 <= t < 1.5 else supine(), 3.0)
    assert "wrong_view" not in res.fault_ids


def test_low_frame_rate_cannot_time_the_hold():
    amount, dur = tilts(hold_s=1.0, n=2)
    res, _ = analyze(lambda t: supine(tilt=amount(t)), dur, fps=3.33)
    assert "hold_too_short" not in res.fault_ids
    assert "hold_too_short" in res.not_measurable
    assert "too_fast" in res.not_measurable
