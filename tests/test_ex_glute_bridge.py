"""Glute bridge analyzer on synthetic supine sequences: reps, top holds, the spec's checks and
the common ones, jitter near the lift threshold, a lost pose at the top."""

from __future__ import annotations

import pytest

from formcheck.exercises import make_analyzer
from formcheck.exercises.glute_bridge import GluteBridgeParams
from tests.lying_builders import HIP_REST, front_view, hip_on_line, lerp, run, standing, supine

P = GluteBridgeParams()
STRAIGHT = hip_on_line(1.0)  # shoulder-hip-knee 180 deg
LOW_TOP = (900.0, 400.0)  # hips up (trunk 14 deg) but the line bent at 157.6 deg
ARCHED = hip_on_line(1.4)  # hip 19 deg above the shoulder-knee line


def bridges(n: int, hold_s: float, top=STRAIGHT, up_s=1.0, down_s=2.0, rest_s=1.5):
    period = rest_s + up_s + hold_s + down_s

    def hip(t: float):
        k, u = divmod(t, period)
        if k >= n or u < rest_s:
            return HIP_REST
        u -= rest_s
        if u < up_s:
            return lerp(HIP_REST, top, u / up_s)
        if u < up_s + hold_s:
            return top
        return lerp(top, HIP_REST, min(1.0, (u - up_s - hold_s) / down_s))

    return (lambda t: supine(near={"HIP": hip(t)})), n * period + rest_s


def analyze(fn, seconds, fps=30.0):
    return run(make_analyzer("glute_bridge"), fn, seconds, fps)


def test_good_bridges_count_with_their_holds_and_no_faults():
    fn, dur = bridges(n=2, hold_s=6.0)
    res, fbs = analyze(fn, dur)
    assert res.rep_count == 2
    assert res.fault_ids == []
    assert all(r.good and r.hold_s >= P.hold_min_s for r in res.reps)
    assert len(res.holds) == 2 and all(h.duration_s >= 6.0 for h in res.holds)
    assert all(s >= P.lowering_min_s for s in res.extra["lowering_s"])
    assert max(f.hold_s for f in fbs) >= P.hold_min_s
    assert {f.phase for f in fbs} >= {"down", "top", "lowering"}


def test_short_top_is_hold_too_short():
    fn, dur = bridges(n=2, hold_s=1.5)
    res, _ = analyze(fn, dur)
    assert res.rep_count == 2
    assert "hold_too_short" in res.fault_ids
    assert "hips_too_low" not in res.fault_ids


def test_hips_too_low_when_the_top_stays_bent():
    fn, dur = bridges(n=1, hold_s=6.0, top=LOW_TOP)
    res, _ = analyze(fn, dur)
    assert res.rep_count == 1
    assert "hips_too_low" in res.fault_ids
    # the bent top is timed, but none of it counts as good form
    assert res.reps[0].hold_s == pytest.approx(0.0, abs=0.1)


def test_hips_too_high_when_arching_above_the_line():
    fn, dur = bridges(n=1, hold_s=6.0, top=ARCHED)
    res, _ = analyze(fn, dur)
    assert "hips_too_high" in res.fault_ids
    fn, dur = bridges(n=1, hold_s=6.0)
    res, _ = analyze(fn, dur)
    assert "hips_too_high" not in res.fault_ids


def test_lowering_too_fast_fires_on_a_drop_not_on_a_slow_lowering():
    fn, dur = bridges(n=1, hold_s=6.0, down_s=0.3)
    res, _ = analyze(fn, dur)
    assert "lowering_too_fast" in res.fault_ids
    fn, dur = bridges(n=1, hold_s=6.0, down_s=1.5)
    res, _ = analyze(fn, dur)
    assert "lowering_too_fast" not in res.fault_ids


def test_jitter_at_the_lift_threshold_adds_no_reps():
    # the hips flicker between the floor and just past the raise threshold every other frame
    near = hip_on_line(0.62)
    res, _ = analyze(lambda t: supine(near={"HIP": near if int(t * 30) % 2 else HIP_REST}), 8.0)
    assert res.rep_count == 0


def test_lost_pose_at_the_top_pauses_the_hold():
    fn, dur = bridges(n=1, hold_s=6.0)
    gap = (4.0, 5.0)  # inside the top (2.5-8.5 s)
    res, _ = analyze(lambda t: None if gap[0] <= t < gap[1] else fn(t), dur)
    assert res.rep_count == 1
    (hold,) = res.holds
    assert hold.duration_s >= 6.0
    # the lost second is not good-form time, the rest of the 6 s top is
    assert hold.duration_s - hold.good_s >= 1.0 - 0.05
    assert hold.good_s >= 5.0 - 0.05
    assert "hold_too_short" not in res.fault_ids


def test_too_fast_on_a_thrown_bridge_only():
    fn, dur = bridges(n=1, hold_s=6.0, up_s=0.2)
    res, _ = analyze(fn, dur)
    assert "too_fast" in res.fault_ids
    fn, dur = bridges(n=1, hold_s=6.0, up_s=1.0)
    res, _ = analyze(fn, dur)
    assert "too_fast" not in res.fault_ids


def test_not_in_position_when_standing_and_no_reps():
    res, _ = analyze(lambda t: standing(), 2.0)
    assert "not_in_position" in res.fault_ids
    assert res.rep_count == 0


def test_not_visible_and_wrong_view():
    res, _ = analyze(lambda t: supine(visibility={"RIGHT_HIP": 0.2}), 2.0)
    assert "not_visible" in res.fault_ids
    res, _ = analyze(lambda t: front_view(), 2.0)
    assert "wrong_view" in res.fault_ids
    res, _ = analyze(lambda t: supine(), 2.0)
    assert res.fault_ids == []


def test_low_frame_rate_cannot_time_hold_or_lowering():
    fn, dur = bridges(n=2, hold_s=1.5, down_s=0.6)
    res, _ = analyze(fn, dur, fps=3.33)
    assert res.rep_count == 2
    assert "hold_too_short" not in res.fault_ids and "lowering_too_fast" not in res.fault_ids
    assert {"hold_too_short", "lowering_too_fast"} <= set(res.not_measurable)
