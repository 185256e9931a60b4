"""The ``formcheck`` command line.

Settings flow explicitly: flags -> option dataclasses -> constructors. Errors a user can fix
(missing file, unreadable video, no model) are one clear line on stderr and exit status 2;
nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from formcheck import __version__
from formcheck.core.checks import DISCLAIMER, EXERCISE_IDS
from formcheck.core.errors import FormcheckError
from formcheck.io.inputs import check_local_file
from formcheck.io.outputs import (
    NewFolders,
    check_distinct,
    check_output_file,
    write_atomic,
)

if TYPE_CHECKING:
    from formcheck.analysis.pipeline import AnalysisOptions
    from formcheck.io.assets import FetchReport
    from formcheck.io.estimator import EstimatorOptions

EXIT_USAGE = 2


class UserError(FormcheckError):
    """An error the user can fix; printed as one line without a traceback."""


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=["lite", "full", "heavy"], default="full",
                   help="pose model variant (default: full)")
    p.add_argument("--model-path", metavar="FILE",
                   help="explicit pose_landmarker .task file (overrides --model lookup)")


def _add_rate_args(p: argparse.ArgumentParser) -> None:
    from formcheck.io.estimator import RECORDED_MODEL_FPS

    p.add_argument("--track", action="store_true",
                   help="track one person instead of detecting people on every frame: about "
                   "1.45x faster and steadier, but it reads small posture changes smaller (see "
                   "the README); others in view are still looked for once a second")
    p.add_argument("--full-rate", action="store_true",
                   help="run the pose model on every frame (default: about "
                   f"{RECORDED_MODEL_FPS:g} frames per second of video, the same answers on the "
                   "labelled clips; with --track every frame; an annotated video still has "
                   "every frame)")
    p.add_argument("--model-fps", type=float, default=None, metavar="FPS",
                   help="run the pose model on about this many frames per second of video")


def estimator_options(args: argparse.Namespace) -> EstimatorOptions:
    """EstimatorOptions from --model, --model-path, --track, --full-rate and --model-fps
    (neither: the recorded-video default rate, see :meth:`EstimatorOptions.for_recorded_video`)."""
    from dataclasses import replace

    from formcheck.io.estimator import EstimatorOptions

    est = EstimatorOptions(model=args.model, model_path=getattr(args, "model_path", None))
    if getattr(args, "track", False):
        est = replace(est, num_poses=1)
    if getattr(args, "full_rate", False):
        return replace(est, model_fps=None)
    fps = getattr(args, "model_fps", None)
    if fps is not None:
        if not fps > 0:
            raise UserError(f"--model-fps must be > 0, not {fps:g}")
        return replace(est, model_fps=fps)
    return est.for_recorded_video()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` a command's name, the parsers that command
    needs (the start-up of `formcheck analyze` then skips importing the live front end)."""
    parser = argparse.ArgumentParser(
        prog="formcheck",
        description="Camera coach for low back pain exercises: counts reps, times holds and "
        "says what to fix. " + DISCLAIMER,
    )
    parser.add_argument("--version", action="version", version=f"formcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    _add_analyze_parser(sub)
    _add_evaluate_parser(sub)
    _add_models_parser(sub)
    _add_fetch_parser(sub)
    if only in (None, "batch"):
        from formcheck.batch.runner import add_batch_parser

        add_batch_parser(sub)
    if only in (None, "live", "routine", "history"):
        # imports OpenCV (and the live module): not worth it for `analyze` or `evaluate`
        from formcheck.coach.live import add_parsers as add_live_parsers

        add_live_parsers(sub)  # live, routine, history
    if only in (None, "doctor"):
        from formcheck.cli.doctor import add_parser as add_doctor_parser

        add_doctor_parser(sub)
    return parser


def _add_analyze_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``formcheck analyze``: one recorded video."""
    a = sub.add_parser("analyze", help="analyse a recorded video",
                       description="Analyse a recorded video: reps, holds and form faults.")
    a.add_argument("video", help="video file (mp4, mov, avi, ...)")
    a.add_argument("--exercise", "-e", required=True, choices=["auto", *EXERCISE_IDS],
                   metavar="ID", help="exercise id, or auto to recognise it from the clip: "
                   + ", ".join(EXERCISE_IDS))
    a.add_argument("--json", metavar="FILE", help="write the result as JSON here")
    a.add_argument("--report", metavar="FILE", help="write a self-contained HTML report here")
    a.add_argument("--out-video", metavar="FILE", help="write the annotated video (H.264 mp4)")
    a.add_argument("--no-smoothing", action="store_true", help="disable landmark smoothing")
    _add_rate_args(a)
    a.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    _add_model_args(a)


def _add_evaluate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``formcheck evaluate``: agreement with labelled clips."""
    e = sub.add_parser("evaluate", help="measure agreement with labelled clips",
                       description="Run every clip in a labels.toml and compare reps and "
                       "faults with the labels. Exit status 1 when below the thresholds.")
    e.add_argument("--labels", required=True, metavar="FILE", help="labels.toml")
    e.add_argument("--videos", metavar="DIR", help="folder of the clips (default: beside labels)")
    e.add_argument("--exercise", action="append", metavar="ID", choices=EXERCISE_IDS,
                   help="only clips of this exercise (repeatable): " + ", ".join(EXERCISE_IDS))
    e.add_argument("--min-reps", type=float, default=0.0, metavar="FRACTION",
                   help="fail if fewer clips than this have reps within tolerance (0-1)")
    e.add_argument("--min-faults", type=float, default=0.0, metavar="FRACTION",
                   help="fail if less than this share of labelled faults is found (0-1)")
    e.add_argument("--max-false-alarms", type=int, default=10**6, metavar="N",
                   help="fail if more no_faults entries than this are reported")
    e.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="score the clips in N worker processes (default 1); same table")
    e.add_argument("--margins", action="store_true",
                   help="also list, per judged check, how far its deciding signal was from the "
                        "threshold (deg or ratio; + = on the label's side)")
    e.add_argument("--margins-below", type=float, metavar="X",
                   help="with --margins: only the margins below X (the fragile ones)")
    _add_model_args(e)
    _add_rate_args(e)


