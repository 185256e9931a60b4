"""Live coaching: camera -> pose -> analysis -> overlay window, in real time (``formcheck live``).

The parts, one module each in ``formcheck/coach/``: ``capture`` (clock, mailbox, paced file,
capture thread), ``inference`` (pose thread), ``window`` (display and keys), ``setup_screen``,
``session`` (the display loop's state machine), ``recorder``; this module is the command.

Real time, not a queue: a capture thread (:class:`FrameGrabber`) puts each new frame into a
one-slot mailbox (:class:`LatestFrame`); when the model is slower than the camera the older,
unprocessed frame is replaced (counted as dropped), so what is shown is always the newest
picture and latency cannot build up. A video file given as the camera is paced by wall clock at
its own frame rate (:class:`PacedFileSource`) and dropped the same way, so live mode can be run,
tested and benchmarked without a webcam.

Three threads, each handing the next only its newest item:

* capture (:class:`FrameGrabber`): camera or paced file -> one-slot mailbox;
* pose (:class:`InferenceWorker`): newest frame -> model -> one-slot mailbox;
* display (:class:`LiveSession`, the main thread, as GUI toolkits require): smoothing,
  overlay, window, then the analyzer, keys and voice: frame k is on screen as soon as the model
  is done with it, and its analysis runs while the model works on frame k+1 (its verdict is
  drawn from frame k+1 on).

Each frame gets a capture timestamp from one monotonic session clock (ms): that is what the
estimator (MediaPipe VIDEO mode, timestamps strictly increasing) and the analyzer see.

The loop (:class:`LiveSession`) is independent of OpenCV's window: it draws into a
:class:`~formcheck.coach.window.Display` (``CvWindow`` for the real screen; tests pass a
scripted one). ``imshow`` and key handling live only in :mod:`formcheck.coach.window`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

# capture first: it loads OpenCV before anything can load PyAV (see formcheck.coach.capture)
from formcheck.coach.capture import FrameGrabber, SessionClock, open_camera
from formcheck.coach.recorder import Recorder
from formcheck.coach.session import LiveParams, LiveSession, LiveStats, SessionOutcome, StepSpec
from formcheck.coach.window import CvWindow
from formcheck.core.checks import (
    DISCLAIMER,
    EXERCISE_NAMES,
    PAIN_STOP_ADVICE,
    START_POSITION_CUES,
    validate_exercise,
)
from formcheck.core.results import ExerciseResult
from formcheck.io.video import VideoError, VideoInfo

if TYPE_CHECKING:
    from formcheck.coach.capture import PacedFileSource
    from formcheck.coach.voice import Voice, VoiceCoach
    from formcheck.io.estimator import EstimatorOptions, PoseEstimator
    from formcheck.io.video import CameraSource

# ---- the `formcheck live` command ---------------------------------------------------------------


@dataclass(frozen=True)
class LiveOptions:
    exercise: str
    camera: str = "0"
    model: str = "full"
    model_path: str | None = None
    voice: bool = True
    record: str | None = None
    json_path: str | None = None
    history: str | None = None
    save_history: bool = True
    setup: bool = True
    max_seconds: float | None = None
    #: track the person being coached (the person detector runs only when the track is lost;
    #: others in view are looked for once a second); False: detect people on every frame
    track: bool = True
    params: LiveParams = LiveParams()


def live_estimator_options(model: str, model_path: str | None, track: bool) -> EstimatorOptions:
    """The estimator of a live session: by default it tracks the person being coached
    (``num_poses=1``): the model's time per frame halves (lite 15 vs 32 ms here, see
    bench/bench_live_latency.py), which is what keeps the camera's 30 frames per second and the
    latency low on a laptop without a spare core. The once-a-second people check still finds a
    second person, and the largest one is coached; it runs beside the tracker in a thread of its
    own, so the frame it looks at is not held up. ``track=False`` runs the person detector on
    every frame (``--detect-every-frame``)."""
    from formcheck.io.estimator import EstimatorOptions

    return EstimatorOptions(model=model, model_path=model_path, num_poses=1 if track else 2,
                            people_check_background=track)


def format_live_summary(res: ExerciseResult, end_reason: str, stats: LiveStats) -> str:
    name = EXERCISE_NAMES.get(res.exercise, res.exercise)
    lines = [f"{name}" + (f" ({res.variant})" if res.variant else "")
             + f": {res.duration_s:.0f} s, ended: {end_reason.replace('_', ' ')}"]
    if res.reps:
        sides = ", ".join(f"{k} {v}" for k, v in res.rep_counts.items() if k != "total")
        good = sum(1 for r in res.reps if r.good)
        lines.append(f"  reps: {res.rep_count}" + (f" ({sides})" if sides else "")
                     + f", {good} in good form")
    else:
        lines.append("  reps: 0")
    if res.holds:
        holds = ", ".join(f"{h.duration_s:.1f}s" + (f" {h.side}" if h.side else "")
                          for h in res.holds)
        lines.append(f"  holds: {holds} (good form {sum(h.good_s for h in res.holds):.1f}s)")
    seen: dict[str, int] = {}
    for f in res.faults:
        if f.check != "pain_stop":
            seen[f.check] = seen.get(f.check, 0) + 1
    for check, n in seen.items():
        cue = next(f.cue for f in res.faults if f.check == check)
        lines.append(f"  to work on: {cue} ({check}, {n}x)")
    if res.pain_stops:
        lines.append(f"  pain stop at {res.pain_stops[0]:.0f} s: {PAIN_STOP_ADVICE}")
    s = stats.summary()
    latency = "n/a" if s["latency_ms_median"] is None else f"{s['latency_ms_median']:.0f} ms"
    lines.append(f"  video: {s['displayed_fps']:.0f} fps shown, latency "
                 f"{latency} median, {s['dropped_frames']} stale frames "
                 "skipped")
    return "\n".join(lines)


def result_json(outcome: SessionOutcome, source: str, info: VideoInfo | None,
                model: str) -> dict[str, Any]:
    from formcheck.analysis.pipeline import Analysis, result_document

    analysis = Analysis(outcome.result, [], source, info.fps if info else 0.0,
                        (info.width, info.height) if info else (0, 0))
    return result_document(analysis, {
        "model": model, "mode": "live", "end_reason": outcome.end_reason,
        "message": outcome.message, "live": outcome.stats.summary(),
    })


def run_live(opts: LiveOptions, out: TextIO = sys.stdout) -> int:
    """The `formcheck live` command. Returns the exit status."""
    from formcheck.coach.session_files import check_session_outputs
    from formcheck.coach.voice import VoiceCoach, make_voice
    from formcheck.io.estimator import PoseEstimator

    validate_exercise(opts.exercise)
    # every file this session writes is checked before the camera opens (never after a set)
    check_session_outputs(opts.camera, record=opts.record, json_path=opts.json_path,
                          history=opts.history, save_history=opts.save_history)
    print(DISCLAIMER, file=out)
    started = datetime.now(UTC)
    voice = make_voice(opts.voice)  # before the camera: a missing espeak-ng leaves nothing open
    source, desc = _open_camera(opts.camera, voice)
    coach = VoiceCoach(voice) if voice is not None else None
    display = None
    recorder = Recorder(opts.record, source.info.fps) if opts.record else None
    grabber = None
    outcome: SessionOutcome | None = None
    record_error: VideoError | None = None
    try:
        display = CvWindow(f"formcheck - {EXERCISE_NAMES[opts.exercise]}",
                           opts.params.display_max_width)
        est_opts = live_estimator_options(opts.model, opts.model_path, opts.track)
        with PoseEstimator(est_opts) as est:
            clock = SessionClock()
            if hasattr(source, "__enter__"):
                source.__enter__()
            grabber = FrameGrabber(source, clock, desc).start()
            session = _live_session(opts, est, est_opts, display, coach, recorder)
            if coach is not None:
                coach.say(START_POSITION_CUES[opts.exercise])
            outcome = session.run(grabber)
    finally:
        release_session(grabber, source, display, voice,
                        pain_stop=bool(outcome and outcome.end_reason == "pain_stop"))
        if recorder is not None:
            try:
                recorder.close()
            except VideoError as exc:  # the session's result is still saved below
                if outcome is None:
                    raise
                record_error = exc
    saved = save_outcome(outcome, opts, desc, source.info, started, out=out)
    if record_error is not None:
        print(f"formcheck: error: {record_error}", file=sys.stderr)
        return 2
    if recorder is not None and recorder.frames:
        print(f"  recording: {opts.record}", file=out)
    if not saved:
        return 2
    return 1 if outcome.end_reason == "camera_lost" else 0


def _open_camera(camera: str,
                 voice: Voice | None) -> tuple[CameraSource | PacedFileSource, str]:
    """:func:`open_camera`; the voice is closed when the camera cannot be opened."""
    try:
        return open_camera(camera)
    except VideoError:
        if voice is not None:
            voice.close()
        raise


def _live_session(opts: LiveOptions, est: PoseEstimator, est_opts: EstimatorOptions,
                  display: CvWindow, coach: VoiceCoach | None,
                  recorder: Recorder | None) -> LiveSession:
    """The session of one `formcheck live` set, its target from the programme."""
    from formcheck.analysis.pipeline import FrameProcessor, default_smoothing
    from formcheck.coach.programme import step_for

    prog = step_for(opts.exercise)
    return LiveSession(
        StepSpec(opts.exercise, prog.target_text if prog else ""), est, display,
        lambda: FrameProcessor(opts.exercise, default_smoothing(est_opts)),
        coach=coach, recorder=recorder,
        params=opts.params, setup=opts.setup, max_seconds=opts.max_seconds,
    )


def release_session(grabber: FrameGrabber | None, source: CameraSource | PacedFileSource,
                    display: CvWindow | None, voice: Voice | None, pain_stop: bool) -> None:
    """Stop capture, close the window and let the voice finish (longer after a pain stop, so
    the stop advice is heard), whatever ended the session."""
    if grabber is not None:
        grabber.stop()
    elif hasattr(source, "close"):
        source.close()
    if display is not None:
        display.close()
    if voice is not None:
        voice.flush(timeout_s=8.0 if pain_stop else 2.0)
        voice.close()


def save_outcome(outcome: SessionOutcome, opts: LiveOptions, desc: str, info: VideoInfo | None,
                 started: datetime, out: TextIO = sys.stdout) -> bool:
    """Print the summary, write the result JSON (--json) and append to the history; also
    (above all) when the camera went away mid-set. What cannot be written where asked is saved
    elsewhere (and said where); returns False then."""
    from formcheck.coach.history import session_record
    from formcheck.coach.session_files import save_history, save_json

    if outcome.message:
        print(f"formcheck: {outcome.message} - saving what was recorded so far", file=sys.stderr)
    print(format_live_summary(outcome.result, outcome.end_reason, outcome.stats), file=out)
    ok = True
    if opts.json_path:
        ok &= save_json(opts.json_path, result_json(outcome, desc, info, opts.model))
    if opts.save_history:
        rec = session_record([outcome.result], mode="live", source=desc, started=started,
                             end_reason=outcome.end_reason)
        ok &= save_history(rec, opts.history, out=out)
        if ok:
            from formcheck.coach.progress import refresh_after_session

            print(f"  {refresh_after_session(opts.history)}", file=out)
    return ok


# ---- command line -------------------------------------------------------------------------------


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `live`, `routine` and `history` subcommands (called by cli.build_parser)."""
    from formcheck.core.checks import EXERCISE_IDS

    def camera_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--camera", default="0", metavar="INDEX|FILE",
                       help="camera index (default 0), or a video file played as if it were "
                       "a camera (real time, frames dropped when the model is slower)")
        p.add_argument("--model", choices=["lite", "full", "heavy"], default="full",
                       help="pose model variant (default: full; lite is faster on slow PCs)")
        p.add_argument("--model-path", metavar="FILE", help="explicit pose_landmarker .task file")
        p.add_argument("--detect-every-frame", action="store_true",
                       help="run the person detector on every frame instead of tracking the "
                       "person being coached (slower: about half the frame rate on a laptop)")
        p.add_argument("--no-voice", action="store_true", help="do not speak cues and counts")
        p.add_argument("--history", metavar="FILE", help="history file (default: "
                       "$FORMCHECK_HISTORY or $XDG_DATA_HOME/formcheck/history.jsonl)")
        p.add_argument("--no-history", action="store_true", help="do not save this session")
        p.add_argument("--json", metavar="FILE", help="write the session result as JSON here")

    lv = sub.add_parser(
        "live", help="coach one exercise live from a camera",
        description="Live coaching in a window: skeleton coloured by form, cues (on screen and "
        "spoken), reps, hold timer. Keys: space pause, p pain stop, n next/end, q quit.")
    lv.add_argument("--exercise", "-e", required=True, choices=list(EXERCISE_IDS), metavar="ID",
                    help="exercise id: " + ", ".join(EXERCISE_IDS))
    camera_args(lv)
    lv.add_argument("--record", metavar="FILE", help="also save the annotated video (H.264 mp4)")
    lv.add_argument("--no-setup", action="store_true",
                    help="skip the camera set-up screen and start at once")
    lv.add_argument("--max-seconds", type=float, metavar="S", help="end the set after S seconds")

    rt = sub.add_parser(
        "routine", help="the guided programme: six floor exercises with rests",
        description="Leads through the programme in the guide's order (pelvic tilt, "
        "knee-to-chest, cat-cow, bird-dog, glute bridge, modified plank) with targets and "
        "rests, then a summary. Keys: space pause, p pain stop, n next, q quit.")
    camera_args(rt)
    rt.add_argument("--rest", type=float, default=20.0, metavar="S",
                    help="rest between exercises in seconds (default 20)")
    rt.add_argument("--only", action="append", choices=list(EXERCISE_IDS), metavar="ID",
                    help="only these exercises of the programme (repeatable)")
    rt.add_argument("--step-seconds", type=float, metavar="S",
                    help="longest time per exercise (default: per exercise, about 3 min)")

    hi = sub.add_parser(
        "history", help="progress over days from your saved sessions",
        description="Reps in good form, hold times and recurring faults per day, from the "
        "local history file. Nothing is uploaded.")
    hi.add_argument("--file", metavar="FILE", help="history file (default: $FORMCHECK_HISTORY "
                    "or $XDG_DATA_HOME/formcheck/history.jsonl)")
    hi.add_argument("--exercise", "-e", choices=list(EXERCISE_IDS), metavar="ID",
                    help="only this exercise")
    hi.add_argument("--days", type=int, metavar="N", help="only the last N days")
    hi.add_argument("--json", action="store_true", help="print JSON instead of a table")
    hi.add_argument("--report", metavar="FILE", help="write a self-contained HTML page with "
                    "charts over days and weeks (e.g. progress.html) and print its link")


def main_live(args: argparse.Namespace) -> int:
    opts = LiveOptions(
        exercise=args.exercise, camera=str(args.camera), model=args.model,
        model_path=args.model_path, voice=not args.no_voice, record=args.record,
        json_path=args.json, history=args.history, save_history=not args.no_history,
        setup=not args.no_setup, max_seconds=args.max_seconds,
        track=not args.detect_every_frame,
    )
    return run_live(opts)
