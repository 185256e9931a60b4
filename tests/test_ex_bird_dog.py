"""Bird-Dog analyzer: synthetic hands-and-knees sequences with arm and leg lifts, frame by frame."""

from __future__ import annotations

import math

import pytest

from formcheck.core.pose import Landmark
from formcheck.core.results import CheckState
from formcheck.exercises.bird_dog import BirdDogAnalyzer, BirdDogParams
from tests.builders import make_pose, pose_sequence, run_analyzer
from tests.test_ex_cat_cow import quadruped


def _ramp(t: float, start: float, hold: float, ramp: float) -> float:
    """0 -> 1 over ``ramp`` s from ``start``, 1 for ``hold`` s, back to 0 over ``ramp`` s."""
    if t < start or t > start + 2 * ramp + hold:
        return 0.0
    if t < start + ramp:
        return (t - start) / ramp
    if t <= start + ramp + hold:
        return 1.0
    return 1.0 - (t - start - ramp - hold) / ramp


def bird_dog(reps: list[dict], **kw):
    """Pose function for a sequence of extensions. Each rep: start, hold (s), arm / leg side
    (None = not lifted), arm_elev / leg_elev (deg at the top), ramp (s), hip_rise (px at the
    top)."""

    def fn(t: float):
        arms, legs, rise = {}, {}, 0.0
        for r in reps:
            w = _ramp(t, r["start"], r.get("hold", 3.0), r.get("ramp", 1.0))
            if w <= 0:
                continue
            if r.get("arm", "left"):
                arms[r.get("arm", "left")] = (w, r.get("arm_elev", 0.0))
            if r.get("leg", "right"):
                legs[r.get("leg", "right")] = (w, r.get("leg_elev", 0.0))
            rise += w * r.get("hip_rise", 0.0)
        return quadruped(arms=arms, legs=legs, hip_drop=-rise, **kw)

    return fn


def run(fn, seconds: float, fps: float = 30.0, params: BirdDogParams | None = None):
    return run_analyzer(BirdDogAnalyzer(params), pose_sequence(fn, seconds, fps))


def faults(res) -> set[str]:
    return set(res.fault_ids)


GOOD = [
    {"start": 1.0, "arm": "left", "leg": "right"},
    {"start": 7.0, "arm": "right", "leg": "left"},
]


# ---- reps, sides, alternation, holds ------------------------------------------------------------
def test_counts_reps_per_side_named_after_the_arm_and_alternation_good_form():
    res, fbs = run(bird_dog(GOOD), 13.0)
    assert [r.side for r in res.reps] == ["left_arm", "right_arm"]
    assert res.rep_counts == {"total": 2, "left_arm": 1, "right_arm": 1}
    assert res.extra["alternations"] == 1
    assert all(r.hold_s >= 3.0 for r in res.reps)
    assert faults(res) == set()
    assert "hip_rotation" in res.not_measurable  # side view
    # the overlay sees the hold grow during the first extension and the 2 s target
    hold, target, phase = next(
        (fb.hold_s, fb.hold_target_s, fb.phase) for fb in fbs if abs(fb.t_s - 4.0) < 0.02
    )
    assert target == 2.0 and hold > 2.0 and phase == "hold left arm"


def test_leg_only_lift_is_named_after_the_opposite_arm():
    res, _ = run(bird_dog([{"start": 1.0, "arm": None, "leg": "left"}]), 7.0)
    assert [r.side for r in res.reps] == ["right_arm"]


def test_hold_too_short_fires_on_a_brief_extension_and_not_on_a_three_second_one():
    res, _ = run(bird_dog([{"start": 1.0, "hold": 0.5}]), 5.0)
    assert res.rep_count == 1
    assert "hold_too_short" in faults(res)
    assert res.reps[0].faults == ["hold_too_short"]
    ok, _ = run(bird_dog([{"start": 1.0, "hold": 3.0}]), 7.0)
    assert "hold_too_short" not in faults(ok)


def test_jitter_near_the_lift_threshold_never_adds_reps():
    # the synthetic person rests with the upper arm vertical (-90): 'arm up' is 30 deg above
    # that rest (-60). After 2 s on all fours the upper arm alternates 3 deg either side of it
    # every frame for 4 s, twice.
    p = BirdDogParams()
    on = -90.0 + p.arm_lift_on_deg
    w_hi, w_lo = (1 / (1 + math.tan(math.radians(-(on + d)))) for d in (3.0, -3.0))

    def fn(t: float):
        i = round(t * 30)
        if t % 6.0 < 2.0:
            return quadruped()
        return quadruped(arms={"left": (w_hi if i % 2 else w_lo, 0.0)})

    res, _ = run(fn, 12.0)
    assert res.rep_count == 0


