"""formcheck against the bare model and the peers' legacy-API baseline, as whole processes.

    .venv/bin/python bench/bench_peers.py                        # glute_bridge_01, best of 2
    .venv/bin/python bench/bench_peers.py --clips glute_bridge_01 plank_04 --repeat 3

In one run, on the same clip(s), each command is started as its own process and timed from
start to exit (``os.wait4``: wall seconds, CPU seconds of all its threads, peak RSS), best of
``--repeat`` (the run with the shortest wall time):

* ``formcheck analyze --json`` with default settings (the person detector on every frame the
  model looks at, about 15 of them per second of video), with ``--full-rate`` (every frame) and
  with ``--track`` (one person tracked, every frame), the default and ``--track`` also with
  ``--out-video``;
* the bare Tasks model (mediapipe 1.2.x, the project's environment): OpenCV decode + BGR->RGB +
  ``PoseLandmarker.detect_for_video``, ``num_poses=1`` (tracking) and ``num_poses=2``;
* the legacy API a peer project uses: mediapipe 0.10.14 ``mp.solutions.pose.Pose(
  model_complexity=1)`` (decode + detect only), a peer form checker on it (landmarks + angle
  rules) and the same with drawing and mp4v video output (bench/peers/legacy_peer.py).

mediapipe 0.10.14 is not a formcheck dependency (its ``mp.solutions`` is gone from current
releases and it needs numpy<2): this script installs it with pip into a throwaway virtual
environment under ``--cache`` (default ``~/.cache/formcheck-bench``) on first use.

frames/s = the clip's frames / wall seconds of the whole process (start-up included), so
every row answers "how long until the answer for this clip". The ratios compare each row with
the faster legacy peer checker and with the bare tracking model. The machine may be shared:
the load average is printed with the table; rerun when it is low before quoting figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FORMCHECK_SHARED", ROOT.parent / "shared"))
PEERS = Path(__file__).resolve().parent / "peers"
LEGACY = ("mediapipe==0.10.14", "numpy<2")


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    rss_mb: float
    out: str


def timed(cmd: list[str], env: dict | None = None) -> Run:
    """Run ``cmd`` to completion; its own wall time, CPU time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        # wait4: this child's own rusage (RUSAGE_CHILDREN would mix every child so far)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, why = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{why[-2000:]}")
    return Run(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, text)


def legacy_python(cache: Path) -> Path | None:
    """The throwaway venv's python with mediapipe 0.10.14 (created on first use)."""
    venv = cache / "legacy-mediapipe-0.10.14"
    py = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.exists() and py.exists():
        return py
    if sys.version_info >= (3, 13):
        print(f"mediapipe 0.10.14 has no wheel for Python {sys.version_info[0]}."
              f"{sys.version_info[1]}: legacy rows skipped", file=sys.stderr)
        return None
    print(f"installing {' '.join(LEGACY)} into {venv} (once) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *LEGACY], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print(f"pip could not install {' '.join(LEGACY)}: legacy rows skipped\n"
              f"{r.stderr[-1500:]}", file=sys.stderr)
        return None
    stamp.write_text(" ".join(LEGACY) + "\n")
    return py


def has_flag(flag: str) -> bool:
    r = subprocess.run([sys.executable, "-m", "formcheck.cli", "analyze", "--help"],
                       capture_output=True, text=True, check=False)
    return flag in r.stdout


def frame_count(clip: Path) -> int:
    import av

    with av.open(str(clip)) as c:
        return sum(1 for _ in c.demux(video=0) if _.size)


