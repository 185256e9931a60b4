"""Plank analyzer: synthetic full and modified planks, frame by frame."""

from __future__ import annotations

import dataclasses
import math

import pytest

from formcheck.exercises.plank import PlankAnalyzer, PlankParams
from tests.builders import make_pose, pose_sequence, run_analyzer

Pt = tuple[float, float]

SHOULDER: Pt = (800.0, 430.0)
ELBOW: Pt = (800.0, 580.0)
WRIST: Pt = (930.0, 588.0)


def _unit(v: Pt) -> Pt:
    n = math.hypot(*v)
    return (v[0] / n, v[1] / n)


def _up_normal(v: Pt) -> Pt:
    """Unit normal of v pointing up in the image (negative y)."""
    u = _unit(v)
    n = (-u[1], u[0])
    return n if n[1] < 0 else (-n[0], -n[1])


def _turn_up(origin: Pt, p: Pt, deg: float) -> Pt:
    """Rotate p about origin by ``deg`` toward 'up' (negative: toward the floor)."""
    v = (p[0] - origin[0], p[1] - origin[1])
    r = math.hypot(*v)
    u, n = _unit(v), _up_normal(v)
    a = math.radians(deg)
    return (
        origin[0] + r * (math.cos(a) * u[0] + math.sin(a) * n[0]),
        origin[1] + r * (math.cos(a) * u[1] + math.sin(a) * n[1]),
    )


def plank(
    *,
    hip_dev: float = 0.0,
    head_pitch: float = 6.0,
    modified: bool = False,
    far: Pt = (3.0, -4.0),
    mirror: bool = False,
    overrides: dict[str, Pt] | None = None,
):
    """A forearm plank seen from the side, facing image-right, person's left side nearer.

    ``hip_dev``: the hip's angle above (+, piking) or below (-, sagging) the shoulder-ankle
    (full) or shoulder-knee (modified) line, as seen from the shoulder. ``head_pitch``: ear
    direction relative to the trunk, + = up.
    """
    s = SHOULDER
    if modified:
        kn: Pt = (400.0, 592.0)
        hip = _turn_up(s, (s[0] + 0.6 * (kn[0] - s[0]), s[1] + 0.6 * (kn[1] - s[1])), hip_dev)
        an, toe, heel = (250.0, 545.0), (225.0, 535.0), (260.0, 535.0)
    else:
        an, toe, heel = (165.0, 578.0), (140.0, 598.0), (178.0, 572.0)
        hip = _turn_up(s, (s[0] + 0.45 * (an[0] - s[0]), s[1] + 0.45 * (an[1] - s[1])), hip_dev)
        kn = (hip[0] + 0.3 * (an[0] - hip[0]), hip[1] + 0.3 * (an[1] - hip[1]))
    u = _unit((s[0] - hip[0], s[1] - hip[1]))
    n = _up_normal(u)
    a = math.radians(head_pitch)
    ear = (
        s[0] + 70 * (math.cos(a) * u[0] + math.sin(a) * n[0]),
        s[1] + 70 * (math.cos(a) * u[1] + math.sin(a) * n[1]),
    )
    b = math.radians(head_pitch - 60)
    nose = (
        ear[0] + 30 * (math.cos(b) * u[0] + math.sin(b) * n[0]),
        ear[1] + 30 * (math.cos(b) * u[1] + math.sin(b) * n[1]),
    )
    pts: dict[str, Pt] = {"NOSE": nose}
    for side in ("LEFT", "RIGHT"):
        pts.update(
            {
                f"{side}_SHOULDER": s,
                f"{side}_ELBOW": ELBOW,
                f"{side}_WRIST": WRIST,
                f"{side}_INDEX": (WRIST[0] + 25, WRIST[1]),
                f"{side}_PINKY": (WRIST[0] + 20, WRIST[1]),
                f"{side}_THUMB": (WRIST[0] + 15, WRIST[1] - 8),
                f"{side}_HIP": hip,
                f"{side}_KNEE": kn,
                f"{side}_ANKLE": an,
                f"{side}_HEEL": heel,
                f"{side}_FOOT_INDEX": toe,
                f"{side}_EAR": ear,
                f"{side}_EYE": nose,
                f"{side}_EYE_INNER": nose,
                f"{side}_EYE_OUTER": nose,
                f"MOUTH_{side}": (nose[0], nose[1] + 8),
            }
        )
    pts.update(overrides or {})
    out = {}
    for name, (x, y) in pts.items():
        if name.startswith("RIGHT") or name == "MOUTH_RIGHT":
            x, y = x + far[0], y + far[1]
        out[name] = (1280.0 - x if mirror else x, y)
    return make_pose(out, base={}, near_side="left")


