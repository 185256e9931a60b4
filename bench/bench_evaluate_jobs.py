"""`formcheck evaluate --jobs N` speed: wall time of --jobs 1 and --jobs 2 on the labelled clips
with a warm landmark cache, the speed-up, and whether the tables are byte-identical.

    FORMCHECK_CACHE_DIR=/work/cache .venv/bin/python bench/bench_evaluate_jobs.py \
        [--labels ../shared/sample_videos/labels.toml] [--jobs 1 2] [--repeat 2]

Each run is a fresh `python -m formcheck.cli evaluate` process (start-up and worker spawn
included), runs alternate between the job counts, and the first, untimed run warms the cache
(it extracts any clip not cached yet). Each line prints the CPU seconds the run used, the
average number of cores it got (CPU s / wall s) and the 1-minute load average before it: the
machine is shared, so a speed-up below 2x with fewer than 2 cores to spare says so.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(labels: str, jobs: int) -> tuple[float, float, str]:
    cmd = [sys.executable, "-m", "formcheck.cli", "evaluate", "--labels", labels,
           "--jobs", str(jobs)]
    c0, t0 = _child_cpu(), time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - c0
    if out.returncode not in (0, 1):
        raise SystemExit(f"evaluate failed ({out.returncode}): {out.stderr[-2000:]}")
    return wall, cpu, out.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default=str(ROOT.parent / "shared" / "sample_videos" / "labels.toml"))
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"warming the cache: evaluate --jobs 1 ({os.environ.get('FORMCHECK_CACHE_DIR', '.cache')})")
    run(args.labels, 1)
    walls: dict[int, list[float]] = {j: [] for j in args.jobs}
    tables: dict[int, str] = {}
    for i in range(args.repeat):
        for j in args.jobs:
            load = os.getloadavg()[0]
            wall, cpu, table = run(args.labels, j)
            walls[j].append(wall)
            tables.setdefault(j, table)
            same = "same table" if table == tables[args.jobs[0]] else "TABLE DIFFERS"
            print(f"run {i + 1} --jobs {j}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, "
                  f"{cpu / wall:.2f} cores, load before {load:.1f}, {same}", flush=True)
    base = min(walls[args.jobs[0]])
    for j in args.jobs[1:]:
        print(f"--jobs {j} vs --jobs {args.jobs[0]} (best of {args.repeat}): "
              f"{base / min(walls[j]):.2f}x  ({base:.1f} s -> {min(walls[j]):.1f} s)")
    clips = tables[args.jobs[0]].strip().splitlines()[-1]
    print(f"summary line: {clips}")
    return 0 if all(t == tables[args.jobs[0]] for t in tables.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
