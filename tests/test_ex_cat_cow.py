"""Cat-Cow analyzer: synthetic hands-and-knees sequences, frame by frame, and the labelled clips.

Also home of the hands-and-knees pose builder the bird-dog tests share (:func:`quadruped`).
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from formcheck.exercises.cat_cow import CatCowAnalyzer, CatCowParams
from tests.builders import make_pose, pose_sequence, run_analyzer

Pt = tuple[float, float]

FLOOR_Y = 600.0
SHOULDER: Pt = (800.0, 380.0)
HIP: Pt = (520.0, 400.0)


def _rot_up(v: Pt, deg: float) -> Pt:
    """Rotate an image vector (y down) counter-clockwise as drawn (toward 'up' when facing right)."""
    a = math.radians(deg)
    x, yu = v[0], -v[1]
    return (x * math.cos(a) - yu * math.sin(a), -(x * math.sin(a) + yu * math.cos(a)))


def _add(p: Pt, v: Pt, k: float = 1.0) -> Pt:
    return (p[0] + k * v[0], p[1] + k * v[1])


def _lerp(a: Pt, b: Pt, w: float) -> Pt:
    return (a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w)


def _dir(elev_deg: float, forward: bool) -> Pt:
    """Unit image vector at ``elev_deg`` above horizontal, pointing forward (+x) or back (-x)."""
    a = math.radians(elev_deg)
    return ((1 if forward else -1) * math.cos(a), -math.sin(a))


def quadruped(
    *,
    head_pitch: float = 0.0,
    arms: dict[str, tuple[float, float]] | None = None,
    legs: dict[str, tuple[float, float]] | None = None,
    arm_from_vertical: float = 0.0,
    thigh_from_vertical: float = 0.0,
    hip_drop: float = 0.0,
    far: Pt = (3.0, -4.0),
    mirror: bool = False,
    cam_tilt: float = 0.0,
    scale: float = 1.0,
    near_side: str = "left",
    overrides: dict[str, Pt] | None = None,
    visibility: float | dict[str, float] = 0.95,
):
    """A person on hands and knees seen from the side, facing image-right (``mirror``: left).

    ``arms`` / ``legs``: side -> (w, elevation deg): w blends from the supporting limb (0) to a
    straight limb lifted to that elevation (1). ``head_pitch``: ear direction relative to the
    trunk, + = head up (cow). ``hip_drop`` lowers the hips (px). ``far`` offsets the far side
    (the side not given as ``near_side``). ``cam_tilt`` rotates the image (deg).
    """
    arms = arms or {}
    legs = legs or {}
    s = SHOULDER
    h = (HIP[0], HIP[1] + hip_drop)
    pts: dict[str, Pt] = {}
    for side in ("left", "right"):
        up = side.upper()
        w, a = arms.get(side, (0.0, -90.0))
        rest_dir = _dir(-90.0 + arm_from_vertical, True)
        e = _lerp(_add(s, rest_dir, 110), _add(s, _dir(a, True), 110), w)
        wr = _lerp(_add(s, rest_dir, 220), _add(s, _dir(a, True), 220), w)
        w2, b = legs.get(side, (0.0, -90.0))
        k_rest = _add(h, _dir(-90.0 - thigh_from_vertical, False), FLOOR_Y - h[1])
        a_rest = _add(k_rest, (-175.0, 0.0))
        kn = _lerp(k_rest, _add(h, _dir(b, False), 200), w2)
        an = _lerp(a_rest, _add(h, _dir(b, False), 375), w2)
        pts.update(
            {
                f"{up}_SHOULDER": s,
                f"{up}_ELBOW": e,
                f"{up}_WRIST": wr,
                f"{up}_INDEX": _add(wr, (25.0, 5.0)),
                f"{up}_PINKY": _add(wr, (20.0, 5.0)),
                f"{up}_THUMB": _add(wr, (15.0, 0.0)),
                f"{up}_HIP": h,
                f"{up}_KNEE": kn,
                f"{up}_ANKLE": an,
                f"{up}_HEEL": _add(an, (-10.0, -8.0)),
                f"{up}_FOOT_INDEX": _add(an, (-25.0, 8.0)),
            }
        )
    trunk = (s[0] - h[0], s[1] - h[1])
    n = math.hypot(*trunk)
    u = (trunk[0] / n, trunk[1] / n)
    ear = _add(s, _rot_up(u, head_pitch), 75)
    face = _rot_up(u, head_pitch - 40)
    nose = _add(ear, face, 35)
    for side in ("LEFT", "RIGHT"):
        pts[f"{side}_EAR"] = ear
        pts[f"{side}_EYE"] = pts[f"{side}_EYE_INNER"] = pts[f"{side}_EYE_OUTER"] = _add(
            ear, face, 25
        )
        pts[f"MOUTH_{side}"] = _add(nose, (-8.0, 10.0))
    pts["NOSE"] = nose
    pts.update(overrides or {})
    far_prefix = "RIGHT" if near_side == "left" else "LEFT"
    out = {}
    cx, cy = 640.0, 360.0
    for name, (x, y) in pts.items():
        if name.startswith(far_prefix) or name in (f"MOUTH_{far_prefix}",):
            x, y = x + far[0], y + far[1]
        x, y = cx + (x - cx) * scale, cy + (y - cy) * scale
        if cam_tilt:
            dx, dy = _rot_up((x - cx, y - cy), cam_tilt)
            x, y = cx + dx, cy + dy
        if mirror:
            x = 1280.0 - x
        out[name] = (x, y)
    return make_pose(out, base={}, near_side=near_side, visibility=visibility)


def cat_cow_wave(period_s: float, lo: float = -35.0, hi: float = 20.0, **kw):
    """Head pitch moving smoothly between ``lo`` (cat) and ``hi`` (cow), starting at the cat
    end: one cat and one cow per period."""
    mid, amp = (hi + lo) / 2, (hi - lo) / 2

    def fn(t: float):
        return quadruped(head_pitch=mid - amp * math.cos(2 * math.pi * t / period_s), **kw)

    return fn


def run(fn, seconds: float, fps: float = 30.0, params: CatCowParams | None = None):
    return run_analyzer(CatCowAnalyzer(params), pose_sequence(fn, seconds, fps))


def faults(res) -> set[str]:
    return set(res.fault_ids)


# ---- counting -------------------------------------------------------------------------------
def test_counts_one_cycle_per_cat_and_cow_slowly_good_form():
    res, fbs = run(cat_cow_wave(8.0), 32.0)  # four 8 s cycles: 4 s per phase
    assert res.rep_count == 4
    assert faults(res) == set()
    assert res.extra["phase_durations_s"] and min(res.extra["phase_durations_s"]) > 3.5
    # the live phase follows the movement
    phases = {fb.phase for fb in fbs}
    assert {"cat", "cow", "neutral"} <= phases
    assert fbs[-1].reps["total"] == 4


@pytest.mark.parametrize("mirror,tilt", [(True, 0.0), (False, 4.0), (True, -4.0)])
def test_counting_does_not_depend_on_facing_direction_or_camera_tilt(mirror, tilt):
    res, _ = run(cat_cow_wave(8.0, mirror=mirror, cam_tilt=tilt), 24.0)
    assert res.rep_count == 3
    assert faults(res) == set()


def test_jitter_around_the_cat_threshold_never_adds_cycles():
    p = CatCowParams()

    def fn(t: float):
        i = round(t * 30)
        # alternates 3 deg either side of the cat entry threshold every frame, and of cow later
        n = p.neutral_prior_deg
        centre = n - p.phase_min_deg if t < 10 else n + p.phase_min_deg
        return quadruped(head_pitch=centre + (3.0 if i % 2 else -3.0))

    res, _ = run(fn, 20.0)
    assert res.rep_count == 0


def test_frames_without_a_person_mid_cycle_do_not_add_or_lose_a_cycle():
    wave = cat_cow_wave(8.0)

    def fn(t: float):
        return None if 5.0 <= t < 6.0 else wave(t)  # lost during the cow phase

    res, fbs = run(fn, 16.0)
    assert res.rep_count == 2
    assert not any(fb.pose_found for fb in fbs if 5.0 <= fb.t_s < 6.0)


# ---- too_fast --------------------------------------------------------------------------------
def test_too_fast_fires_when_a_phase_takes_under_one_and_a_half_seconds():
    res, _ = run(cat_cow_wave(2.0), 10.0)  # 1 s per phase
    assert res.rep_count >= 4
    assert "too_fast" in faults(res)


def test_too_fast_quiet_on_slow_phases():
    res, _ = run(cat_cow_wave(5.0), 20.0)  # 2.5 s per phase
    assert "too_fast" not in faults(res)


def test_low_frame_rate_reports_too_fast_not_measurable_but_still_counts():
    res, fbs = run(cat_cow_wave(8.0), 16.0, fps=1.5)
    assert res.rep_count == 2
    assert "too_fast" not in faults(res)
    assert "too_fast" in res.not_measurable
    assert "fps" in res.not_measurable["too_fast"]
    assert fbs[-1].checks.get("too_fast") == "not_measurable"


# ---- small_range -----------------------------------------------------------------------------
def test_small_range_fires_when_the_back_barely_moves():
    # moves 14 deg back and forth, never reaching a cat or a cow
    res, _ = run(cat_cow_wave(6.0, lo=-12.0, hi=2.0), 20.0)
    assert res.rep_count == 0
    assert "small_range" in faults(res)


def test_small_range_fires_on_cycles_that_only_just_reach_both_ends():
    res, _ = run(cat_cow_wave(8.0, lo=-23.0, hi=6.0), 24.0)  # 29 deg between cat and cow
    assert res.rep_count >= 2
    assert "small_range" in faults(res)


def test_small_range_quiet_on_full_range_and_when_resting_still():
    res, _ = run(cat_cow_wave(8.0), 24.0)
    assert "small_range" not in faults(res)
    still, _ = run(lambda t: quadruped(head_pitch=-5.0), 20.0)
    assert "small_range" not in faults(still)
    assert still.rep_count == 0


# ---- hand and knee placement ------------------------------------------------------------------
def test_hands_not_under_shoulders_fires_when_wrists_are_forward():
    res, fbs = run(cat_cow_wave(8.0, arm_from_vertical=25.0), 16.0)
    assert "hands_not_under_shoulders" in faults(res)
    assert "knees_not_under_hips" not in faults(res)
    # judged in the neutral band only (between the cat and cow thresholds)
    p = CatCowParams()
    lo, hi = p.neutral_prior_deg - p.phase_min_deg, p.neutral_prior_deg + p.phase_min_deg
    extreme = [fb for fb in fbs if not lo < fb.signals.get("spine", 0.0) < hi]
    assert extreme and all("hands_not_under_shoulders" not in fb.checks for fb in extreme)


def test_knees_not_under_hips_fires_when_knees_are_behind():
    res, _ = run(cat_cow_wave(8.0, thigh_from_vertical=25.0), 16.0)
    assert "knees_not_under_hips" in faults(res)
    assert "hands_not_under_shoulders" not in faults(res)


def test_placement_quiet_within_fifteen_degrees():
    res, _ = run(cat_cow_wave(8.0, arm_from_vertical=8.0, thigh_from_vertical=8.0), 16.0)
    assert not faults(res) & {"hands_not_under_shoulders", "knees_not_under_hips"}


# ---- common checks ---------------------------------------------------------------------------
def test_not_in_position_when_standing_and_nothing_counted():
    res, fbs = run(lambda t: make_pose(), 5.0)
    assert "not_in_position" in faults(res)
    assert res.rep_count == 0
    assert fbs[-1].cue == "Get on your hands and knees"


def test_not_visible_when_the_body_is_cut_off_by_the_frame():
    wave = cat_cow_wave(8.0)

    def fn(t: float):
        pose = wave(t)
        return (
            quadruped(
                head_pitch=0.0,
                overrides={"LEFT_WRIST": (1300.0, 600.0), "RIGHT_WRIST": (1300.0, 600.0)},
            )
            if t > 2
            else pose
        )

    res, _ = run(fn, 5.0)
    assert "not_visible" in faults(res)
    ok, _ = run(wave, 5.0)
    assert "not_visible" not in faults(ok)


def test_wrong_view_fires_on_a_front_view_held_over_a_second_only():
    # far side shifted across the image: shoulders and hips read as seen from the front
    front = lambda t: quadruped(far=(0.0, -260.0))
    res, fbs = run(front, 3.0)
    assert "wrong_view" in faults(res)
    assert fbs[-1].checks["wrong_view"] == "fault"
    brief, _ = run(lambda t: quadruped(far=(0.0, -260.0)) if 1 <= t < 1.6 else quadruped(), 4.0)
    assert "wrong_view" not in faults(brief)


def test_evaluate_is_pure_and_live_status_reports_the_phase():
    an = CatCowAnalyzer()
    pose = quadruped(head_pitch=-35.0)
    a, b = an.evaluate(pose), an.evaluate(pose)
    assert a.checks == b.checks and a.signals == b.signals
    assert a.signals["spine"] == pytest.approx(-35.0, abs=1.5)
    hold, target, phase = an.live_status()
    assert hold is None and target is None and phase == "neutral"


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CatCowParams().phase_min_deg = 0.0  # type: ignore[misc]


# ---- issue 9: phases relative to the person's own neutral and range ----------------------------
def _rest_then_cycles(rest: float, lo: float, hi: float, rest_s: float = 3.0):
    """Still on all fours at ``rest`` for ``rest_s``, then slow cycles between ``lo`` (cat)
    and ``hi`` (cow), leaving rest toward the cow."""
    wave = cat_cow_wave(8.0, lo=lo, hi=hi)

    def fn(t: float):
        if t < rest_s:
            return quadruped(head_pitch=rest)
        # from rest, blend into the wave over the first second
        w = min(1.0, (t - rest_s) / 1.0)
        target = wave(t - rest_s + 2.0)  # the wave's neutral crossing, going to cow
        return target if w >= 1.0 else quadruped(
            head_pitch=(1 - w) * rest + w * _spine_of(target))

    return fn


def _spine_of(pose) -> float:
    return CatCowAnalyzer().evaluate(pose).signals["spine"]


@pytest.mark.parametrize("rest,lo,hi", [
    (1.0, -17.0, 20.0),    # head held level-high at rest; cat only to -17 (absolute -20 missed it)
    (-16.0, -45.0, 0.0),   # looks at the floor at rest; cow only up to 0 (absolute +5 missed it)
])
def test_phases_are_counted_from_the_persons_own_neutral(rest, lo, hi):
    res, fbs = run(_rest_then_cycles(rest, lo, hi), 3.0 + 24.0)
    assert res.rep_count == 3
    assert "small_range" not in faults(res)
    # the neutral it learned is the person's rest
    an = CatCowAnalyzer()
    run_analyzer(an, pose_sequence(lambda t: quadruped(head_pitch=rest), 3.0))
    assert an.neutral_deg == pytest.approx(rest, abs=1.5)


def test_a_wobble_at_the_far_end_of_a_large_cat_is_not_a_new_phase():
    wave = cat_cow_wave(10.0, lo=-60.0, hi=40.0)

    def fn(t: float):
        pose = wave(t)
        # at each cat end (t = 0, 10, 20 s) the head bobs up 15 deg and back
        phase = t % 10.0
        if 0.5 <= phase < 1.5 or phase >= 9.5:
            bump = 15.0 * math.sin(math.pi * ((phase + 0.5) % 10.0))
            return quadruped(head_pitch=_spine_of(pose) + abs(bump))
        return pose

    res, _ = run(fn, 30.0)
    assert res.rep_count == 3
