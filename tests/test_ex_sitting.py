"""Sitting posture monitor: synthetic seated poses frame by frame, and the labelled clip."""

from __future__ import annotations

import math

import pytest

from formcheck.exercises.families.base import FaultTracker
from formcheck.exercises.sitting import SittingAnalyzer, SittingParams
from tests.builders import make_pose, pose_sequence, run_analyzer

TRUNK = 220.0  # shoulder-hip length in pixels


def seated_pose(lean_deg: float = 0.0, head_fwd: float = 0.08, knee_deg: float = 90.0,
                heel_up_deg: float = 0.0, feet_y_shift: float = 0.0, front: bool = False,
                image_size=(1280, 720)):
    """A person sitting, seen from their left side, facing image-left (forward = -x).

    lean_deg: trunk forward of vertical; head_fwd: ear ahead of the shoulder in trunk
    lengths; knee_deg: hip-knee-ankle angle; heel_up_deg: foot tilted heel-up;
    feet_y_shift: move the feet down (out of the frame when large); front: shoulders and
    hips spread across the image as in a front view.
    """
    hip = (700.0, 420.0)
    a = math.radians(lean_deg)
    sh = (hip[0] - TRUNK * math.sin(a), hip[1] - TRUNK * math.cos(a))
    ear = (sh[0] - head_fwd * TRUNK, sh[1] - 70.0)
    nose = (ear[0] - 35.0, ear[1] + 5.0)
    knee = (hip[0] - 190.0, hip[1] + 5.0)
    k = math.radians(knee_deg)
    shin = 170.0
    ankle = (knee[0] + shin * math.cos(k), knee[1] + shin * math.sin(k))
    # foot: heel behind and below the ankle, toe ahead (-x); tilt it heel-up about the toe
    toe = (ankle[0] - 55.0, ankle[1] + 25.0 + feet_y_shift)
    f = math.radians(heel_up_deg)
    heel = (toe[0] + 70.0 * math.cos(f), toe[1] - 70.0 * math.sin(f))
    ankle = (ankle[0], ankle[1] + feet_y_shift)
    spread = 170.0 if front else 2.0  # shoulder width ~0.75 trunk seen square-on
    pts = {
        "NOSE": nose, "LEFT_EAR": ear, "RIGHT_EAR": (ear[0] + 2, ear[1]),
        "LEFT_EYE": (nose[0] + 10, nose[1] - 10), "RIGHT_EYE": (nose[0] + 12, nose[1] - 10),
        "LEFT_SHOULDER": sh, "RIGHT_SHOULDER": (sh[0] + spread, sh[1]),
        "LEFT_HIP": hip, "RIGHT_HIP": (hip[0] + spread, hip[1]),
        "LEFT_KNEE": knee, "RIGHT_KNEE": (knee[0] + spread, knee[1]),
        "LEFT_ANKLE": ankle, "RIGHT_ANKLE": (ankle[0] + spread, ankle[1]),
        "LEFT_HEEL": heel, "RIGHT_HEEL": (heel[0] + spread, heel[1]),
        "LEFT_FOOT_INDEX": toe, "RIGHT_FOOT_INDEX": (toe[0] + spread, toe[1]),
        "LEFT_ELBOW": (sh[0] - 20, sh[1] + 110), "RIGHT_ELBOW": (sh[0] - 18, sh[1] + 110),
        "LEFT_WRIST": (sh[0] - 110, sh[1] + 130), "RIGHT_WRIST": (sh[0] - 108, sh[1] + 130),
    }
    return make_pose(pts, image_size=image_size)


def standing_pose():
    return make_pose()  # builders' default: standing, side view


def analyze(fn, seconds, fps=5.0, params=None):
    return run_analyzer(SittingAnalyzer(params), pose_sequence(fn, seconds, fps))


def reported(res):
    return set(res.fault_ids)


def test_params_interval_must_be_30_to_45_minutes():
    SittingParams(interval_s=45 * 60)
    with pytest.raises(ValueError, match="30-45 min"):
        SittingParams(interval_s=29 * 60)
    with pytest.raises(ValueError, match="30-45 min"):
        SittingParams(interval_s=46 * 60)
    with pytest.raises(ValueError, match="persist_s"):
        SittingParams(persist_s=2.0)


def test_good_posture_reports_nothing_and_counts_time():
    res, fbs = analyze(lambda t: seated_pose(), 60.0)
    assert reported(res) == set()
    assert res.extra["seated_s"] == pytest.approx(60.0, abs=0.5)
    assert res.extra["good_posture_share"] == pytest.approx(1.0)
    assert res.extra["breaks"] == 0
    assert fbs[-1].checks["slouching"] == "ok"
    assert fbs[-1].checks["knees_not_90"] == "ok"
    assert fbs[-1].checks["feet_not_flat"] == "ok"


