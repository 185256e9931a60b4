"""Benchmark of the analyze pipeline: per-stage cost and end-to-end speed vs the bare model.

    .venv/bin/python bench/bench_pipeline.py                       # lite and full, 2 repeats
    .venv/bin/python bench/bench_pipeline.py --models full --repeat 3

For each model variant, in one run on the same clip:

* stages, each timed alone (ms per frame, median over frames):
  decode (PyAV -> RGB), inference (the model on pre-decoded frames = the *bare model*:
  ``num_poses=1`` tracking, without the people check),
  smoothing (One Euro), analysis (the exercise analyzer), drawing (skeleton + status panel),
  encoding (H.264 as the annotated video is written: libx264, one thread);
* end to end: ``pipeline.analyze_video`` as ``formcheck analyze --full-rate`` runs it (decode thread,
  model + analysis, drawing + encoding thread), with and without ``--out-video``, each in a
  fresh child process so its peak RSS (VmHWM) is its own. Its fps counts the whole call
  (opening the clip, loading the model, every frame, finishing the video) over all frames;
  importing mediapipe (about 1.7 s, once per process) is reported apart as start-up;
* ratio = end-to-end fps / bare-model fps. Target: >= 0.90 for full with --out-video, peak
  RSS < 600 MB;
* CPU ms/frame (all threads of the process): unlike wall-clock fps it hardly moves when
  other programs load the machine, so it shows the pipeline's own overhead over the model.

The machine is shared (other processes use the CPUs too), so each measurement is repeated
(``--repeat``) and the best is reported next to the median.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared" / "sample_videos" / "glute_bridge_01.mp4"


def cpu_s() -> float:
    """CPU time (user + system) of this process, all threads, seconds."""
    t = os.times()
    return t.user + t.system


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# ---- child: one end-to-end analyze_video call ------------------------------------------------

def vm_hwm_mb() -> float:
    """Peak resident memory of this process (VmHWM; unlike ru_maxrss it is not inherited
    from the parent across fork + exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return peak_rss_mb()


def child_e2e(model: str, clip: str, exercise: str, with_video: bool) -> dict:
    t0 = time.perf_counter()
    import mediapipe.tasks.python.vision  # noqa: F401  (process start-up, timed apart)

    from formcheck.analysis.pipeline import AnalysisOptions, analyze_video
    from formcheck.io.estimator import EstimatorOptions
    from formcheck.render.annotated_video import AnnotatedVideoWriter

    import_s = time.perf_counter() - t0
    c0 = cpu_s()
    # every frame, so the per-frame figures compare with the bare model's
    opts = AnalysisOptions(exercise=exercise,
                           estimator=EstimatorOptions(model=model, model_fps=None))
    marks: list[float] = []

    def progress(done: int, total: int | None) -> None:
        marks.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "annotated.mp4") if with_video else None
        t0 = time.perf_counter()
        writer = partial(AnnotatedVideoWriter, out) if out else None
        analysis = analyze_video(clip, opts, video_writer=writer, on_progress=progress)
        wall = time.perf_counter() - t0
        cpu = cpu_s() - c0
        size = os.path.getsize(out) if out else 0
    n = analysis.result.frames
    return {"frames": n, "wall_s": wall, "fps": n / wall, "cpu_ms_per_frame": cpu / n * 1000,
            "steady_fps": (len(marks) - 1) / (marks[-1] - marks[0]),
            "first_frame_s": marks[0] - t0, "import_s": import_s,
            "peak_rss_mb": vm_hwm_mb(), "video_bytes": size}


def run_child(model: str, clip: Path, exercise: str, with_video: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", model, str(clip), exercise,
           "video" if with_video else "novideo"]
    env = dict(os.environ, GLOG_minloglevel="2")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"child failed: {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---- stages, each alone ------------------------------------------------------------------------

def decode_all(clip: Path):
    from formcheck.io.video import VideoFileSource

    frames, times = [], []
    with VideoFileSource(clip) as src:
        it = iter(src)
        while True:
            t0 = time.perf_counter()
            try:
                fr = next(it)
            except StopIteration:
                break
            times.append(time.perf_counter() - t0)
            frames.append(fr)
        fps = src.info.fps
    return frames, times, fps


def decode_only(clip: Path) -> list[float]:
    """Decode + RGB conversion per frame, in this thread (no reader-thread overlap)."""
    import av

    times = []
    with av.open(str(clip)) as c:
        s = c.streams.video[0]
        it = c.decode(s)
        while True:
            t0 = time.perf_counter()
            try:
                f = next(it)
            except StopIteration:
                break
            f.to_ndarray(format="rgb24")
            times.append(time.perf_counter() - t0)
    return times


def bare_model(frames, model: str):
    from formcheck.io.estimator import EstimatorOptions, PoseEstimator

    poses, times = [], []
    # the tracker alone (num_poses=1), without formcheck's once-a-second people check
    with PoseEstimator(EstimatorOptions(model=model, people_check_ms=0)) as est:
        t_all, c0 = time.perf_counter(), cpu_s()
        for fr in frames:
            t0 = time.perf_counter()
            det = est.detect(fr.rgb, fr.timestamp_ms)
            times.append(time.perf_counter() - t0)
            poses.append(det.main)
        wall, cpu = time.perf_counter() - t_all, cpu_s() - c0
    return poses, times, len(frames) / wall, cpu / len(frames) * 1000


