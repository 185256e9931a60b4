"""Pixel-level robustness: the pose model run on mirrored and rolled video, then analysed.

The landmark-level suite (``formcheck.analysis.robustness``, run in the tests) moves landmarks the
model already found; this script flips or rotates the *pictures* (OpenCV, about the centre,
same canvas, black corners), runs the pose model on every transformed frame, and judges the
analysis with the criteria of ``formcheck evaluate``. It shows whether the model itself finds
the same body on a mirrored or tilted camera.

The transformed tracks are cached (``$FORMCHECK_CACHE_DIR/pixel``, keyed like the landmark
cache plus the variant), so only the first run pays for the model; a re-run with changed
analyzers takes seconds. Slow the first time: the model runs on every frame of every clip
once per variant.

    PYTHONPATH=src python bench/pixel_robustness.py --labels ../shared/sample_videos/labels.toml \\
        [--variant mirror --variant roll+8 --variant roll-8] [--exercise plank] [--clip plank_01.mp4]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from formcheck.analysis.evaluate import load_labels
from formcheck.analysis.pipeline import analyze_track
from formcheck.analysis.robustness import VARIANTS, Judgement, format_report, judge, variant_label
from formcheck.analysis.track import PoseTrack, cache_key, default_cache_dir, load_or_extract
from formcheck.core.pose import ROW_SIZE
from formcheck.io.estimator import EstimatorOptions, PoseEstimator
from formcheck.io.video import VideoFileSource

PIXEL_VARIANTS = ("mirror", "roll+8", "roll-8")


def transform_frame(rgb: np.ndarray, variant: str) -> np.ndarray:
    """The frame as the variant's camera would see it (uint8 RGB, same size)."""
    if variant == "mirror":
        return np.ascontiguousarray(rgb[:, ::-1])
    if variant.startswith("roll"):
        deg = float(variant[4:])
        h, w = rgb.shape[:2]
        # OpenCV: positive angle = counter-clockwise on screen, like robustness.roll
        m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
        return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    raise ValueError(f"unknown pixel variant {variant!r}; valid: {', '.join(PIXEL_VARIANTS)}")


def extract_variant(video: Path, variant: str, options: EstimatorOptions) -> PoseTrack:
    rows = []
    with VideoFileSource(video) as src, PoseEstimator(options) as est:
        size = (src.info.width, src.info.height)
        for frame in src:
            size = frame.size
            det = est.detect(transform_frame(frame.rgb, variant), frame.timestamp_ms)
            rows.append(det.main.as_row() if det.main is not None
                        else PoseTrack.empty_row(frame.timestamp_ms, 0))
        fps = src.info.fps
    return PoseTrack(np.array(rows).reshape(-1, ROW_SIZE), size, fps, str(video))


def variant_track(video: Path, variant: str, options: EstimatorOptions) -> PoseTrack:
    folder = default_cache_dir().parent / "pixel"
    path = folder / f"{video.stem}-{variant}-{cache_key(video, options)}.npz"
    if path.exists():
        return PoseTrack.load(path)
    track = extract_variant(video, variant, options)
    track.save(path)
    return track


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--labels", required=True)
    p.add_argument("--videos")
    p.add_argument("--variant", action="append", choices=PIXEL_VARIANTS)
    p.add_argument("--exercise", action="append")
    p.add_argument("--clip", action="append", help="only this clip file (repeatable)")
    p.add_argument("--model", choices=["lite", "full", "heavy"], default="full")
    p.add_argument("--shortest-first", action="store_true",
                   help="run the clips in order of length (a partial run covers the most clips)")
    p.add_argument("--cached-only", action="store_true",
                   help="judge only the variants already extracted (no model run)")
    args = p.parse_args(argv)
    labels = Path(args.labels)
    folder = Path(args.videos) if args.videos else labels.parent
    options = EstimatorOptions(model=args.model)
    variants = [v for v in VARIANTS if v.name in (args.variant or PIXEL_VARIANTS)]
    clips = [c for c in load_labels(labels)
             if (not args.exercise or c.exercise in args.exercise)
             and (not args.clip or c.file in args.clip)]
    if args.shortest_first:
        clips.sort(key=lambda c: len(load_or_extract(folder / c.file, options)))
    out: list[Judgement] = []
    for label in clips:
        video = folder / label.file
        key = cache_key(video, options)
        todo = [v for v in variants if not args.cached_only
                or (default_cache_dir().parent / "pixel" / f"{video.stem}-{v.name}-{key}.npz").exists()]
        if not todo:
            continue
        base = load_or_extract(video, options)
        out.append(judge(label, analyze_track(base, label.exercise).result))
        for v in todo:
            t0 = time.perf_counter()
            track = variant_track(video, v.name, options)
            res = analyze_track(track, label.exercise).result
            j = judge(variant_label(label, v), res, v.name, v.skip_checks, v.skip_faults)
            out.append(j)
            print(f"{label.file} {v.name}: {'held' if j.held else j.what_failed()} "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    print(format_report(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