def test_sustained_forward_lean_is_slouching_but_a_short_one_does_not_nag():
    long = lambda t: seated_pose(lean_deg=25.0 if 10 <= t < 20 else 0.0)
    res, fbs = analyze(long, 30.0)
    spans = [f for f in res.faults if f.check == "slouching"]
    assert len(spans) == 1
    assert spans[0].start_s == pytest.approx(10.0, abs=0.25)
    assert spans[0].cued
    # said only once it persisted 5 s
    said = [fb.t_s for fb in fbs if "slouching" in fb.faults]
    assert min(said) == pytest.approx(15.0, abs=0.25)
    assert res.extra["good_posture_share"] == pytest.approx(20 / 30, abs=0.03)

    # a 4 s slouch is seen and reported (a recorded video must say what it saw) but never
    # said or shown as a live cue
    short = lambda t: seated_pose(lean_deg=25.0 if 10 <= t < 14 else 0.0)
    res, fbs = analyze(short, 30.0)
    spans = [f for f in res.faults if f.check == "slouching"]
    assert len(spans) == 1 and not spans[0].cued
    assert spans[0].start_s == pytest.approx(10.0, abs=0.25)
    assert any("not" in n and "slouching" in n for n in res.notes) or any(
        "slouching seen" in n for n in res.notes)
    assert not any("slouching" in fb.faults for fb in fbs)
    assert not any(fb.cue and "Sit back" in fb.cue for fb in fbs)

    # a shift in the chair under a second is neither reported nor said
    blip = lambda t: seated_pose(lean_deg=25.0 if 10 <= t < 10.6 else 0.0)
    res, fbs = analyze(blip, 30.0)
    assert "slouching" not in reported(res)


def test_head_forward_of_shoulders_is_slouching():
    res, _ = analyze(lambda t: seated_pose(head_fwd=0.4), 12.0)
    assert "slouching" in reported(res)


def test_slouch_near_the_threshold_does_not_flicker():
    # lean alternates 13 / 9 deg: above the entry threshold, then between the exit and
    # entry thresholds - one continuous slouch, not many short ones
    res, _ = analyze(lambda t: seated_pose(lean_deg=13.0 if int(t * 5) % 2 else 9.0), 20.0)
    assert [f.check for f in res.faults].count("slouching") == 1


def test_a_slouch_is_dated_from_leaving_the_upright_zone_so_its_speed_does_not_matter():
    # the trunk tips forward through the 7 deg 'off' threshold at 10.0 s and the 12 deg
    # 'on' one at ~10.2 s, and stays forward until the recording ends at 11.0 s: a 1 s
    # excursion out of the upright zone is the 1 s slouch the 'seen' rule asks for, whether
    # the person moved into it slowly or fast
    def lean(t):
        return 0.0 if t < 10.0 else min(20.0, 8.0 + (t - 10.0) * 20.0)

    res, _ = analyze(lambda t: seated_pose(lean_deg=lean(t)), 11.05, fps=20.0)
    spans = [f for f in res.faults if f.check == "slouching"]
    assert len(spans) == 1 and spans[0].start_s == pytest.approx(10.0, abs=0.06)
    # a lean that stays between the thresholds is no slouch, however long
    res, _ = analyze(lambda t: seated_pose(lean_deg=10.0 if t >= 5 else 0.0), 20.0)
    assert "slouching" not in reported(res)


def test_fault_tracker_begin_dates_a_fault_from_its_way_in():
    plain, dated = FaultTracker(min_on_s=1.0), FaultTracker(min_on_s=1.0)
    for i in range(10):  # 0.0-0.9 s on the way in: no fault verdict yet
        plain.update("x", False, i / 10, "cue")
        dated.update("x", False, i / 10, "cue")
    dated.begin("x", 0.0, 1.0)
    assert dated.update("x", True, 1.0, "cue")  # 1 s since it began: open at once
    assert not plain.update("x", True, 1.0, "cue")
    assert dated.spans[0].start_s == 0.0
    dated.begin("x", 0.5, 1.1)  # an open span keeps its start
    dated.update("x", True, 1.1, "cue")
    assert dated.spans[0].start_s == 0.0 and len(dated.spans) == 1


@pytest.mark.parametrize("pose_kw", [{"lean_deg": 25.0}, {"head_fwd": 0.35}])
def test_a_person_slouched_all_session_is_not_taken_for_a_rolled_camera(pose_kw):
    # the upright reference is then the slouch itself; it may only explain what a camera
    # rolled by camera_roll_max_deg would (10 deg of lean, 0.05 of head-forward)
    res, fbs = analyze(lambda t: seated_pose(**pose_kw), 120.0)
    spans = [f for f in res.faults if f.check == "slouching"]
    assert len(spans) == 1 and spans[0].end_s - spans[0].start_s > 115.0
    sig = fbs[-1].signals
    assert 0.0 <= sig["lean_upright_offset_deg"] <= 10.0
    assert abs(sig["head_upright_offset"]) <= 0.3 * math.sin(math.radians(10.0)) + 1e-9