def run(fn, seconds: float, fps: float = 30.0, params: PlankParams | None = None):
    return run_analyzer(PlankAnalyzer(params), pose_sequence(fn, seconds, fps))


def faults(res) -> set[str]:
    return set(res.fault_ids)


# ---- variant, hold time ----------------------------------------------------------------------
@pytest.mark.parametrize("mirror", [False, True])
def test_full_plank_good_form_holds_and_is_recognised(mirror):
    res, fbs = run(lambda t: plank(mirror=mirror), 10.0)
    assert res.variant == "full"
    assert faults(res) == set()
    assert len(res.holds) == 1
    assert res.holds[0].good_s == pytest.approx(10.0, abs=0.2)
    assert fbs[-1].hold_target_s == 30.0 and fbs[-1].phase == "full plank"
    assert fbs[-1].hold_s == pytest.approx(res.holds[0].good_s, abs=0.1)


def test_modified_plank_on_the_knees_is_recognised_and_uses_the_knee_line():
    res, fbs = run(lambda t: plank(modified=True), 6.0)
    assert res.variant == "modified"
    assert faults(res) == set()
    assert fbs[-1].signals["hip_dev"] == pytest.approx(0.0, abs=1.0)
    sag, _ = run(lambda t: plank(modified=True, hip_dev=-15.0), 4.0)
    assert sag.variant == "modified" and "hips_sagging" in faults(sag)


def test_sagging_then_piking_reported_in_order_with_time_in_each_fault():
    def fn(t: float):
        return plank(hip_dev=0.0 if t < 4 else -12.0 if t < 8 else 20.0 if t < 12 else 0.0)

    res, _ = run(fn, 14.0)
    assert res.variant == "full"  # sagging hips do not turn it into a modified plank
    spans = [(f.check, f.start_s) for f in res.faults]
    sag = [s for c, s in spans if c == "hips_sagging"]
    pike = [s for c, s in spans if c == "hips_piking"]
    assert sag and pike and sag[0] < pike[0]
    assert abs(sag[0] - 4.0) < 0.5 and abs(pike[0] - 8.0) < 0.5
    times = res.extra["time_in_fault_s"]
    assert times["hips_sagging"] == pytest.approx(4.0, abs=0.2)
    assert times["hips_piking"] == pytest.approx(4.0, abs=0.2)
    # good-form time is what is left of the hold
    assert res.holds[0].good_s == pytest.approx(6.0, abs=0.3)


def test_slightly_raised_hips_are_not_piking():
    # NOTES.md: people label hips slightly above the line as a correct plank
    res, _ = run(lambda t: plank(hip_dev=9.0), 6.0)
    assert not faults(res) & {"hips_piking", "hips_sagging"}


def test_hold_too_long_past_thirty_seconds_only():
    res, fbs = run(lambda t: plank(), 34.0, fps=10.0)
    assert "hold_too_long" in faults(res)
    span = next(f for f in res.faults if f.check == "hold_too_long")
    assert span.start_s == pytest.approx(30.0, abs=0.2)
    assert fbs[-1].cue == "That's 30 seconds - rest now"
    ok, _ = run(lambda t: plank(), 28.0, fps=10.0)
    assert "hold_too_long" not in faults(ok)


def test_no_pose_mid_hold_pauses_the_timer_and_keeps_one_hold():
    res, fbs = run(lambda t: None if 4.0 <= t < 6.0 else plank(), 10.0)
    assert len(res.holds) == 1
    assert res.holds[0].good_s == pytest.approx(8.0, abs=0.2)
    during = [fb.hold_s for fb in fbs if 4.0 <= fb.t_s < 6.0]
    assert during and max(during) - min(during) < 0.05  # frozen, not counting


