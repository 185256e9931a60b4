"""Metamorphic robustness: the labelled clips' landmark tracks mirrored, rolled, zoomed out,
cropped, at half the frame rate, played faster and slower and jittered must still be judged
as their labels say (``formcheck.analysis.robustness``).

The transforms are checked first on their own (mirror twice is the identity, a roll keeps
every joint angle in pixels, ...), then the whole suite runs on the cached tracks. The suite's
judgements are cached under a key of the package's source, the labels and the clips, so only
the first run after a code change pays for the ~330 analyses.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis.evaluate import ClipLabel
from formcheck.analysis.robustness import (
    MIRROR_INDEX,
    TIMING_CHECKS,
    VARIANT_NAMES,
    VARIANTS,
    crop,
    crop_box,
    half_rate,
    jitter,
    judge,
    mirror,
    roll,
    run_clip,
    run_suite,
    speed,
    tally,
    variant_label,
    zoom,
)
from formcheck.analysis.track import PoseTrack
from formcheck.core.pose import NUM_LANDMARKS, Landmark, Pose
from formcheck.core.results import ExerciseResult, FaultSpan, Rep

from .conftest import LABELS, MODELS, SAMPLES

L = R = Landmark


def _track(n: int = 30, size=(1280, 720), fps: float = 30.0, seed: int = 1) -> PoseTrack:
    """A random-walk person inside the picture, with world landmarks and visibilities."""
    rng = np.random.default_rng(seed)
    rows = []
    base = rng.uniform(0.2, 0.8, (NUM_LANDMARKS, 2))
    world = rng.normal(0, 0.4, (NUM_LANDMARKS, 3))
    for i in range(n):
        img = np.concatenate([base + rng.normal(0, 0.01, base.shape),
                              rng.normal(0, 0.1, (NUM_LANDMARKS, 1))], axis=1)
        pose = Pose.from_array(img, timestamp_ms=i * 1000 / fps, image_size=size,
                               world=world + rng.normal(0, 0.01, world.shape),
                               visibility=rng.uniform(0.6, 1.0, NUM_LANDMARKS))
        rows.append(pose.as_row())
    rows[5] = PoseTrack.empty_row(5 * 1000 / fps)
    return PoseTrack(np.array(rows), size, fps, "synthetic")


def _px_angle(track: PoseTrack, frame: int, a: int, b: int, c: int) -> float:
    p = next(pose for k, (_, pose) in enumerate(track.poses()) if k == frame).px
    u, v = p[a] - p[b], p[c] - p[b]
    return float(np.degrees(np.arctan2(u[0] * v[1] - u[1] * v[0], u @ v)))


def _same(a: PoseTrack, b: PoseTrack) -> None:
    assert a.image_size == b.image_size and a.fps == b.fps
    np.testing.assert_allclose(a.rows, b.rows, atol=1e-9, equal_nan=True)


def test_mirror_twice_is_identity_and_swaps_sides():
    t = _track()
    _same(mirror(mirror(t)), t)
    m = mirror(t)
    pose, mpose = Pose.from_row(t.rows[0], t.image_size), Pose.from_row(m.rows[0], m.image_size)
    # the person's left knee is seen where the right knee was, flipped
    assert mpose.image[R.RIGHT_KNEE, 0] == pytest.approx(1 - pose.image[L.LEFT_KNEE, 0])
    assert mpose.image[R.RIGHT_KNEE, 1] == pytest.approx(pose.image[L.LEFT_KNEE, 1])
    assert mpose.world[R.RIGHT_KNEE, 0] == pytest.approx(-pose.world[L.LEFT_KNEE, 0])
    assert mpose.visibility[R.RIGHT_KNEE] == pytest.approx(pose.visibility[L.LEFT_KNEE])
    assert MIRROR_INDEX[L.NOSE] == L.NOSE and MIRROR_INDEX[L.LEFT_EAR] == L.RIGHT_EAR
    label = ClipLabel("x.mp4", "plank", person_side_to_camera="left")
    from formcheck.analysis.robustness import VARIANTS

    assert variant_label(label, VARIANTS[0]).person_side_to_camera == "right"
    # a mirrored joint angle turns the other way: same size, opposite sign
    a = _px_angle(t, 0, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE)
    b = _px_angle(m, 0, R.RIGHT_HIP, R.RIGHT_KNEE, R.RIGHT_ANKLE)
    assert b == pytest.approx(-a, abs=1e-3)


@pytest.mark.parametrize("size", [(1280, 720), (360, 640)])
def test_roll_turns_the_picture_in_pixels_keeping_joint_angles(size):
    t = _track(size=size)
    r = roll(t, 8.0)
    for tri in [(L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_SHOULDER, L.RIGHT_HIP, R.RIGHT_KNEE),
                (L.NOSE, L.LEFT_SHOULDER, L.RIGHT_WRIST)]:
        assert _px_angle(r, 3, *tri) == pytest.approx(_px_angle(t, 3, *tri), abs=1e-3)
    # a segment's direction turns by 8 deg counter-clockwise on screen (y down)
    p0 = Pose.from_row(t.rows[0], size).px
    p1 = Pose.from_row(r.rows[0], size).px
    d0, d1 = p0[L.LEFT_KNEE] - p0[L.LEFT_HIP], p1[L.LEFT_KNEE] - p1[L.LEFT_HIP]
    turn = np.degrees(np.arctan2(-d1[1], d1[0]) - np.arctan2(-d0[1], d0[0]))
    assert (turn + 180) % 360 - 180 == pytest.approx(8.0, abs=1e-3)
    # the world landmarks turn with it (lengths kept); back again is the identity
    w0, w1 = t.rows[0, 101:200].reshape(33, 3), r.rows[0, 101:200].reshape(33, 3)
    np.testing.assert_allclose(np.linalg.norm(w1, axis=1), np.linalg.norm(w0, axis=1), rtol=1e-6)
    _same(roll(r, -8.0), t)


def test_roll_and_zoom_keep_what_the_frame_cut_off_out_of_view():
    t = _track()
    rows = t.rows.copy()
    rows[:, 2 + 3 * L.LEFT_ANKLE] = 1.3  # the left ankle beyond the right edge
    t = PoseTrack(rows, t.image_size, t.fps)
    for changed in (zoom(t, 0.6), roll(t, 8.0)):
        found = changed.found
        assert np.all(changed.rows[found, 200 + L.LEFT_ANKLE] == 0.0)
        assert np.all(changed.rows[found, 200 + L.RIGHT_ANKLE] > 0.5)


def test_zoom_shrinks_about_the_centre_and_crop_keeps_angles():
    t = _track()
    z = zoom(t, 0.6)
    pz, p = Pose.from_row(z.rows[0], z.image_size), Pose.from_row(t.rows[0], t.image_size)
    centre = np.array(t.image_size) / 2
    np.testing.assert_allclose(pz.px - centre, (p.px - centre) * 0.6, atol=1e-3)
    assert _px_angle(z, 2, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE) == pytest.approx(
        _px_angle(t, 2, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE), abs=1e-3)
    box = crop_box(t)
    c = crop(t, box)
    assert c.image_size[0] < t.image_size[0] and c.image_size[1] < t.image_size[1]
    pc = Pose.from_row(c.rows[0], c.image_size)
    np.testing.assert_allclose(pc.px + box[:2], p.px, atol=1.0)  # rounded crop size
    inside = pc.image[:, :2]
    assert np.all((inside >= -0.01) & (inside <= 1.01))  # every joint kept in the crop


def test_rate_and_speed_resample_time():
    t = _track(n=61)
    h = half_rate(t)
    assert len(h) == 31 and h.fps == 15.0
    np.testing.assert_array_equal(h.rows, t.rows[::2])
    _same(speed(t, 1.0), t)
    slow, fast = speed(t, 0.8), speed(t, 1.25)
    assert slow.fps == fast.fps == t.fps
    assert len(slow) == pytest.approx(61 / 0.8, abs=1.5) and len(fast) == pytest.approx(61 / 1.25, abs=1.5)
    # frame k of the slow clip is the original at k * 0.8 frames: halfway frames interpolate
    k = 10  # source 8.0 -> exactly frame 8
    np.testing.assert_allclose(slow.rows[k, 2:], t.rows[8, 2:])
    # slow frame 26 shows source time 20.8 frames: 80 % of the way from frame 20 to 21
    np.testing.assert_allclose(slow.rows[26, 2:], t.rows[20, 2:] + 0.8 * (t.rows[21, 2:] - t.rows[20, 2:]))
    np.testing.assert_allclose(speed(t, 2.0).rows[10, 2:], t.rows[20, 2:])
    # next to the frame with nobody in it, the nearer frame is taken, not a blend with NaN
    assert np.isnan(slow.rows[6, 2])  # source 4.8 -> nearest is frame 5 (empty)
    assert np.isfinite(slow.rows[5, 2:]).all()  # source 4.0


def test_jitter_is_seeded_and_sized_to_the_picture():
    t = _track(n=200, size=(1280, 720))
    a, b = jitter(t, 0.005, seed=3), jitter(t, 0.005, seed=3)
    _same(a, b)
    found = t.found
    d = (a.rows[found, 2:101].reshape(-1, 33, 3)[..., :2] - t.rows[found, 2:101].reshape(-1, 33, 3)[..., :2])
    d_px = d * (1280, 720)
    assert np.std(d_px) == pytest.approx(0.005 * 1280, rel=0.05)
    np.testing.assert_array_equal(a.rows[:, 200:], t.rows[:, 200:])  # visibility carried over


def _result(reps: int, faults: list[str]) -> ExerciseResult:
    return ExerciseResult("plank", reps=[Rep(i, 0, 1) for i in range(reps)],
                          faults=[FaultSpan(f, 0, 1, "") for f in faults])


def test_judge_uses_the_evaluate_criteria():
    label = ClipLabel("x.mp4", "glute_bridge", reps=3, reps_tolerance=1,
                      faults=["hold_too_short"], no_faults=["hips_too_high"])
    assert judge(label, _result(2, ["hold_too_short"])).held
    assert not judge(label, _result(1, ["hold_too_short"])).held
    j = judge(label, _result(3, ["hips_too_high"]))
    assert not j.held and j.missed == ["hold_too_short"] and j.false_alarms == ["hips_too_high"]
    assert judge(label, _result(3, []), skip_checks=TIMING_CHECKS).held


# ---- the suite on the labelled clips ----------------------------------------------------
#: the issue's target: at least this share of variant runs hold, for every exercise
TARGET = 0.95
#: where the analyzers do not reach the target yet: the share measured when this test was
#: written (python -m formcheck.analysis.robustness, see README "Robustness"); robustness may only get
#: better. Remove an entry once the exercise reaches TARGET.
MEASURED_FLOOR: dict[str, float] = {}  # every exercise at TARGET or above (sitting 27/27)


@pytest.fixture(scope="module")
def suite(samples):
    if not any(MODELS.glob("pose_landmarker_*.task")) and not os.environ.get("FORMCHECK_MODEL_DIR"):
        pytest.skip(f"no pose model in {MODELS}")
    os.environ.setdefault("FORMCHECK_MODEL_DIR", str(MODELS))
    cache = Path(os.environ.get("FORMCHECK_CACHE_DIR", ".cache")) / "robustness"
    from formcheck.io.estimator import EstimatorOptions

    return run_suite(LABELS, SAMPLES, EstimatorOptions(model="full"), jobs=2, cache_dir=cache)


@pytest.mark.clips
def test_every_variant_ran(suite):
    names = {j.variant for j in suite}
    assert names == {"original", *VARIANT_NAMES}
    errors = [(j.clip, j.variant, j.error) for j in suite if j.error]
    assert not errors


@pytest.mark.clips
def test_variant_share_per_exercise(suite):
    tallies = tally(suite)
    below = []
    for ex, t in tallies.items():
        floor = min(TARGET, MEASURED_FLOOR.get(ex, TARGET))
        if t.share < floor - 1e-9:
            below.append(f"{ex}: {t.held}/{t.total} = {t.share:.0%} < {floor:.0%}")
    fails = [f"{j.clip} {j.variant}: {j.what_failed()}" for j in suite if not j.held]
    assert not below, "; ".join(below) + "\nfailing runs:\n" + "\n".join(fails)


@pytest.mark.clips
@pytest.mark.parametrize("variant", ["mirror", "roll+8"])
def test_landmark_transforms_match_the_model_on_transformed_pictures(samples, variant):
    """The model run on the flipped / rotated frames of a non-square clip (554x400) finds the
    body where the landmark-level transform puts it. Measured median error: mirror 2.6 px,
    roll 1.7 px; a mirror without the left/right swap is 22 px off, a roll of the unit
    square (aspect ratio ignored) 3.7 px and a roll the wrong way 20 px."""
    import cv2

    if not any(MODELS.glob("pose_landmarker_full.task")):
        pytest.skip(f"no pose model in {MODELS}")
    os.environ.setdefault("FORMCHECK_MODEL_DIR", str(MODELS))
    from formcheck.analysis.track import load_or_extract
    from formcheck.io.estimator import EstimatorOptions, PoseEstimator
    from formcheck.io.video import VideoFileSource

    video = SAMPLES / "cat_cow_03.mp4"
    options = EstimatorOptions(model="full")
    moved = mirror(load_or_extract(video, options)) if variant == "mirror" else \
        roll(load_or_extract(video, options), 8.0)
    w, h = moved.image_size
    body = [int(i) for i in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP,
                             L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_WRIST, L.RIGHT_WRIST)]
    errors = []
    with VideoFileSource(video) as src, PoseEstimator(options) as est:
        for k, frame in enumerate(src):
            rgb = frame.rgb
            if variant == "mirror":
                rgb = np.ascontiguousarray(rgb[:, ::-1])
            else:
                m = cv2.getRotationMatrix2D((w / 2, h / 2), 8.0, 1.0)
                rgb = cv2.warpAffine(rgb, m, (w, h))
            found = est.detect(rgb, frame.timestamp_ms).main
            assert found is not None
            expect = Pose.from_row(moved.rows[k], moved.image_size)
            errors.extend(np.linalg.norm(found.px[body] - expect.px[body], axis=1))
    limit = 0.01 if variant == "mirror" else 0.0055  # of the longer side: 5.5 px, 3.0 px
    assert np.median(errors) < limit * max(w, h), np.round(errors, 1)


@pytest.mark.clips
def test_tracked_bird_dog_02_keeps_its_reps_on_rate_speed_and_roll_variants(samples):
    """The tracked (num_poses=1) landmarks of bird_dog_02: its last return ends as the clip
    ends (half rate, 1.25x: still within ``switch_min_s``), and its reaching right hand reads
    lower than the supporting left one (close camera above; rolled -8 deg it leaves the
    frame): 3 reps and no not_in_position on every variant."""
    if not any(MODELS.glob("pose_landmarker_full.task")):
        pytest.skip(f"no pose model in {MODELS}")
    os.environ.setdefault("FORMCHECK_MODEL_DIR", str(MODELS))
    from formcheck.analysis.evaluate import load_labels
    from formcheck.analysis.track import load_or_extract
    from formcheck.io.estimator import EstimatorOptions

    label = next(c for c in load_labels(LABELS) if c.file == "bird_dog_02.mp4")
    options = EstimatorOptions(model="full", num_poses=1)
    track = load_or_extract(samples / label.file, options)
    wanted = {"half_fps", "speed1.25", "roll-8", "speed0.8"}
    js = run_clip(label, track, [v for v in VARIANTS if v.name in wanted], options=options)
    assert {j.variant for j in js} == {"original", *wanted}
    assert [(j.variant, j.what_failed()) for j in js if not j.held] == []
    assert all(j.reps_found == 3 for j in js)