@pytest.mark.parametrize("knee, fault", [(90.0, False), (105.0, False), (130.0, True),
                                         (65.0, True)])
def test_knee_angle_outside_75_110(knee, fault):
    res, _ = analyze(lambda t: seated_pose(knee_deg=knee), 12.0)
    assert ("knees_not_90" in reported(res)) is fault


def test_heels_up_is_feet_not_flat():
    res, _ = analyze(lambda t: seated_pose(heel_up_deg=40.0), 12.0)
    assert "feet_not_flat" in reported(res)


def test_feet_out_of_frame_is_not_measurable_and_not_visible():
    res, fbs = analyze(lambda t: seated_pose(feet_y_shift=400.0), 12.0)
    assert "feet_not_flat" not in reported(res)
    assert "feet" in res.not_measurable["feet_not_flat"]
    assert "not_visible" in reported(res)
    # the rest of the posture is still scored
    assert fbs[-1].checks["slouching"] == "ok"


def test_front_view_is_wrong_view_and_posture_not_measurable():
    res, _ = analyze(lambda t: seated_pose(front=True, lean_deg=25.0), 12.0)
    assert "wrong_view" in reported(res)
    assert "slouching" not in reported(res)
    assert "side view" in res.not_measurable["slouching"]


def test_a_moment_facing_the_camera_is_not_wrong_view():
    res, _ = analyze(lambda t: seated_pose(front=5.0 <= t < 5.6), 12.0)
    assert "wrong_view" not in reported(res)


def test_standing_up_is_a_break_not_a_fault():
    res, _fbs = analyze(lambda t: standing_pose() if 10 <= t < 80 else seated_pose(), 90.0)
    assert reported(res) == set()
    assert res.extra["breaks"] == 1
    assert res.extra["seated_s"] == pytest.approx(20.0, abs=0.5)


def test_fault_tracker_min_on_per_update():
    tr = FaultTracker(min_on_s=0.3)
    active = [tr.update("x", True, t / 10, "cue", min_on_s=5.0) for t in range(60)]
    assert not any(active[:50]) and all(active[50:])
    assert tr.spans[0].start_s == 0.0


def test_sitting_01_clip(samples):
    from formcheck.analysis.pipeline import analyze_track
    from formcheck.analysis.track import load_or_extract

    res = analyze_track(load_or_extract(samples / "sitting_01.mp4"), "sitting").result
    ids = set(res.fault_ids)
    assert {"slouching", "not_visible", "wrong_view"} <= ids
    assert not {"sat_too_long", "pain_stop"} & ids
    assert "feet_not_flat" in res.not_measurable
    slouch = [f for f in res.faults if f.check == "slouching"]
    # labelled ~3.9-8.7 s
    assert slouch and 3.0 <= slouch[0].start_s <= 4.5 and 8.0 <= slouch[0].end_s <= 10.0
    wrong = [f for f in res.faults if f.check == "wrong_view"]
    assert wrong[0].start_s >= 14.8  # frontal from ~15.4 s only
    assert res.extra["seated_s"] > 15.0


def test_a_rolled_camera_neither_hides_a_slouch_nor_makes_one(samples):
    """Lean and head-forward are read against the image vertical less the person's own
    upright offset, so a camera rolled 8 deg either way (the robustness suite's roll) keeps
    the labelled judgements, on the side the suite checks (the slouch is found) and on the
    side it cannot (no slouch where the person sits upright or only pushes the chin)."""
    from formcheck.analysis.pipeline import analyze_track
    from formcheck.analysis.robustness import roll
    from formcheck.analysis.track import load_or_extract

    def slouches(clip, deg):
        track = roll(load_or_extract(samples / clip), deg)
        res = analyze_track(track, "sitting").result
        return [(f.start_s, f.end_s) for f in res.faults if f.check == "slouching"]

    # sitting_12: head forward 0.23 at most against the image vertical rolled +8 deg
    assert [s for s in slouches("sitting_12.mp4", 8.0) if 4.7 <= s[0] <= 5.6 and s[1] >= 6.3]
    # sitting_11 rolled -8 deg: the chin pushed forward at ~1.4-2.2 s (labelled not a
    # slouch) read 0.27 against the image vertical; only the real slouch from ~4.8 s remains
    spans = slouches("sitting_11.mp4", -8.0)
    assert len(spans) == 1 and spans[0][0] >= 4.5
    # sitting_01 rolled -8 deg: he sits upright from ~8.8 s until he turns to the camera
    assert not [s for s in slouches("sitting_01.mp4", -8.0) if s[0] > 9.5]
