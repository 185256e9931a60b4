"""Landmark quality: one tracked person (the default) vs the person detector on every frame.

    PYTHONPATH=src .venv/bin/python bench/bench_tracking.py            # a clip per exercise
    PYTHONPATH=src .venv/bin/python bench/bench_tracking.py --all      # every labelled clip

For each clip, three landmark tracks (full model unless said, VIDEO mode), each through the
landmark cache (``FORMCHECK_CACHE_DIR``), so a second run costs nothing:

* ``tracking``: ``num_poses=1`` with the people check about once a second (``--track``);
* ``per-frame``: ``num_poses=2`` - the person detector runs on every frame (the default);
* ``reference``: the heavy model, ``num_poses=1``, no people check. It tracks too, so it
  shares tracking's way of seeing a posture. Read the error column as "closer to the heavy
  tracker", not as "closer to the truth"; the jitter column needs no reference.
  bench/bench_tracking_swing.py compares how wide small posture changes read, with the heavy
  model both tracked and detected on every frame.

Printed per clip: median pixel error of 10 body joints (shoulders, elbows, hips, knees,
ankles) against the reference, over the frames where both found the person; jitter = median
length of the frame-to-frame second difference of the same joints (pixels; needs no
reference, lower is steadier); frames where the person was found; frames where more than one
person was reported. The last line sums all clips (medians over all joint-frames).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FORMCHECK_SHARED", ROOT.parent / "shared"))
SAMPLES = SHARED / "sample_videos"
#: one clip per exercise (and the three in NOTES.md), so a default run takes minutes
DEFAULT_CLIPS = ("glute_bridge_01", "plank_04", "bird_dog_02", "cat_cow_11", "knee_to_chest_11",
                 "pelvic_tilt_01", "lifting_14", "sitting_01")
JOINTS = (11, 12, 13, 14, 23, 24, 25, 26, 27, 28)


def xy_px(track) -> np.ndarray:
    """(T, len(JOINTS), 2) pixel positions (NaN where nobody was found)."""
    w, h = track.image_size
    img = track.rows[:, 2:101].reshape(-1, 33, 3)[:, JOINTS, :2]
    return img * np.array([w, h])


def jitter(p: np.ndarray) -> np.ndarray:
    """Lengths of p[t+1] - 2 p[t] + p[t-1] (pixels), over frames found three times in a row."""
    d2 = p[2:] - 2 * p[1:-1] + p[:-2]
    n = np.linalg.norm(d2, axis=-1).ravel()
    return n[np.isfinite(n)]


def error(p: np.ndarray, ref: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(p - ref, axis=-1).ravel()
    return n[np.isfinite(n)]


def main() -> int:
    from formcheck.analysis.track import load_or_extract
    from formcheck.io.estimator import EstimatorOptions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="every clip in sample_videos")
    ap.add_argument("--clips", nargs="+", help="clip names (without .mp4)")
    ap.add_argument("--model", default="full", choices=["lite", "full"])
    args = ap.parse_args()
    if args.all:
        clips = sorted(p.stem for p in SAMPLES.glob("*.mp4"))
    else:
        clips = args.clips or list(DEFAULT_CLIPS)
    variants = {
        "tracking": EstimatorOptions(model=args.model, num_poses=1),
        "per-frame": EstimatorOptions(model=args.model, num_poses=2),
        "reference": EstimatorOptions(model="heavy", num_poses=1, people_check_ms=0),
    }
    print(f"model {args.model} vs heavy reference; {len(clips)} clips; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'clip':<18} {'frames':>6} | {'tracking err/jit px':>19} {'found':>5} {'multi':>5} | "
          f"{'per-frame err/jit px':>20} {'found':>5} {'multi':>5}")
    allv: dict[str, dict[str, list]] = {k: {"err": [], "jit": []} for k in ("tracking", "per-frame")}
    t0 = time.perf_counter()
    for name in clips:  # the slow reference first (heavy model, about 3x the full one)
        load_or_extract(SAMPLES / f"{name}.mp4", variants["reference"])
    for name in clips:
        clip = SAMPLES / f"{name}.mp4"
        tracks = {k: load_or_extract(clip, o) for k, o in variants.items()}
        ref = xy_px(tracks["reference"])
        cells = []
        for k in ("tracking", "per-frame"):
            tr = tracks[k]
            p = xy_px(tr)
            e, j = error(p, ref), jitter(p)
            allv[k]["err"].append(e)
            allv[k]["jit"].append(j)
            med_e = np.median(e) if len(e) else np.nan
            med_j = np.median(j) if len(j) else np.nan
            multi = int(np.sum(np.nan_to_num(tr.rows[:, 1]) > 1))
            cells.append(f"{med_e:9.1f} / {med_j:5.1f}    {int(tr.found.sum()):>5} {multi:>5}")
        print(f"{name:<18} {len(ref):>6} | {cells[0]} | {cells[1]}")
    cells = []
    for k in ("tracking", "per-frame"):
        e = np.concatenate(allv[k]["err"])
        j = np.concatenate(allv[k]["jit"])
        cells.append(f"{np.median(e):9.1f} / {np.median(j):5.1f}    {'':>5} {'':>5}")
    print(f"{'all clips':<18} {'':>6} | {cells[0]} | {cells[1]}")
    print(f"({time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} at end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
