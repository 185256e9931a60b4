"""Issue 9, scenarios 4 and 5, on real people: the labelled lying clips' cached landmark
tracks, cut so that a clip holds one brisk bridge, or starts mid-movement (as when the camera
starts after the person). Times in the comments are the labels' (labels.toml); a cut track's
clock starts at 0 like a camera's would.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis.pipeline import analyze_track
from formcheck.analysis.track import PoseTrack, load_or_extract
from formcheck.io.estimator import EstimatorOptions

from .conftest import SAMPLES

pytestmark = pytest.mark.clips


def cut(clip: str, start_s: float, end_s: float = np.inf) -> PoseTrack:
    track = load_or_extract(SAMPLES / clip, EstimatorOptions(model="full"))
    t = track.timestamps_ms / 1000.0
    rows = track.rows[(t >= start_s) & (t < end_s)].copy()
    rows[:, 0] -= start_s * 1000.0
    return PoseTrack(rows, track.image_size, track.fps, f"{clip}[{start_s}:{end_s}]")


def analyze(clip, exercise, start_s, end_s=np.inf):
    return analyze_track(cut(clip, start_s, end_s), exercise)


# ---- scenario 4: one brisk bridge in a short clip -------------------------------------------
@pytest.mark.parametrize(
    "clip,start,end,top",
    [
        # up 4.8-5.6 s, top 5.6-6.3 s (0.7 s), on the floor by 7.4 s, then 0.5 s lying
        ("glute_bridge_14.mp4", 4.3, 7.9, (5.6, 6.3)),
        # up 5.5-6.2 s, top 6.2-7.3 s, down by 8.7 s, then 0.5 s lying
        ("glute_bridge_01.mp4", 5.0, 9.2, (6.2, 7.3)),
    ],
    ids=["glute_bridge_14", "glute_bridge_01"],
)
def test_one_brisk_real_bridge_is_one_rep_with_hold_too_short(samples, clip, start, end, top):
    a = analyze(clip, "glute_bridge", start, end)
    res = a.result
    assert res.rep_count == 1
    assert "hold_too_short" in res.reps[0].faults
    (hold,) = res.holds
    # the timed hold covers the labelled top, frame by frame: it runs from 155 deg (the spec's
    # 160 less 5), so it may start up to 0.5 s early in the rise and end up to 0.7 s late in a
    # slow lowering (glute_bridge_01 passes 155 deg at 8.0 s; the label ends its top at 7.3)
    t0, t1 = top[0] - start, top[1] - start
    assert t0 - 0.5 <= hold.start_s <= t0 + 0.1 and t1 - 0.1 <= hold.end_s <= t1 + 0.7
    assert hold.duration_s < 5.0
    assert "hold_too_short" in {f.check for f in res.faults}
    top_frames = [f.phase for f in a.frames if t0 + 0.1 <= f.t_s <= t1 - 0.1]
    assert top_frames and set(top_frames) == {"top"}


# ---- scenario 5: the clip starts mid-movement ----------------------------------------------
def test_pelvic_tilt_11_from_inside_its_first_tilt_keeps_the_rep(samples):
    # cut at 3.0 s: opens in tilt 1 (held 2.6-4.5 s), releases 4.5-5.3 s, neutral 5.3-8.0 s,
    # tilts again 8.0-9.2 s and holds to the end - the scenario 5 on a real person
    res = analyze("pelvic_tilt_11.mp4", "pelvic_tilt", 3.0).result
    assert res.rep_count == 1


def test_pelvic_tilt_01_from_the_peak_of_its_first_tilt_keeps_the_set(samples):
    # cut at 1.2 s, the peak of tilt 1 of 4 (peaks ~1.1, 3.2, 5.5, 7.6 s; neutral at the end):
    # 4 tilts are released after the cut. Which way this person's hip slides in a tilt is
    # read from the session, so the opening tilt reads as rest: the count may be one short.
    res = analyze("pelvic_tilt_01.mp4", "pelvic_tilt", 1.2).result
    assert 3 <= res.rep_count <= 4
    uncut = analyze("pelvic_tilt_01.mp4", "pelvic_tilt", 0.0).result
    assert uncut.rep_count == 4


@pytest.mark.parametrize(
    "clip,start,reps",
    [
        # cut at 2.0 s, on the top of bridge 1 (1.2-3.6 s): bridge 1 comes down, bridges 2
        # and 3 are whole, bridge 4 is still up at the end -> 3
        ("glute_bridge_11.mp4", 2.0, 3),
        # cut at 2.0 s, on the top of bridge 1 (1.6-2.8 s): bridge 1 and 2 come down, bridge 3
        # is still lowering at the end -> 2
        ("glute_bridge_01.mp4", 2.0, 2),
    ],
    ids=["glute_bridge_11", "glute_bridge_01"],
)
def test_bridge_clip_cut_at_a_top_counts_that_rep_without_judging_it(samples, clip, start, reps):
    res = analyze(clip, "glute_bridge", start).result
    assert res.rep_count == reps
    first, *rest = res.reps
    assert first.start_s == 0.0
    assert "hold_too_short" not in first.faults  # its start was not seen
    assert rest and all("hold_too_short" in r.faults for r in rest)  # seen whole: short
    assert any("under way when the stream started" in n for n in res.notes)


def test_knee_to_chest_11_cut_mid_hold_counts_it_without_judging_its_length(samples):
    # cut at 3.5 s: the left knee is held 2.2-6.7 s, so 3.2 s of it is left; both knees are
    # hugged from ~11 s with the other foot off the table (opposite_leg_lifted)
    res = analyze("knee_to_chest_11.mp4", "knee_to_chest", 3.5).result
    left = [h for h in res.holds if h.side == "left"]
    assert left and left[0].start_s < 0.5
    assert "hold_too_short" not in res.fault_ids
    assert "opposite_leg_lifted" in res.fault_ids
    uncut = analyze("knee_to_chest_11.mp4", "knee_to_chest", 0.0).result
    assert "hold_too_short" in uncut.fault_ids


# ---- issue 9, robustness: a camera on which the hip slides only along the body line ----------
def hip_across_pinned(track: PoseTrack, rest_s: float = 0.5) -> PoseTrack:
    """The track with each hip landmark's offset across its side's shoulder->knee line held at
    its median of the first ``rest_s`` s; its place along the line is kept frame by frame.

    This is what the pose model reports for pelvic_tilt_01 on its own video mirrored or
    rolled by 8 deg (bench/pixel_robustness.py): the hip point slides along the trunk-thigh
    line in each tilt, as on the original, but hardly toward it, so the shoulder-hip-knee
    angle swings 1.3-5.7 deg instead of 6.6-8.4."""
    rows = track.rows.copy()
    w, h = track.image_size
    image = rows[:, 2:101].reshape(len(rows), 33, 3)
    t = rows[:, 0] / 1000.0
    for sh, hp, kn in ((11, 23, 25), (12, 24, 26)):  # left, right (MediaPipe indices)
        s, p, k = (image[:, i, :2] * (w, h) for i in (sh, hp, kn))
        e = k - s
        n2 = (e**2).sum(axis=1)
        d = p - s
        along = (d * e).sum(axis=1) / n2
        across = (d[:, 1] * e[:, 0] - d[:, 0] * e[:, 1]) / n2
        rest = np.nanmedian(across[t < rest_s])
        perp = np.stack([-e[:, 1], e[:, 0]], axis=1)
        image[:, hp, :2] = (s + along[:, None] * e + rest * perp) / (w, h)
    rows[:, 2:101] = image.reshape(len(rows), 99)
    return PoseTrack(rows, track.image_size, track.fps, f"{track.source} (hip across pinned)")


def test_pelvic_tilts_are_found_when_the_hip_slides_only_along_the_body_line(samples):
    # pelvic_tilt_01: 4 tilts held 0.8-1.1 s each (labels: holds at 0.6-1.6, 2.9-3.8,
    # 5.1-5.9, 7.2-8.3 s). With the across-line move taken out, the hip angle swings by
    # about 2 deg, under any fixed floor that jitter could not pass, but the hip's slide
    # along the line is still many times its own rest jitter.
    track = hip_across_pinned(load_or_extract(SAMPLES / "pelvic_tilt_01.mp4",
                                              EstimatorOptions(model="full")))
    a = analyze_track(track, "pelvic_tilt")
    res = a.result
    assert res.rep_count == 4
    assert "hold_too_short" in res.fault_ids
    # each rep is one labelled tilt: it overlaps that tilt's labelled hold
    labelled = [(0.6, 1.6), (2.9, 3.8), (5.1, 5.9), (7.2, 8.3)]
    for rep, (t0, t1) in zip(res.reps, labelled, strict=True):
        assert rep.start_s < t1 and rep.end_s > t0
    angle = np.array([f.signals.get("tilt_angle", np.nan) for f in a.frames])
    assert np.nanpercentile(angle, 95) - np.nanpercentile(angle, 5) < 5.0