def test_lifts_are_measured_from_the_persons_own_rest():
    # A person whose resting upper arms lean forward (-70 instead of hanging at -90) and who
    # lets a hand hover 26 deg up (to -44) does no rep; a fixed -45 threshold counted one.
    # The same person's real lift (to -30) is one rep, and so is a lift to -38 from -88.
    def lean(elev: float) -> tuple[float, float]:
        return (1 / (1 + math.tan(math.radians(-elev))), 0.0)

    def person(rest: float, top: float):
        def fn(t: float):
            lifted = 3.0 <= t < 7.0
            return quadruped(arms={"left": lean(top if lifted else rest), "right": lean(rest)})
        return fn

    hover, _ = run(person(-70.0, -44.0), 10.0)
    assert hover.rep_count == 0
    assert "hold_too_short" not in faults(hover)
    for rest, top in ((-70.0, -30.0), (-88.0, -38.0)):
        res, _ = run(person(rest, top), 10.0)
        assert res.rep_count == 1, (rest, top)


def test_a_lift_that_never_comes_near_horizontal_is_no_rep():
    def lean(elev: float) -> tuple[float, float]:
        return (1 / (1 + math.tan(math.radians(-elev))), 0.0)

    res, _ = run(lambda t: quadruped(arms={"left": lean(-52.0 if 3 <= t < 6 else -88.0)}), 9.0)
    assert res.rep_count == 0


def test_frames_without_a_person_pause_the_hold_rather_than_end_or_extend_it():
    seq = bird_dog([{"start": 1.0, "hold": 3.0}])
    res, _ = run(lambda t: None if 2.5 <= t < 3.1 else seq(t), 8.0)
    assert res.rep_count == 1 and "hold_too_short" not in faults(res)
    # a 1 s hold with 3 s unseen in the middle: the unseen time does not count as holding
    seq2 = bird_dog([{"start": 1.0, "hold": 4.0}])
    res2, _ = run(lambda t: None if 2.3 <= t < 5.3 else seq2(t), 9.0)
    assert res2.rep_count == 1
    assert res2.reps[0].hold_s < 2.0
    assert "hold_too_short" in faults(res2)


def test_an_extension_still_going_at_the_end_is_not_a_rep_but_its_heights_count():
    res, _ = run(bird_dog([{"start": 0.5, "hold": 10.0, "leg_elev": 25.0}]), 4.0)
    assert res.rep_count == 0
    assert "leg_too_high" in faults(res)


# ---- heights ----------------------------------------------------------------------------------
def test_leg_too_high_fires_above_fifteen_degrees_and_is_quiet_at_hip_height():
    res, _ = run(bird_dog([{"start": 1.0, "leg_elev": 25.0}]), 7.0)
    assert "leg_too_high" in faults(res)
    ok, _ = run(bird_dog([{"start": 1.0, "leg_elev": 5.0}]), 7.0)
    assert not faults(ok) & {"leg_too_high", "leg_too_low"}


def test_leg_too_low_fires_when_the_leg_stays_well_below_horizontal():
    res, _ = run(bird_dog([{"start": 1.0, "leg_elev": -24.0}]), 7.0)
    assert res.rep_count == 1
    assert "leg_too_low" in faults(res)
    assert "leg_too_high" not in faults(res)


def test_arm_too_low_fires_when_the_arm_stays_well_below_horizontal():
    res, _ = run(bird_dog([{"start": 1.0, "arm_elev": -30.0}]), 7.0)
    assert res.rep_count == 1
    assert "arm_too_low" in faults(res)
    ok, _ = run(bird_dog([{"start": 1.0, "arm_elev": -5.0}]), 7.0)
    assert "arm_too_low" not in faults(ok)


def test_heights_not_measurable_when_the_hand_and_foot_leave_the_frame():
    # the lifted hand and foot are cropped off (bird_dog_02): counted, heights not judged
    def fn(t: float):
        pose = bird_dog([{"start": 1.0, "arm_elev": -30.0}])(t)
        if 1.6 < t < 4.4:
            pts = {"LEFT_WRIST": (1290.0, 380.0), "RIGHT_ANKLE": (-20.0, 400.0)}
            return bird_dog([{"start": 1.0, "arm_elev": -30.0}], overrides=pts)(t)
        return pose

    res, _ = run(fn, 7.0)
    assert res.rep_count == 1
    assert "arm_too_low" not in faults(res)
    assert "out of the frame" in res.not_measurable["arm_too_low"]
    assert "not_visible" in faults(res)


# ---- same side, back, hip rotation --------------------------------------------------------------
def test_same_side_fires_when_arm_and_leg_of_one_side_lift_together():
    res, _ = run(bird_dog([{"start": 1.0, "arm": "left", "leg": "left"}]), 7.0)
    assert "same_side" in faults(res)
    ok, _ = run(bird_dog(GOOD), 13.0)
    assert "same_side" not in faults(ok)