def test_no_pose_does_not_count_toward_thirty_seconds():
    res, _ = run(lambda t: None if 10.0 <= t < 20.0 else plank(), 35.0, fps=10.0)
    assert "hold_too_long" not in faults(res)  # 25 s seen in position


def test_leaving_the_position_ends_the_hold():
    res, _ = run(lambda t: make_pose() if 4.0 <= t < 7.0 else plank(), 11.0)
    assert len(res.holds) == 2


# ---- head --------------------------------------------------------------------------------------
def test_head_dropped_fires_when_the_head_hangs_and_not_for_a_glance():
    res, _ = run(lambda t: plank(head_pitch=-10.0), 4.0)
    assert "head_dropped" in faults(res)
    assert res.holds[0].good_s < 0.5
    glance, _ = run(lambda t: plank(head_pitch=-10.0 if 2.0 <= t < 2.6 else 6.0), 5.0)
    assert "head_dropped" not in faults(glance)
    level, _ = run(lambda t: plank(head_pitch=1.0), 4.0)
    assert "head_dropped" not in faults(level)


def test_head_craned_up_is_head_dropped_too():
    res, _ = run(lambda t: plank(head_pitch=40.0), 4.0)
    assert "head_dropped" in faults(res)


# ---- common checks -----------------------------------------------------------------------------
def test_not_visible_when_the_feet_are_cut_off_and_hip_line_not_measurable():
    res, fbs = run(lambda t: plank(overrides={"LEFT_ANKLE": (-30.0, 578.0)}), 3.0)
    assert "not_visible" in faults(res)
    assert fbs[-1].checks["hips_sagging"] == "not_measurable"
    assert not faults(res) & {"hips_sagging", "hips_piking"}


def test_wrong_view_on_a_front_view():
    res, _ = run(lambda t: plank(far=(0.0, -260.0)), 3.0)
    assert "wrong_view" in faults(res)
    ok, _ = run(lambda t: plank(), 3.0)
    assert "wrong_view" not in faults(ok)


def test_not_in_position_when_standing_no_hold():
    res, fbs = run(lambda t: make_pose(), 3.0)
    assert "not_in_position" in faults(res)
    assert res.holds == [] and res.variant is None
    assert fbs[-1].phase == "rest"


def test_too_fast_when_the_hips_jerk_and_not_when_they_drift():
    def jerk(t: float):  # hips thrown up 35 deg in 0.35 s
        return plank(hip_dev=35.0 * min(max(t - 2.0, 0.0) / 0.35, 1.0))

    res, _ = run(jerk, 4.0)
    assert "too_fast" in faults(res)
    drift, _ = run(lambda t: plank(hip_dev=-min(t, 8.0)), 8.0)
    assert "too_fast" not in faults(drift)


def test_low_frame_rate_reports_too_fast_not_measurable():
    res, _ = run(lambda t: plank(), 10.0, fps=2.0)
    assert "too_fast" in res.not_measurable
    assert "too_fast" not in faults(res)


def test_evaluate_is_pure_and_params_frozen():
    an = PlankAnalyzer()
    pose = plank(hip_dev=12.0)
    a, b = an.evaluate(pose), an.evaluate(pose)
    assert a.checks == b.checks and a.signals == b.signals
    assert a.signals["hip_dev"] == pytest.approx(12.0, abs=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        PlankParams().hip_pike_deg = 5.0  # type: ignore[misc]


def test_jitter_around_the_sag_threshold_does_not_flicker_a_fault_on():
    p = PlankParams()

    def fn(t: float):  # hip alternating 1 deg either side of the sag threshold every frame
        i = round(t * 30)
        return plank(hip_dev=-p.hip_sag_deg + (1.0 if i % 2 else -1.0))

    res, _ = run(fn, 6.0)
    assert "hips_sagging" not in faults(res)
    assert len(res.holds) == 1


def test_head_cut_off_by_the_frame_is_not_measurable_not_dropped():
    res, fbs = run(
        lambda t: plank(overrides={"LEFT_EAR": (1300.0, 300.0), "RIGHT_EAR": (1300.0, 300.0)}), 3.0
    )
    assert fbs[-1].checks["head_dropped"] == "not_measurable"
    assert "head_dropped" not in faults(res)