def commands(clip: Path, exercise: str, model: Path, tmp: Path, legacy: Path | None):
    fc = [sys.executable, "-m", "formcheck.cli", "analyze", str(clip), "--exercise", exercise,
          "--quiet", "--json", str(tmp / "r.json")]
    video = ["--out-video", str(tmp / "a.mp4")]
    rows = [("formcheck analyze --json (default)", fc),
            ("formcheck analyze --json --out-video", [*fc, *video])]
    if has_flag("--full-rate"):
        rows.append(("formcheck analyze --json --full-rate", [*fc, "--full-rate"]))
    if has_flag("--track"):
        rows.append(("formcheck analyze --json --track", [*fc, "--track"]))
        rows.append(("formcheck analyze --json --track --out-video", [*fc, "--track", *video]))
    bare = [sys.executable, str(PEERS / "tasks_bare.py"), str(clip), str(model)]
    rows.append(("bare Tasks model, num_poses=1 (tracking)", [*bare, "1"]))
    rows.append(("bare Tasks model, num_poses=2", [*bare, "2"]))
    if legacy is not None:
        peer = [str(legacy), str(PEERS / "legacy_peer.py"), str(clip)]
        rows.append(("legacy Pose(model_complexity=1), detect only", [*peer, "detect"]))
        rows.append(("legacy peer checker (angle rules)", [*peer, "rules"]))
        rows.append(("legacy peer checker + drawing + mp4v video",
                     [*peer, "video", str(tmp / "peer.mp4")]))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=["glute_bridge_01"],
                    help="clip names in sample_videos (exercise = name without _NN)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "formcheck-bench")
    ap.add_argument("--only", nargs="+", metavar="WORD",
                    help="only rows whose label contains one of these words")
    args = ap.parse_args()
    os.environ.setdefault("GLOG_minloglevel", "2")
    from formcheck.io.model_download import resolve_model

    model = resolve_model("full")
    legacy = legacy_python(args.cache)
    env = dict(os.environ, GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    print(f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; best of {args.repeat}")
    for name in args.clips:
        clip = SHARED / "sample_videos" / f"{name}.mp4"
        exercise = name.rsplit("_", 1)[0]
        n = frame_count(clip)
        load0 = os.getloadavg()
        results = []
        with tempfile.TemporaryDirectory(prefix="formcheck-peers-") as td:
            rows = commands(clip, exercise, model, Path(td), legacy)
            if args.only:
                rows = [r for r in rows if any(w in r[0] for w in args.only)]
            for label, cmd in rows:
                runs = [timed(cmd, env) for _ in range(args.repeat)]
                best = min(runs, key=lambda r: r.wall_s)
                results.append((label, best, [r.wall_s for r in runs]))
        load1 = os.getloadavg()
        print(f"\n{clip.name}: {n} frames; load average {load0[0]:.2f} at start, "
              f"{load1[0]:.2f} at end (1-min)")
        peer = [r for lbl, r, _ in results if lbl.startswith("legacy peer")]
        fastest_peer = min((r.wall_s for r in peer), default=None)
        bare = next((r for lbl, r, _ in results if "num_poses=1" in lbl), None)
        other = next((r for lbl, r, _ in results if "num_poses=2" in lbl), None)
        print("| command | frames/s | CPU s | peak RSS MB | vs faster legacy peer | "
              "vs bare model, same detection | runs (wall s) |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for label, r, walls in results:
            fps = n / r.wall_s
            vp = f"{fastest_peer / r.wall_s:.2f}x" if fastest_peer else "-"
            # each formcheck row against the bare model that finds people the same way
            ref = bare if "--track" in label else other
            vb = f"{ref.wall_s / r.wall_s:.0%}" if ref and label.startswith("formcheck") else "-"
            print(f"| {label} | {fps:.1f} | {r.cpu_s:.1f} | {r.rss_mb:.0f} | {vp} | {vb} | "
                  f"{', '.join(f'{w:.1f}' for w in walls)} |")
        doc = next((json.loads(r.out.strip().splitlines()[-1]) for lbl, r, _ in results
                    if lbl.startswith("legacy peer checker (")), None)
        if doc:
            print(f"(legacy peer checker counted {doc['reps']} reps in {doc['frames']} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