def _add_models_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``formcheck models``: the pose models."""
    m = sub.add_parser("models", help="list pose models and where they are found",
                       description="List the pose models, where each is found, or fetch one.")
    m.add_argument("--fetch", choices=["lite", "full", "heavy"], help="download this model into "
                   "the user cache if it is not found anywhere")


def _add_fetch_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``formcheck fetch``: models/ and sample_videos/ from their manifests."""
    f = sub.add_parser("fetch", help="fill models/ and sample_videos/ from their manifests",
                       description="Fill the project's models/ and sample_videos/ folders as "
                       "their MANIFEST.tsv lists: copied (SHA-256 checked) from ../shared or "
                       "$FORMCHECK_SHARED when there, else downloaded from the official model "
                       "address and the clips' source repositories. With neither flag: both.")
    f.add_argument("--models", action="store_true", help="the pose model bundles")
    f.add_argument("--samples", action="store_true", help="the labelled sample clips")
    f.add_argument("--shared", metavar="DIR", help="folder holding models/ and sample_videos/ "
                   "to copy from (default: $FORMCHECK_SHARED or ../shared)")
    f.add_argument("--no-download", action="store_true", help="copy only; never download")
    f.add_argument("--force", action="store_true",
                   help="replace files whose SHA-256 differs from the manifest")


