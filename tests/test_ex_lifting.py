"""Lifting from the floor: synthetic lifts frame by frame, and the labelled clips."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.core.pose import Landmark, Pose
from formcheck.exercises.lifting import LiftingAnalyzer, LiftingParams
from tests.builders import make_pose, pose_sequence, run_analyzer

STAND = {"shin": 0.0, "thigh": 0.0, "trunk": 5.0}
SQUAT = {"shin": 30.0, "thigh": 80.0, "trunk": 40.0}    # knee 70, hip 60, trunk 40 deg
STOOP = {"shin": 5.0, "thigh": 20.0, "trunk": 75.0}     # knee 155, hip 85, trunk 75 deg


def lift_pose(shin: float, thigh: float, trunk: float, hands_fwd: float | None = None,
              view_yaw: float | None = None, twist: float = 0.0, feet_apart: float = 1.3,
              hide_shins: bool = False, front_image: bool = False,
              shin_vis: float | None = None) -> Pose:
    """A person lifting, seen from their left side, facing image-left (forward = -x).

    shin: forward tilt of the shin from vertical; thigh: tilt of the thigh (hip behind the
    knee); trunk: forward lean from vertical (degrees). hands_fwd: wrists this many forearm
    lengths ahead of the toes (None: hanging under the shoulders). view_yaw / twist / feet_apart
    add world landmarks: hip line this far out of the image plane (90 = side view), the
    shoulder line rotated ``twist`` deg against it, ankle spacing in hip widths.
    front_image: draw the image as a camera in front sees it (the bend points at the
    camera, so every joint lines up vertically); the world landmarks keep the true bend.
    """
    ankle = np.array([640.0, 680.0])
    s, th, tr = (math.radians(v) for v in (shin, thigh, trunk))
    knee = ankle + 130.0 * np.array([-math.sin(s), -math.cos(s)])
    hip = knee + 130.0 * np.array([math.sin(th), -math.cos(th)])
    sh = hip + 220.0 * np.array([-math.sin(tr), -math.cos(tr)])
    toe = ankle + np.array([-55.0, 20.0])
    heel = ankle + np.array([15.0, 15.0])
    if hands_fwd is None:
        wrist = sh + np.array([0.0, 200.0])
    else:
        wrist = np.array([toe[0] - hands_fwd * 100.0, max(hip[1] + 40.0, sh[1] + 120.0)])
    elbow = wrist + np.array([0.0, -100.0])
    head = sh + 60.0 * np.array([-math.sin(tr + 0.3), -math.cos(tr + 0.3)])
    side = {"SHOULDER": sh, "ELBOW": elbow, "WRIST": wrist, "HIP": hip, "KNEE": knee,
            "ANKLE": ankle, "HEEL": heel, "FOOT_INDEX": toe, "EAR": head + np.array([15.0, 0]),
            "EYE": head - np.array([10.0, 5.0])}
    pts = {"NOSE": tuple(head - np.array([25.0, -5.0]))}
    for name, xy in side.items():
        pts[f"LEFT_{name}"] = tuple(xy)
        pts[f"RIGHT_{name}"] = tuple(xy + np.array([2.0, 0.0]))
    if shin_vis is None:
        shin_vis = 0.2 if hide_shins else 0.95
    vis = {f"{s}_{n}": shin_vis for s in ("LEFT", "RIGHT") for n in ("KNEE", "ANKLE")}
    pose = make_pose(pts, visibility=vis)
    if view_yaw is None:
        return pose
    # world landmarks (metres, hip-centred, y down): image layout scaled, then the hip,
    # shoulder and ankle lines turned out of the image plane
    world = np.zeros((33, 3), np.float32)
    world[:, :2] = (pose.px - pose.px[[23, 24]].mean(axis=0)) / 500.0
    phi = math.radians(view_yaw)
    for (lft, rgt), half, ang in (((23, 24), 0.1, phi), ((11, 12), 0.17, phi + math.radians(twist)),
                                 ((27, 28), 0.1 * feet_apart, phi)):
        d = half * np.array([math.cos(ang), 0.0, math.sin(ang)])
        centre_x = float(world[[lft, rgt], 0].mean())
        for idx, sign in ((lft, -1.0), (rgt, 1.0)):
            world[idx, 0] = centre_x + sign * d[0]
            world[idx, 2] = sign * d[2]
    image = pose.image.copy()
    if front_image:
        for i in range(33):
            name = Landmark(i).name
            image[i, 0] = (640.0 + (-40.0 if name.startswith("LEFT") else 40.0)) / 1280.0
    return Pose(image, world, pose.visibility, 0.0, pose.image_size)


def lerp(a: dict, b: dict, u: float) -> dict:
    u = min(max(u, 0.0), 1.0)
    return {k: a[k] + (b[k] - a[k]) * u for k in a}


def one_lift(bottom: dict, down_s: float = 1.5, up_s: float = 1.5, **kw):
    """Stand 1 s, go down, stay 0.5 s at the bottom, come up, stand 1 s."""
    def fn(t: float) -> Pose:
        if t < 1.0:
            q = STAND
        elif t < 1.0 + down_s:
            q = lerp(STAND, bottom, (t - 1.0) / down_s)
        elif t < 1.5 + down_s:
            q = bottom
        else:
            q = lerp(bottom, STAND, (t - 1.5 - down_s) / up_s)
        return lift_pose(**q, **kw)
    return fn, 3.5 + down_s + up_s


def analyze(fn, seconds, fps=30.0, params=None):
    return run_analyzer(LiftingAnalyzer(params), pose_sequence(fn, seconds, fps))


def test_squat_lift_is_counted_as_squat_with_no_faults():
    fn, secs = one_lift(SQUAT)
    res, _ = analyze(fn, secs)
    assert res.rep_count == 1
    assert res.reps[0].kind == "squat"
    assert res.reps[0].faults == []
    assert res.fault_ids == []
    assert res.reps[0].end_s > res.reps[0].start_s
    # pure side view: twisting cannot be judged; narrow base needs a front view
    assert "twisting" in res.not_measurable and "narrow_base" in res.not_measurable


def test_stoop_lift_is_bending_at_waist():
    fn, secs = one_lift(STOOP)
    res, _ = analyze(fn, secs)
    assert res.rep_count == 1
    assert res.reps[0].kind == "stoop"
    assert "bending_at_waist" in res.reps[0].faults
    assert "bending_at_waist" in res.fault_ids
    assert res.extra == {"squat_lifts": 0, "stoop_lifts": 1}


def test_going_down_without_standing_up_is_not_a_lift():
    res, _ = analyze(lambda t: lift_pose(**lerp(STAND, SQUAT, t / 2.0)), 4.0)
    assert res.rep_count == 0
    assert "bending_at_waist" in res.not_measurable


def test_jitter_at_the_top_does_not_add_lifts():
    rng = np.random.default_rng(0)
    fn, secs = one_lift(SQUAT)

    def jittery(t):
        q = dict(STAND) if t > secs - 1.0 else None
        if q is None:
            return fn(t)
        # standing with +-12 deg of hip and trunk noise (never as low as a lift)
        q["trunk"] = 5.0 + float(rng.uniform(-5, 12))
        q["thigh"] = float(rng.uniform(0, 12))
        return lift_pose(**q)
    res, _ = analyze(jittery, secs + 3.0)
    assert res.rep_count == 1


def test_two_lifts_are_two_reps():
    fn, secs = one_lift(SQUAT)
    res, _ = analyze(lambda t: fn(t % secs), 2 * secs)
    assert res.rep_count == 2


def test_load_far_from_body():
    fn, secs = one_lift(STOOP, hands_fwd=1.6)
    res, _ = analyze(fn, secs)
    assert "load_far_from_body" in res.fault_ids
    assert "load_far_from_body" in res.reps[0].faults
    fn, secs = one_lift(SQUAT, hands_fwd=0.2)
    res, _ = analyze(fn, secs)
    assert "load_far_from_body" not in res.fault_ids


def test_twisting_needs_an_oblique_view():
    fn, secs = one_lift(SQUAT, view_yaw=45.0, twist=35.0)
    res, _ = analyze(fn, secs)
    assert "twisting" in res.fault_ids
    fn, secs = one_lift(SQUAT, view_yaw=45.0, twist=0.0)
    res, _ = analyze(fn, secs)
    assert "twisting" not in res.fault_ids and "twisting" not in res.not_measurable
    fn, secs = one_lift(SQUAT, view_yaw=88.0, twist=35.0)
    res, _ = analyze(fn, secs)
    assert "twisting" not in res.fault_ids
    assert "side view" in res.not_measurable["twisting"]


def test_narrow_base_only_from_the_front():
    fn, secs = one_lift(SQUAT, view_yaw=5.0, feet_apart=0.5)
    res, _ = analyze(fn, secs)
    assert "narrow_base" in res.fault_ids
    assert "bending_at_waist" in res.not_measurable  # trunk lean needs a side view
    fn, secs = one_lift(SQUAT, view_yaw=5.0, feet_apart=1.5)
    res, _ = analyze(fn, secs)
    assert "narrow_base" not in res.fault_ids
    fn, secs = one_lift(SQUAT, view_yaw=85.0, feet_apart=0.5)
    res, _ = analyze(fn, secs)
    assert "narrow_base" in res.not_measurable


def test_lift_seen_from_the_front_is_measured_on_world_landmarks():
    fn, secs = one_lift(SQUAT, view_yaw=5.0, feet_apart=1.5, front_image=True)
    res, fbs = analyze(fn, secs)
    assert res.rep_count == 1
    assert "bending_at_waist" in res.not_measurable and res.fault_ids == []
    low = min(fb.signals["hip_deg"] for fb in fbs if "hip_deg" in fb.signals)
    assert low == pytest.approx(60.0, abs=3.0)  # the true hip angle at the bottom


def test_hidden_shins_are_not_visible_but_the_lift_still_counts():
    fn, secs = one_lift(SQUAT)
    res, _ = analyze(lambda t: lift_pose(**SQUAT, hide_shins=True) if 2.0 < t < 3.5 else fn(t),
                     secs)
    assert "not_visible" in res.fault_ids
    assert res.rep_count == 1


def test_shins_behind_a_plate_are_not_visible_however_sure_the_model_is():
    # lifting_05 filmed with the camera rolled -8 deg: the plate hides the shins for ~3 s and
    # the model, a little surer of itself than on the level video, reads their visibility at
    # 0.50-0.72 - never under 0.5, so counting frames under 0.5 found nothing. On average
    # the shins are seen only about 60 % of the time: not_visible. Clear shins (0.8-0.95)
    # are not.
    fn, secs = one_lift(SQUAT)
    for vis, hidden in (((0.52, 0.6, 0.72, 0.55, 0.5, 0.65), True), ((0.8, 0.9, 0.95), False)):
        def frame(t: float, vis: tuple[float, ...] = vis) -> Pose:
            if not 1.0 < t < 4.0:
                return fn(t)
            q = lerp(STAND, SQUAT, (t - 1.0) / 1.5) if t < 2.5 else SQUAT
            return lift_pose(**q, shin_vis=vis[round(t * 30) % len(vis)])
        res, _ = analyze(frame, secs)
        assert ("not_visible" in res.fault_ids) is hidden, vis
        assert res.rep_count == 1


def test_params_validated():
    with pytest.raises(ValueError):
        LiftingParams(low_hip_deg=160.0)


LABELLED = {  # clip: (reps, tolerance, must report, must not report, kinds)
    "lifting_01": (1, 0, set(), {"bending_at_waist", "load_far_from_body", "wrong_view",
                                 "pain_stop"}, ["squat"]),
    "lifting_02": (1, 1, {"bending_at_waist"}, {"load_far_from_body", "wrong_view",
                                                "pain_stop"}, None),
    "lifting_05": (1, 0, {"not_visible"}, {"bending_at_waist", "load_far_from_body",
                                           "wrong_view", "pain_stop"}, ["squat"]),
    "lifting_07": (1, 0, set(), {"bending_at_waist", "load_far_from_body", "wrong_view",
                                 "not_visible", "pain_stop"}, ["squat"]),
    "lifting_10": (2, 0, set(), {"bending_at_waist", "load_far_from_body", "twisting",
                                 "pain_stop"}, ["squat", "squat"]),
}


@pytest.mark.parametrize("clip", sorted(LABELLED))
def test_labelled_lifting_clips(samples, clip):
    from formcheck.analysis.pipeline import analyze_track
    from formcheck.analysis.track import load_or_extract

    reps, tol, must, must_not, kinds = LABELLED[clip]
    res = analyze_track(load_or_extract(samples / f"{clip}.mp4"), "lifting").result
    assert abs(res.rep_count - reps) <= tol
    assert must <= set(res.fault_ids)
    assert not must_not & set(res.fault_ids)
    if kinds is not None:
        assert [r.kind for r in res.reps] == kinds
    if clip == "lifting_02":
        assert any(r.kind == "stoop" for r in res.reps)


def _lifts(stand: dict, bottom: dict, cycles: list[dict] | None = None):
    """Stand 1 s in ``stand``, then for each target in ``cycles`` (default: bottom, stand):
    move there over 1 s and stay 0.5 s."""
    targets = cycles or [bottom, stand]
    def fn(t: float) -> Pose:
        q, u = stand, t - 1.0
        for target in targets:
            if u < 1.0:
                return lift_pose(**lerp(q, target, max(u, 0.0)))
            if u < 1.5:
                return lift_pose(**target)
            q, u = target, u - 1.5
        return lift_pose(**q)
    return fn, 1.0 + 1.5 * len(targets) + 0.5


def test_lift_counted_against_the_persons_own_standing_posture():
    # this person (or camera) reads a standing hip of only ~146 deg (trunk 20 deg forward,
    # thigh 14 deg back): below any fixed "standing" number a straighter person would need,
    # but their own top: a full rise to it is a lift
    own_stand = {"shin": 0.0, "thigh": 14.0, "trunk": 20.0}
    fn, secs = _lifts(own_stand, SQUAT)
    res, fbs = analyze(fn, secs)
    assert res.rep_count == 1 and res.reps[0].kind == "squat"
    last = fbs[-1].signals
    assert last["hip_deg"] == pytest.approx(146.0, abs=1.0)
    assert last["stand_hip_deg"] < 140.0 and last["standing"] == 1.0


def test_a_half_rise_is_not_a_lift_a_full_one_is():
    # down, up only half way (hip ~140 of a 60-175 range, below 75 % of it), down again,
    # then all the way up: one lift
    half = {"shin": 0.0, "thigh": 20.0, "trunk": 20.0}
    fn, secs = _lifts(STAND, SQUAT, [SQUAT, half, SQUAT, STAND])
    res, _ = analyze(fn, secs)
    assert res.rep_count == 1
