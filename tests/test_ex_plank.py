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


def _hip_for_bend(s: Pt, end: Pt, frac: float, bend: float) -> Pt:
    """The hip at ``frac`` of the way from the shoulder ``s`` to ``end``, moved off the line
    so that the body bends ``bend`` deg at the hip (+ = above the line, - = below)."""
    length = math.dist(s, end)
    a, b = frac * length, (1.0 - frac) * length
    target = math.radians(abs(bend))
    lo, hi = 0.0, length
    for _ in range(60):  # bisection: the bend grows with the offset
        h = (lo + hi) / 2
        lo, hi = (h, hi) if math.atan2(h, a) + math.atan2(h, b) < target else (lo, h)
    h = math.copysign((lo + hi) / 2, bend)
    u, n = _unit((end[0] - s[0], end[1] - s[1])), _up_normal((end[0] - s[0], end[1] - s[1]))
    return (s[0] + a * u[0] + h * n[0], s[1] + a * u[1] + h * n[1])


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

    ``hip_dev``: the bend at the hip above (+, piking) or below (-, sagging) the
    shoulder-ankle (full) or shoulder-knee (modified) line: 180 minus the shoulder-hip-ankle
    (knee) angle, as labels.toml measures it. ``head_pitch``: ear direction relative to the
    trunk, + = up.
    """
    s = SHOULDER
    if modified:
        kn: Pt = (400.0, 592.0)
        hip = _hip_for_bend(s, kn, 0.6, hip_dev)
        an, toe, heel = (250.0, 545.0), (225.0, 535.0), (260.0, 535.0)
    else:
        an, toe, heel = (165.0, 578.0), (140.0, 598.0), (178.0, 572.0)
        hip = _hip_for_bend(s, an, 0.4, hip_dev)
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
    def jerk(t: float):  # hips thrown up into a 55 deg bend in 0.35 s (~160 deg/s)
        return plank(hip_dev=55.0 * min(max(t - 2.0, 0.0) / 0.35, 1.0))

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


# ---- issue 9, scenario 3: a piked plank is a plank done badly -----------------------------------
FLOOR_Y = 590.0
PX_PER_M = 500.0  # body proportions in metres (trunk 0.5, legs 0.9, upper arm 0.3, arm 0.55)


def piked_plank(hip_angle: float, *, hands: bool = False, head_pitch: float = 6.0):
    """A full plank with the hips piked up: the shoulder-hip-ankle angle is ``hip_angle``
    (180 = straight), toes and forearms (or, with ``hands``, straight arms) on the floor,
    facing image-right. The trunk and leg slopes follow from the body's proportions."""
    trunk, legs = 0.5 * PX_PER_M, 0.9 * PX_PER_M
    ankle_y = FLOOR_Y - 12.0
    if hands:
        wrist = (800.0, FLOOR_Y - 2.0)
        shoulder = (800.0, wrist[1] - 0.55 * PX_PER_M)
        elbow = (800.0, wrist[1] - 0.25 * PX_PER_M)
    else:
        elbow = (800.0, FLOOR_Y - 10.0)
        shoulder = (800.0, elbow[1] - 0.3 * PX_PER_M)
        wrist = (930.0, FLOOR_Y - 2.0)
    fold = 180.0 - hip_angle  # trunk rise + leg descent (deg)
    lo, hi = -30.0, fold + 30.0
    for _ in range(60):  # the trunk's rise a so that the ankle lands on the floor
        a = (lo + hi) / 2
        hip_y = shoulder[1] - trunk * math.sin(math.radians(a))
        land = hip_y + legs * math.sin(math.radians(fold - a))
        lo, hi = (a, hi) if land > ankle_y else (lo, a)
    a, b = math.radians(a), math.radians(fold - a)
    hip = (shoulder[0] - trunk * math.cos(a), shoulder[1] - trunk * math.sin(a))
    ankle = (hip[0] - legs * math.cos(b), hip[1] + legs * math.sin(b))
    knee = ((hip[0] + ankle[0]) / 2, (hip[1] + ankle[1]) / 2)
    u = _unit((shoulder[0] - hip[0], shoulder[1] - hip[1]))
    n = _up_normal(u)
    c = math.radians(head_pitch)
    ear = (shoulder[0] + 70 * (math.cos(c) * u[0] + math.sin(c) * n[0]),
           shoulder[1] + 70 * (math.cos(c) * u[1] + math.sin(c) * n[1]))
    nose = (ear[0] + 25, ear[1] + 12)
    over = {}
    for side in ("LEFT", "RIGHT"):
        over.update({
            f"{side}_SHOULDER": shoulder, f"{side}_ELBOW": elbow, f"{side}_WRIST": wrist,
            f"{side}_INDEX": (wrist[0] + 25, wrist[1]), f"{side}_PINKY": (wrist[0] + 20, wrist[1]),
            f"{side}_THUMB": (wrist[0] + 15, wrist[1] - 8), f"{side}_HIP": hip,
            f"{side}_KNEE": knee, f"{side}_ANKLE": ankle,
            f"{side}_HEEL": (ankle[0] + 12, ankle[1] - 6),
            f"{side}_FOOT_INDEX": (ankle[0] - 25, FLOOR_Y + 8), f"{side}_EAR": ear,
        })
    return plank(overrides=over | {"NOSE": nose, "LEFT_EYE": nose, "RIGHT_EYE": nose})