def test_back_sag_fires_when_the_trunk_line_tips_during_the_extension():
    res, fbs = run(bird_dog([{"start": 1.0, "hip_rise": 100.0}]), 7.0)
    assert "back_sag" in faults(res)
    assert max(abs(fb.signals.get("trunk_change", 0.0)) for fb in fbs) > 15
    ok, _ = run(bird_dog([{"start": 1.0, "hip_rise": 20.0}]), 7.0)
    assert "back_sag" not in faults(ok)


def quadruped_back(hip_roll: float = 0.0, t_lift: float = 0.0):
    """Hands and knees seen from behind: hips near the camera (low in the image), wrists far.
    ``hip_roll`` tilts the hip line (deg), as when the pelvis rolls toward a lifted leg."""
    a = math.radians(hip_roll)
    cx, cy, half = 640.0, 430.0, 60.0
    lh = (cx - half * math.cos(a), cy + half * math.sin(a))
    rh = (cx + half * math.cos(a), cy - half * math.sin(a))
    pts = {
        "LEFT_SHOULDER": (560, 330),
        "RIGHT_SHOULDER": (720, 330),
        "LEFT_ELBOW": (560, 400),
        "RIGHT_ELBOW": (720, 400),
        "LEFT_WRIST": (560, 470),
        "RIGHT_WRIST": (720, 470),
        "LEFT_HIP": lh,
        "RIGHT_HIP": rh,
        "LEFT_KNEE": (585, 600),
        "RIGHT_KNEE": (695, 600),
        "LEFT_ANKLE": (585, 690),
        "RIGHT_ANKLE": (695, 690),
        "LEFT_EAR": (610, 290),
        "RIGHT_EAR": (670, 290),
        "NOSE": (640, 285),
        "LEFT_EYE": (625, 282),
        "RIGHT_EYE": (655, 282),
    }
    return make_pose(pts, base={}, near_side="left")


def test_hip_rotation_measured_from_behind_fires_when_the_pelvis_rolls():
    res, fbs = run(lambda t: quadruped_back(hip_roll=15.0 if t > 1.0 else 0.0), 3.0)
    assert "hip_rotation" in faults(res)
    assert "wrong_view" not in faults(res)  # front/back is a valid view for this check
    assert fbs[-1].checks["leg_too_high"] == "not_measurable"
    level, _ = run(lambda t: quadruped_back(hip_roll=3.0), 3.0)
    assert "hip_rotation" not in faults(level)
    assert "hip_rotation" not in level.not_measurable


def test_wrong_view_fires_on_an_oblique_view_that_shows_neither_heights_nor_hips():
    res, fbs = run(lambda t: quadruped(far=(0.0, -178.0)), 3.0)
    assert "wrong_view" in faults(res)
    assert fbs[-1].cue == "Place the camera at your side"
    side, _ = run(bird_dog(GOOD), 13.0)
    assert "wrong_view" not in faults(side)


# ---- common checks ---------------------------------------------------------------------------
def test_too_fast_fires_on_a_flung_limb_and_is_quiet_on_a_controlled_lift():
    res, _ = run(bird_dog([{"start": 1.0, "ramp": 0.3}]), 5.0)  # arm up 90 deg in 0.3 s
    assert "too_fast" in faults(res)
    ok, _ = run(bird_dog([{"start": 1.0, "ramp": 1.0}]), 7.0)
    assert "too_fast" not in faults(ok)


def test_low_frame_rate_reports_timing_not_measurable_but_still_counts():
    res, _ = run(bird_dog(GOOD), 13.0, fps=2.0)
    assert res.rep_count == 2
    assert "too_fast" in res.not_measurable and "hold_too_short" in res.not_measurable
    assert not faults(res) & {"too_fast", "hold_too_short"}


def test_not_in_position_when_standing_and_nothing_counted():
    res, fbs = run(lambda t: make_pose(), 4.0)
    assert "not_in_position" in faults(res)
    assert res.rep_count == 0
    assert fbs[-1].cue == "Get on your hands and knees, back flat"


def test_evaluate_is_pure_given_its_context():
    an = BirdDogAnalyzer()
    pose = quadruped(arms={"left": (1.0, 0.0)}, legs={"right": (1.0, 0.0)})
    a, b = an.evaluate(pose), an.evaluate(pose)
    assert a.checks == b.checks and a.signals == b.signals
    assert a.checks["same_side"] == CheckState.OK
    assert a.signals["arm_lift"] == pytest.approx(0.0, abs=1.0)
    assert a.signals["leg_lift"] == pytest.approx(0.0, abs=1.0)


