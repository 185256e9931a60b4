"""Batch throughput: clips/s and frames/s with --jobs 1 and --jobs 2, and the speed-up.

    FORMCHECK_CACHE_DIR=/work/main/.cache .venv/bin/python bench/bench_batch.py \
        [--videos ../shared/sample_videos] [--exercise auto] [--jobs 1 2] [--model full]

Each run scores every clip from scratch into a fresh temporary folder (no resume), through
the same ``run_batch`` as ``formcheck batch`` (spawned worker processes, full pose model).
Each run also gets an empty landmark cache (``FORMCHECK_CACHE_DIR``), so the pose model really
runs on every frame; ``--cached`` keeps the caller's cache instead (analysis only).
Wall time includes starting the workers. Frames are the clips' decoded frames (from the JSON
documents). The numbers depend on what else the machine's cores are doing: each line also
prints the CPU time per frame and the average number of cores the batch got (CPU seconds of
the workers / wall seconds) with the load average, so a run that had to share the cores shows
it. Say so when quoting them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    from formcheck.batch.runner import ClipOptions, run_batch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", default=str(ROOT.parent / "shared" / "sample_videos"))
    ap.add_argument("--exercise", default="auto")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--model", default="full", choices=["lite", "full", "heavy"])
    ap.add_argument("--backend", default="local", choices=["local", "dask"])
    ap.add_argument("--cached", action="store_true",
                    help="use the existing landmark cache (measures analysis without the model)")
    args = ap.parse_args(argv)

    print(f"cpus: {os.cpu_count()}  videos: {args.videos}  exercise: {args.exercise}  "
          f"model: {args.model}  backend: {args.backend}  "
          f"landmark cache: {'kept' if args.cached else 'empty per run (model runs)'}")
    rates = {}
    for jobs in args.jobs:
        with tempfile.TemporaryDirectory(prefix="formcheck-bench-") as tmp:
            if not args.cached:  # spawned workers inherit this: landmarks are extracted anew
                os.environ["FORMCHECK_CACHE_DIR"] = str(Path(tmp) / "cache")
            cpu0 = _cpu_s()
            load0 = os.getloadavg()[0]
            t0 = time.perf_counter()
            s = run_batch([args.videos], tmp, ClipOptions(args.exercise, model=args.model),
                          jobs=jobs, backend=args.backend, report=False)
            wall = time.perf_counter() - t0
            cpu = _cpu_s() - cpu0
            load1 = os.getloadavg()[0]
            frames = sum(json.loads((Path(tmp) / f"{r['clip']}.json").read_text())["frames"]
                         for r in s.rows if r["status"] != "error")
        n = len(s.rows)
        rates[jobs] = wall
        print(f"--jobs {jobs}: {n} clips ({len(s.errors)} errors), {frames} frames in "
              f"{wall:.1f} s -> {n / wall:.2f} clips/s, {frames / wall:.1f} frames/s; "
              f"CPU {1000 * cpu / max(frames, 1):.1f} ms/frame, {cpu / wall:.2f} cores busy on "
              f"average (load average {load0:.1f} before, {load1:.1f} after)")
    if 1 in rates and len(rates) > 1:
        for jobs, wall in rates.items():
            if jobs != 1:
                print(f"speed-up --jobs {jobs} vs --jobs 1: {rates[1] / wall:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