@pytest.mark.parametrize("hands", [False, True], ids=["forearms", "hands"])
@pytest.mark.parametrize("hip_angle", [90.0, 105.0, 120.0])
def test_strongly_piked_plank_is_hips_piking_not_out_of_position(hip_angle, hands):
    res, fbs = run(lambda t: piked_plank(hip_angle, hands=hands), 4.0)
    assert fbs[-1].signals["hip_dev"] == pytest.approx(180.0 - hip_angle, abs=1.0)
    assert "hips_piking" in faults(res)
    assert "not_in_position" not in faults(res)
    assert res.variant == "full" and len(res.holds) == 1
    assert res.holds[0].good_s < 0.5  # a pike is not good-form time
    assert fbs[-1].cue == "Lower your hips into a straight line"
    span = next(f for f in res.faults if f.check == "hips_piking")
    assert span.start_s == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("hip_angle", [90.0, 120.0])
def test_piked_plank_is_recognised_as_a_plank(hip_angle):
    from formcheck.analysis.pipeline import FrameProcessor
    from formcheck.analysis.recognize import recognize_poses

    frames = list(pose_sequence(lambda t: piked_plank(hip_angle), 4.0))
    rec = recognize_poses(p for _, p in frames)
    assert rec.exercise == "plank" and rec.confidence > 0.9, rec
    # --exercise plank: the recogniser does not overrule it with not_in_position
    proc = FrameProcessor("plank")
    for t, pose in frames:
        proc(pose, t)
    res = proc.result()
    assert "hips_piking" in res.fault_ids and "not_in_position" not in res.fault_ids
    assert "looks_like" not in res.extra


def test_folded_past_a_pike_or_standing_bent_over_is_not_a_plank():
    dog, _ = run(lambda t: piked_plank(60.0, hands=True), 3.0)  # a downward-dog stretch
    assert "not_in_position" in faults(dog) and dog.holds == []
    # bent over at the waist with straight legs, hands hanging by the shins (a stoop)
    stoop = {"LEFT_HIP": (640.0, 330.0), "RIGHT_HIP": (642.0, 330.0),
             "LEFT_SHOULDER": (860.0, 400.0), "RIGHT_SHOULDER": (862.0, 400.0),
             "LEFT_ELBOW": (850.0, 520.0), "RIGHT_ELBOW": (852.0, 520.0),
             "LEFT_WRIST": (830.0, 600.0), "RIGHT_WRIST": (832.0, 600.0),
             "LEFT_KNEE": (650.0, 500.0), "RIGHT_KNEE": (652.0, 500.0),
             "LEFT_ANKLE": (660.0, 670.0), "RIGHT_ANKLE": (662.0, 670.0),
             "LEFT_FOOT_INDEX": (700.0, 690.0), "RIGHT_FOOT_INDEX": (702.0, 690.0),
             "LEFT_EAR": (900.0, 450.0), "RIGHT_EAR": (900.0, 450.0), "NOSE": (910.0, 480.0)}
    res, _ = run(lambda t: make_pose(stoop), 3.0)
    assert "not_in_position" in faults(res) and res.holds == []
    assert "hips_piking" not in faults(res)


