"""How wide a small posture change reads: tracked vs detected on every frame, full vs heavy.

    PYTHONPATH=src .venv/bin/python bench/bench_tracking_swing.py            # 3 clips
    PYTHONPATH=src .venv/bin/python bench/bench_tracking_swing.py --still    # + the cause

The analyzers judge a pelvic tilt by a swing of a few degrees and a slouch by the trunk's lean,
so what matters is not only the pixel error (bench/bench_tracking.py) but how wide such a
change reads. Per clip, one angle (5-frame mean) is measured four ways, each landmark track
through the landmark cache (``FORMCHECK_CACHE_DIR``): the full model tracking one person
(``num_poses=1``, the people check on), the full model with the person detector on every frame
(``num_poses=2``), and the heavy model both ways (the reference: two independent views).
Printed: the angle's range over the clip (p95 - p5) and its median inside a labelled window.

With ``--still`` it also shows where tracking's view comes from: one frame handed to each
landmarker again and again. The detector's answer does not move; the tracker's does, because
each frame's region of interest is cut around the previous frame's landmarks, and it drifts
for several frames to where that loop settles. It shows the same with timestamps 1000 s apart,
which make the One Euro filter that MediaPipe's Tasks graph puts behind a one-pose tracker in
VIDEO mode (min cutoff 0.05 Hz, not an option in the API) pass raw values: the drift is the
region-of-interest loop, not that filter.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FORMCHECK_SHARED", ROOT.parent / "shared"))
SAMPLES = SHARED / "sample_videos"

#: landmark indices (MediaPipe Pose): ear, shoulder, hip, knee per side
SIDE = {"left": (7, 11, 23, 25), "right": (8, 12, 24, 26)}
#: clip -> (angle, near side, (window start s, window end s), what the window is in the labels)
CLIPS = {
    "pelvic_tilt_11": ("shoulder-hip-knee", "left", (2.6, 4.5), "tilt 1 held"),
    "pelvic_tilt_01": ("shoulder-hip-knee", "right", (0.6, 1.6), "tilt 1 held"),
    "sitting_01": ("trunk lean", "right", (5.9, 7.6), "deepest slouch"),
}


def angle(track, kind: str, side: str) -> np.ndarray:
    """(T,) degrees: the shoulder-hip-knee angle, or the hip->shoulder line's lean from
    vertical (positive = toward the image's right, where sitting_01 faces)."""
    w, h = track.image_size
    p = track.rows[:, 2:101].reshape(-1, 33, 3)[:, :, :2] * np.array([w, h])
    _, s, hp, k = SIDE[side]
    if kind == "trunk lean":
        d = p[:, s] - p[:, hp]
        return np.degrees(np.arctan2(d[:, 0], -d[:, 1]))
    a, b = p[:, s] - p[:, hp], p[:, k] - p[:, hp]
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def mean5(x: np.ndarray) -> np.ndarray:
    out = np.convolve(np.nan_to_num(x), np.ones(5) / 5, mode="same")
    out[~np.isfinite(x)] = np.nan
    return out


def still(clip: Path, frame_index: int, n: int = 12) -> None:
    """One frame n times to each landmarker: the hip's x (px) after each call."""
    import av

    from formcheck.io.estimator import EstimatorOptions, PoseEstimator

    with av.open(str(clip)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == frame_index:
                rgb = f.to_ndarray(format="rgb24")
                break
    w = rgb.shape[1]
    runs = [("detector on every frame (num_poses=2)", 2, 33.3),
            ("tracking (num_poses=1), frames 33 ms apart", 1, 33.3),
            ("tracking, frames 1000 s apart (MediaPipe's filter passes raw values)", 1, 1e6)]
    print(f"\n{clip.name} frame {frame_index} handed over {n} times: right hip x (px)")
    for label, poses, dt in runs:
        with PoseEstimator(EstimatorOptions(num_poses=poses, people_check_ms=0)) as est:
            xs = []
            for i in range(n):
                m = est.detect(rgb, i * dt).main
                xs.append(m.image[24, 0] * w if m is not None else np.nan)
        print(f"  {label:<70} " + " ".join(f"{x:4.0f}" for x in xs))


def unfiltered(name: str):
    """The full model tracking, each frame 1000 s after the last (MediaPipe's filter then
    passes raw values); the rows keep the clip's own timestamps."""
    from formcheck.analysis.track import PoseTrack
    from formcheck.io.estimator import EstimatorOptions, PoseEstimator
    from formcheck.io.video import VideoFileSource

    rows = []
    with VideoFileSource(SAMPLES / f"{name}.mp4") as src, \
            PoseEstimator(EstimatorOptions(num_poses=1, people_check_ms=0)) as est:
        for frame in src:
            m = est.detect(frame.rgb, frame.index * 1e6).main
            row = PoseTrack.empty_row(frame.timestamp_ms) if m is None else m.as_row()
            row[0] = frame.timestamp_ms
            rows.append(row)
        size = (src.info.width, src.info.height)
        fps = src.info.fps
    return PoseTrack(np.array(rows), size, fps)


def cell(track, name: str) -> str:
    kind, side, (t0, t1), _ = CLIPS[name]
    a = mean5(angle(track, kind, side))
    t = track.timestamps_ms / 1000.0
    lo, hi = np.nanpercentile(a, [5, 95])
    win = np.nanmedian(a[(t >= t0) & (t <= t1)])
    return f"range {hi - lo:4.1f} win {win:6.1f}"


def main() -> int:
    from formcheck.analysis.track import load_or_extract
    from formcheck.io.estimator import EstimatorOptions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=list(CLIPS), choices=list(CLIPS))
    ap.add_argument("--still", action="store_true", help="also the repeated-frame test")
    args = ap.parse_args()
    variants = {
        "full tracked": EstimatorOptions(model="full", num_poses=1),
        "full detected": EstimatorOptions(model="full", num_poses=2),
        "heavy tracked": EstimatorOptions(model="heavy", num_poses=1, people_check_ms=0),
        "heavy detected": EstimatorOptions(model="heavy", num_poses=2),
    }
    print(f"load average {os.getloadavg()[0]:.2f}; angle = 5-frame mean; range = p95 - p5 "
          "over the clip; window = median inside the labelled window")
    print(f"{'clip':<15} {'angle':<18} " + " ".join(f"{v:>22}" for v in variants))
    for name in args.clips:
        kind, _, (t0, t1), what = CLIPS[name]
        cells = [cell(load_or_extract(SAMPLES / f"{name}.mp4", o), name)
                 for o in variants.values()]
        print(f"{name:<15} {kind:<18} " + " ".join(f"{c:>22}" for c in cells)
              + f"   (window {t0}-{t1} s: {what})")
    if args.still:
        still(SAMPLES / "sitting_01.mp4", 360)
        print("\nfull tracked with MediaPipe's filter passing raw values (frames 1000 s apart):")
        for name in args.clips:
            print(f"  {name:<15} {cell(unfiltered(name), name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