def test_a_brief_misread_out_of_position_mid_extension_does_not_lose_the_rep():
    seq = bird_dog([{"start": 1.0, "hold": 3.0}])
    res, _ = run(lambda t: make_pose() if 3.0 <= t < 3.2 else seq(t), 7.0)
    assert res.rep_count == 1
    assert res.reps[0].start_s < 2.0  # the same extension, not a new one after the misread
    assert res.reps[0].hold_s > 3.0
    # getting up mid-extension (standing from 3 s on) is not a completed rep
    res2, _ = run(lambda t: make_pose() if t >= 3.0 else seq(t), 7.0)
    assert res2.rep_count == 0


# ---- the person's rest and the end of a return (pixel-level robustness, issue 9) -------------
def _arm(elev: float) -> tuple[float, float]:
    """The upper arm at ``elev`` (deg above the floor), as a blend of the straight arm at 0."""
    return (1 / (1 + math.tan(math.radians(-elev))), 0.0)


def _profile(points: list[tuple[float, float]]):
    """Piecewise-linear value over time through (t, value) points."""

    def f(t: float) -> float:
        if t <= points[0][0]:
            return points[0][1]
        for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
            if t <= t1:
                return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
        return points[-1][1]

    return f


def test_a_rising_arm_is_not_learned_as_the_rest():
    # bird_dog_02 filmed with the camera rolled -8 deg: the near hand hovers above the mat
    # (upper arm -52, above the prior's 'arm up' but never near horizontal), is planted
    # (-80) for a moment and at once lifted at ~70 deg/s to -28, held 1.2 s, lowered. The
    # frames on the way up are below 'arm up' and were learned as the rest, so the threshold
    # climbed ahead of the arm and the rep was lost. A limb on its way up is not at rest.
    elev = _profile([(0.0, -52.0), (0.6, -52.0), (0.8, -80.0), (0.9, -80.0), (1.65, -28.0),
                     (2.85, -28.0), (3.4, -80.0), (6.0, -80.0)])
    res, _ = run(lambda t: quadruped(arms={"left": _arm(elev(t))}), 6.0)
    assert res.rep_count == 1
    assert res.reps[0].side == "left_arm"


def test_a_leg_lowered_in_two_movements_is_one_rep():
    # bird_dog_11 rolled +8 deg: after a 3 s hold the far leg comes down, dips below 'leg
    # down' for about 0.3 s, is pushed up once more (about half way) for half a second and
    # then put down. One extension, one rep, and its hold was long enough.
    w = _profile([(0.0, 0.0), (1.0, 0.0), (2.0, 1.0), (5.0, 1.0), (5.4, 0.05), (5.7, 0.05),
                  (5.9, 0.55), (6.5, 0.55), (6.8, 0.0), (10.0, 0.0)])
    res, _ = run(lambda t: quadruped(arms={"left": (w(t), 0.0)} if t < 5.0 else {},
                                     legs={"right": (w(t), 0.0)}), 10.0)
    assert res.rep_count == 1
    assert "hold_too_short" not in faults(res)
    # the rep ends when the leg is finally down, not at the dip
    assert res.reps[0].end_s > 6.5


def test_a_return_cut_short_by_the_end_of_the_stream_is_a_rep():
    # both limbs back down 0.1 s before the stream ends: past ``off``, too short for
    # ``switch_min_s`` to confirm, yet the return is done (a clip cut right after it)
    seq = bird_dog([{"start": 0.5, "hold": 2.5, "ramp": 0.4}])
    res, _ = run(seq, 3.9)
    assert res.rep_count == 1
    # still up at the end: no rep (as before)
    up, _ = run(seq, 3.2)
    assert up.rep_count == 0


def test_the_supporting_hand_is_the_one_under_its_shoulder_not_the_lower_one():
    # a camera close above: the far side reads 40 px higher, and the near hand, sliding
    # forward on the mat ahead of a lift, reads lower in the picture than the far hand that
    # carries the weight - yet only the far one stands under its shoulder
    from formcheck.exercises.families.quadruped import AllFoursParams, read_all_fours
    from tests.test_ex_cat_cow import SHOULDER

    near_wrist = (SHOULDER[0] + 260.0, SHOULDER[1] + 200.0)  # 52 deg from vertical
    pose = quadruped(far=(3.0, -40.0), overrides={"LEFT_WRIST": near_wrist})
    far_wrist = pose.image[Landmark.RIGHT_WRIST, :2] * (1280, 720)
    assert near_wrist[1] > far_wrist[1]  # the near hand is the lower one in the picture
    q = read_all_fours(pose, "left", 0.0, AllFoursParams())
    assert q.in_position and q.wrist_side == "right"
    # with no hand under a shoulder the person is not on all fours
    both = quadruped(far=(3.0, -40.0), overrides={"LEFT_WRIST": near_wrist,
                                                 "RIGHT_WRIST": near_wrist})
    assert not read_all_fours(both, "left", 0.0, AllFoursParams()).in_position