# ---- issue 9, scenario 3: sagging is the harmful direction for L5-S1 pain --------------------------
@pytest.mark.parametrize("modified", [False, True], ids=["full", "modified"])
def test_a_six_degree_sag_is_flagged_a_twelve_degree_pike_tolerated(modified):
    sag, fbs = run(lambda t: plank(hip_dev=-6.0, modified=modified), 4.0)
    assert fbs[-1].signals["hip_dev"] == pytest.approx(-6.0, abs=0.3)
    assert "hips_sagging" in faults(sag)
    assert fbs[-1].cue == "Lift your hips - keep a straight line"
    pike, fbs = run(lambda t: plank(hip_dev=12.0, modified=modified), 4.0)
    assert fbs[-1].signals["hip_dev"] == pytest.approx(12.0, abs=0.3)
    assert not faults(pike) & {"hips_piking", "hips_sagging"}
    assert pike.holds[0].good_s == pytest.approx(4.0, abs=0.1)
    straight, _ = run(lambda t: plank(hip_dev=-3.0, modified=modified), 4.0)
    assert not faults(straight) & {"hips_piking", "hips_sagging"}


def test_a_moment_of_raised_hips_is_not_nagged_about_but_a_moment_of_sag_is():
    # the pike is the tolerated direction (1 s persistence), the sag the harmful one (0.3 s)
    blip = lambda dev: lambda t: plank(hip_dev=dev if 2.0 <= t < 2.6 else 0.0)  # noqa: E731
    pike, _ = run(blip(20.0), 5.0)
    sag, _ = run(blip(-8.0), 5.0)
    assert "hips_piking" not in faults(pike)
    assert "hips_sagging" in faults(sag)


# ---- issue 9, scenario 6: a fault present from the first frame ----------------------------------
def test_head_dropped_from_the_first_frame_is_reported_from_zero_seconds():
    from formcheck.analysis.pipeline import FrameProcessor

    frames = list(pose_sequence(lambda t: plank(head_pitch=-12.0), 4.0))
    proc = FrameProcessor("plank")  # the whole per-frame path: smoothing, recogniser
    fbs = [proc(pose, t)[1] for t, pose in frames]
    res = proc.result()
    span = next(f for f in res.faults if f.check == "head_dropped")
    assert span.start_s == pytest.approx(0.0, abs=0.05)
    assert span.end_s == pytest.approx(frames[-1][0] / 1000.0, abs=0.05)
    # said once it has lasted the 1 s that tells a dropped head from a glance
    first_cue = next(fb.t_s for fb in fbs if fb.cue == "Keep your head in line with your spine")
    assert first_cue == pytest.approx(PlankParams().head_min_s, abs=0.05)
    assert res.holds[0].good_s < 0.1


# ---- real clips (cached tracks) ---------------------------------------------------------------
def _clip(samples, name: str):
    from formcheck.analysis.pipeline import analyze_track
    from formcheck.analysis.track import load_or_extract

    return analyze_track(load_or_extract(samples / name), "plank")


@pytest.mark.clips
def test_plank_12_piked_for_the_whole_hold_is_hips_piking_from_the_start(samples):
    # labels.toml: hips ~20-25 deg above the shoulder-ankle line for the whole 12.36 s hold
    a = _clip(samples, "plank_12.mp4")
    spans = [f for f in a.result.faults if f.check == "hips_piking"]
    assert spans and spans[0].start_s < 0.1
    assert sum(f.end_s - f.start_s for f in spans) > 0.9 * 12.36
    assert "not_in_position" not in a.result.fault_ids
    assert a.result.extra["time_in_fault_s"]["hips_piking"] > 11.0


@pytest.mark.clips
def test_plank_05_head_hanging_from_the_first_frame_is_reported_from_zero(samples):
    # labels.toml: the head hangs, chin tucked, in every frame of the clip (scenario 6)
    a = _clip(samples, "plank_05.mp4")
    span = next(f for f in a.result.faults if f.check == "head_dropped")
    assert span.start_s == pytest.approx(0.0, abs=0.05)
    assert span.end_s > 3.2