def stage_times(frames, poses, exercise: str, fps: float):
    from formcheck.analysis.smoothing import PoseSmoother
    from formcheck.core.checks import EXERCISE_NAMES
    from formcheck.exercises import make_analyzer
    from formcheck.io.video import VideoWriter
    from formcheck.render.annotated_video import AnnotatedVideoWriter
    from formcheck.render.overlay import SkeletonAnnotator, StatusAnnotator

    sm = PoseSmoother()
    t_smooth, smoothed = [], []
    for p in poses:
        t0 = time.perf_counter()
        smoothed.append(sm.update(p))
        t_smooth.append(time.perf_counter() - t0)
    an = make_analyzer(exercise)
    t_an, fbs = [], []
    for fr, p in zip(frames, smoothed):
        t0 = time.perf_counter()
        fbs.append(an.update(p, fr.timestamp_ms))
        t_an.append(time.perf_counter() - t0)
    an.result()
    skel, status = SkeletonAnnotator(), StatusAnnotator(EXERCISE_NAMES.get(exercise, exercise))
    t_draw, drawn = [], []
    for fr, p, fb in zip(frames, smoothed, fbs):
        img = fr.rgb.copy()
        t0 = time.perf_counter()
        skel.annotate(img, p, fb)
        status.annotate(img, fb)
        t_draw.append(time.perf_counter() - t0)
        drawn.append(img)
    t_enc = []
    with tempfile.TemporaryDirectory() as td:
        h, w = drawn[0].shape[:2]
        with VideoWriter(os.path.join(td, "x.mp4"), fps, (w, h), crf=AnnotatedVideoWriter.CRF,
                         preset=AnnotatedVideoWriter.PRESET) as wr:
            for img in drawn:
                t0 = time.perf_counter()
                wr.write(img)
                t_enc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
        t_enc[-1] += time.perf_counter() - t0  # flushing the encoder's delayed frames
    return {"smoothing": t_smooth, "analysis": t_an, "drawing": t_draw, "encoding": t_enc}


def runs(values) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def ms(times) -> str:
    return f"{statistics.median(times) * 1000:6.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--models", nargs="+", default=["lite", "full"],
                    choices=["lite", "full", "heavy"])
    ap.add_argument("--exercise", default="glute_bridge")
    ap.add_argument("--repeat", type=int, default=2, help="repeat each timing, report the best")
    ap.add_argument("--child", nargs=4, metavar=("MODEL", "CLIP", "EXERCISE", "VIDEO"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        model, clip, exercise, video = args.child
        print(json.dumps(child_e2e(model, clip, exercise, video == "video")))
        return 0

    os.environ.setdefault("GLOG_minloglevel", "2")
    if not args.clip.is_file():
        print(f"no clip at {args.clip}", file=sys.stderr)
        return 2
    print(f"clip {args.clip.name}, exercise {args.exercise}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    frames, _, fps = decode_all(args.clip)
    h, w = frames[0].rgb.shape[:2]
    print(f"{len(frames)} frames {w}x{h} at {fps:.2f} fps")
    t_dec = min((decode_only(args.clip) for _ in range(args.repeat)), key=sum)
    print(f"decode (PyAV + RGB, one thread): {ms(t_dec)} ms/frame "
          f"({len(t_dec) / sum(t_dec):.0f} fps)")
    rows = []
    for model in args.models:
        bare, e2e_v, e2e_n = [], [], []
        best_stage = None
        for _ in range(args.repeat):
            poses, t_inf, fps_bare, cpu_bare = bare_model(frames, model)
            bare.append((fps_bare, t_inf, cpu_bare))
            st = stage_times(frames, poses, args.exercise, fps)
            if best_stage is None or sum(map(sum, st.values())) < sum(map(sum, best_stage.values())):
                best_stage = st
            e2e_v.append(run_child(model, args.clip, args.exercise, True))
            e2e_n.append(run_child(model, args.clip, args.exercise, False))
        fb = max(b[0] for b in bare)
        t_inf = max(bare, key=lambda b: b[0])[1]
        bv = max(e2e_v, key=lambda d: d["fps"])
        bn = max(e2e_n, key=lambda d: d["fps"])
        print(f"\n== model {model} ==")
        print(f"  per stage, ms/frame (median): decode {ms(t_dec)} | inference {ms(t_inf)} | "
              f"smoothing {ms(best_stage['smoothing'])} | analysis {ms(best_stage['analysis'])} | "
              f"drawing {ms(best_stage['drawing'])} | encoding {ms(best_stage['encoding'])}")
        cb = min(b[2] for b in bare)
        print(f"  bare model (pre-decoded frames):  {fb:6.1f} fps  CPU {cb:.1f} ms/frame  "
              f"(runs: {runs([b[0] for b in bare])})")
        for label, best, allr in (("analyze, --out-video (e2e):", bv, e2e_v),
                                  ("analyze, JSON only (e2e):  ", bn, e2e_n)):
            print(f"  {label}       {best['fps']:6.1f} fps  = {best['fps'] / fb:.0%} of bare  "
                  f"(steady {best['steady_fps']:.1f} fps, first frame after "
                  f"{best['first_frame_s']:.2f} s)  CPU "
                  f"{min(d['cpu_ms_per_frame'] for d in allr):.1f} ms/frame  "
                  f"peak RSS {best['peak_rss_mb']:.0f} MB  "
                  f"(runs: {runs([d['fps'] for d in allr])})")
        print(f"  start-up (import mediapipe + formcheck): {bv['import_s']:.2f} s per process")
        rows.append((model, fb, bv, bn))
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    full = [r for r in rows if r[0] == "full"]
    if full:
        _, fb, bv, _ = full[0]
        ok = bv["fps"] >= 0.9 * fb and bv["peak_rss_mb"] < 600
        print(f"target (full, e2e with video >= 90% of bare, RSS < 600 MB): "
              f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