def _progress(enabled: bool, desc: str
              ) -> tuple[Any, Callable[[int, int | None], None] | None]:
    """(tqdm bar, progress callback), both None when no bar is shown (tqdm has no type
    information: the bar is Any)."""
    if not enabled or not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="frame", leave=False)

    def update(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh() if done % 10 == 0 else None

    return bar, update


def cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.analysis.pipeline import AnalysisOptions, default_smoothing

    video = check_local_file(args.video)
    # check where results go before the (long) analysis, not after it
    outs = {"--json": args.json, "--report": args.report, "--out-video": args.out_video}
    check_distinct(outs)
    for flag, out in outs.items():
        if out:
            check_output_file(out, flag=flag, inputs=[video], suffixes=OUTPUT_SUFFIXES.get(flag))
    est = estimator_options(args)
    opts = AnalysisOptions(
        exercise=args.exercise,
        estimator=est,
        smoothing=None if args.no_smoothing else default_smoothing(est),
    )
    if not args.quiet:
        print(DISCLAIMER, file=sys.stderr)
    with NewFolders(Path(o).expanduser().parent for o in outs.values() if o):
        return _analyze_and_write(args, video, opts)


#: fewer frames than this is a picture, not a video
MIN_FRAMES = 2
#: the suffixes an output flag accepts (the file's format follows from the flag, not the name)
OUTPUT_SUFFIXES = {"--out-video": (".mp4",), "--report": (".html", ".htm")}


def _analyze_and_write(args: argparse.Namespace, video: Path, opts: AnalysisOptions) -> int:
    from formcheck.analysis.pipeline import analyze_path, result_document

    bar, update = _progress(not args.quiet, video.name)
    try:
        writer = None
        if args.out_video:  # OpenCV and the drawing code are imported only when drawing
            from formcheck.render.annotated_video import AnnotatedVideoWriter

            writer = partial(AnnotatedVideoWriter, args.out_video)
        analysis = analyze_path(video, opts, video_writer=writer, on_progress=update)
    finally:
        if bar is not None:
            bar.close()
    if analysis.result.frames < MIN_FRAMES:  # a still image: no movement, no form to judge
        if args.out_video:  # the one-picture "video" just written is no result either
            Path(args.out_video).unlink(missing_ok=True)
        raise UserError(f"{video} has {analysis.result.frames} frame(s): too little video to "
                        "analyse (a still image?); give a video of the exercise")
    doc = result_document(analysis, {"model": args.model})
    if args.json:
        write_atomic(args.json, json.dumps(doc, indent=2, sort_keys=False) + "\n")
    if args.report:
        from formcheck.render.report import write_clip_report

        write_clip_report(args.report, analysis, doc, video)
    if not args.quiet:
        print(format_summary(doc))
    if analysis.result.frames_with_pose == 0:
        print(f"{video}: no person was found in any frame", file=sys.stderr)
        return 1
    return 0


def format_summary(doc: dict[str, Any]) -> str:
    lines = [f"{doc['source']}: {doc['exercise']}"
             + (f" ({doc['variant']})" if doc.get("variant") else "")
             + f", {doc['duration_s']:.1f} s, person found in {doc['coverage']:.0%} of frames"]
    counts = doc.get("rep_counts", {})
    if doc.get("reps"):
        sides = ", ".join(f"{k} {v}" for k, v in counts.items() if k != "total")
        lines.append(f"  reps: {doc['rep_count']}" + (f" ({sides})" if sides else ""))
    if doc.get("holds"):
        holds = ", ".join(f"{h['end_s'] - h['start_s']:.1f}s" for h in doc["holds"])
        lines.append(f"  holds: {holds} (good form {doc['hold_good_s']:.1f}s)")
    for f in doc.get("faults", []):
        lines.append(f"  {f['start_s']:6.1f}-{f['end_s']:6.1f}s  {f['check']}: {f['cue']}")
    for check, why in doc.get("not_measurable", {}).items():
        lines.append(f"  not measurable: {check} ({why})")
    for note in doc.get("notes", []):
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def cmd_batch(args: argparse.Namespace) -> int:
    from formcheck.batch.runner import main_batch

    return main_batch(args)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from formcheck.analysis.evaluate import main_evaluate
    from formcheck.analysis.labels import LabelsError

    if not Path(args.labels).is_file():
        raise UserError(f"no such labels file: {args.labels}")
    if args.jobs < 1:
        raise UserError(f"--jobs must be at least 1, not {args.jobs}")
    args.estimator = estimator_options(args)
    try:
        return main_evaluate(args)
    except LabelsError as exc:
        raise UserError(str(exc)) from None


def cmd_models(args: argparse.Namespace) -> int:
    from formcheck.io.model_download import resolve_model
    from formcheck.io.models import VARIANTS, model_filename, search_dirs

    if args.fetch:
        print(resolve_model(args.fetch))
        return 0
    dirs = search_dirs()
    print("search order (first found is used; --model-path overrides):")
    for i, (label, folder) in enumerate(dirs, 1):
        print(f"  {i}. {label:<20} {folder}")
    for v in VARIANTS:
        name = model_filename(v)
        found = [(label, folder / name) for label, folder in dirs
                 if (folder / name).is_file() and (folder / name).stat().st_size > 0]
        if not found:
            print(f"{name:<28} not found (downloaded into the user cache on first use)")
            continue
        label, path = found[0]
        print(f"{name:<28} {path} ({path.stat().st_size / 1e6:.1f} MB, {label})")
        for label, path in found[1:]:
            print(f"{'':<28}   also in {path} ({label})")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from formcheck.io.assets import fetch

    folders = [name for name, on in (("models", args.models), ("sample_videos", args.samples))
               if on] or ["models", "sample_videos"]
    shared = Path(args.shared).expanduser() if args.shared else None
    if shared is not None and not shared.is_dir():
        raise UserError(f"--shared {args.shared}: no such folder")
    failed = 0

    def report(r: FetchReport) -> None:
        nonlocal failed
        failed += not r.ok
        print(f"  {r.file:<30} {r.how}" + (f": {r.detail}" if r.detail else ""),
              file=sys.stderr if not r.ok else sys.stdout)

    for name in folders:
        print(f"{name}/")
        fetch(name, shared=shared, download=not args.no_download, force=args.force,
              on_report=report)
    if failed:
        print(f"formcheck: error: {failed} file(s) could not be fetched", file=sys.stderr)
        return 1
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    from formcheck.coach.live import main_live

    return main_live(args)


def cmd_routine(args: argparse.Namespace) -> int:
    from formcheck.coach.routine import main_routine

    return main_routine(args)


def cmd_history(args: argparse.Namespace) -> int:
    from formcheck.coach.history import main_history

    return main_history(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from formcheck.cli.doctor import main_doctor

    return main_doctor(args)


COMMANDS = {"analyze": cmd_analyze, "evaluate": cmd_evaluate, "models": cmd_models,
            "fetch": cmd_fetch, "batch": cmd_batch,
            "live": cmd_live, "routine": cmd_routine, "history": cmd_history,
            "doctor": cmd_doctor}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so it ends a command exactly as Ctrl-C does:
    workers stopped, temporary files removed, finished results kept."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    first = words[0] if words else None
    parser = build_parser(first if first in ("analyze", "evaluate", "models", "fetch") else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return COMMANDS[args.command](args)
    except FormcheckError as exc:  # the one place a user-facing error becomes a message
        print(f"formcheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Terminated:
        print("formcheck: stopped (SIGTERM)", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
