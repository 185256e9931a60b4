"""The guided routine: the programme's six floor exercises in the guide's order, each with its
target, rests in between, a summary at the end, and the session saved to the local history.

Each exercise is a :class:`~formcheck.coach.session.LiveSession` on the same camera, pose model and
session clock (so the model's timestamps keep increasing). A set ends when its target is met,
when the person presses ``n`` (next), or after ``max_s``; ``q`` ends the routine, and a pain
stop (``p`` or the hands-up gesture) ends it at once with the advice to see a physician.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from formcheck.coach.capture import FrameGrabber
from formcheck.coach.live import format_live_summary
from formcheck.coach.programme import PROGRAMME, RoutineStep
from formcheck.coach.session import LiveParams, LiveSession, Processor, SessionOutcome, StepSpec
from formcheck.coach.setup_screen import CAMERA_SETUP
from formcheck.coach.window import KEY_ESC, KEY_NEXT, KEY_PAIN, KEY_PAUSE, KEY_QUIT
from formcheck.core.checks import DISCLAIMER, EXERCISE_NAMES, START_POSITION_CUES
from formcheck.core.results import FrameFeedback

if TYPE_CHECKING:
    import argparse

    from formcheck.coach.inference import Estimator
    from formcheck.coach.voice import VoiceCoach
    from formcheck.coach.window import Display
    from formcheck.exercises.families.base import Analyzer


def target_met(step: RoutineStep, analyzer: Analyzer[Any], fb: FrameFeedback) -> bool:
    """Whether ``step``'s target is reached, from the analyzer's reps/holds and this frame."""
    if step.reps is not None:
        return len(analyzer.reps) >= step.reps
    if step.hold_s is not None:
        if step.per_side:
            sides = {h.side for h in analyzer.holds if h.good_s >= step.hold_s and h.side}
            return len(sides) >= 2
        return fb.hold_s is not None and fb.hold_s >= step.hold_s
    return False


def _step_done(step: RoutineStep, proc: Processor, fb: FrameFeedback) -> bool:
    return target_met(step, proc.analyzer, fb)


@dataclass
class RoutineRun:
    steps: list[tuple[RoutineStep, SessionOutcome]]
    #: why the routine ended: "completed" (all steps), "quit", "pain_stop", "camera_lost",
    #: "source_ended"
    end_reason: str
    message: str | None = None


def rest(grabber: FrameGrabber, display: Display, seconds: float, next_step: RoutineStep,
         coach: VoiceCoach | None = None) -> str | None:
    """The rest screen between exercises: the camera picture, a countdown and what comes
    next (where to put the camera). Returns "quit", "pain", "ended" or None (rest over)."""
    from formcheck.render.overlay import HudState, LiveAnnotator

    annot = LiveAnnotator()
    name = EXERCISE_NAMES[next_step.exercise]
    _, where = CAMERA_SETUP[next_step.exercise]
    if coach is not None:
        coach.say(f"Rest. Next: {name}. {START_POSITION_CUES[next_step.exercise]}.")
    end = time.monotonic() + seconds
    hud = HudState(title=name, mode="rest", target_text=next_step.target_text)
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None
        cap = grabber.mailbox.get(timeout=0.05)
        if cap is None:
            key = display.poll()
            if grabber.finished.is_set() and not grabber.mailbox.pending:
                return "ended"
        else:
            img = cap.frame.rgb
            hud.banner = f"Rest {left:.0f} s - next: {name}"
            hud.sub_banner = f"{where}. {START_POSITION_CUES[next_step.exercise]}. " \
                             "Press n to start now."
            annot.annotate(img, None, hud)
            key = display.show(img)
        if key in (KEY_QUIT, KEY_ESC):
            return "quit"
        if key == KEY_PAIN:
            return "pain"
        if key in (KEY_NEXT, KEY_PAUSE):
            return None


def run_steps(
    steps: tuple[RoutineStep, ...] | list[RoutineStep],
    grabber: FrameGrabber,
    estimator: Estimator,
    display: Display,
    processor_factory: Callable[[str], Processor],
    coach_factory: Callable[[], VoiceCoach | None] = lambda: None,
    rest_s: float = 20.0,
    params: LiveParams = LiveParams(),
    max_s: float | None = None,
) -> RoutineRun:
    """Lead through ``steps``; the testable core of `formcheck routine`."""
    done: list[tuple[RoutineStep, SessionOutcome]] = []
    for i, step in enumerate(steps):
        coach = coach_factory()
        if i > 0 and rest_s > 0:
            r = rest(grabber, display, rest_s, step, coach)
            if r == "quit":
                return RoutineRun(done, "quit")
            if r == "ended":
                return RoutineRun(done, "camera_lost" if grabber.error else "source_ended",
                                  grabber.error)
            if r == "pain":
                return RoutineRun(done, "pain_stop")
        if coach is not None:
            coach.say(f"{EXERCISE_NAMES[step.exercise]}. {step.target_text}.")
        session = LiveSession(
            StepSpec(step.exercise, step.target_text, done=partial(_step_done, step)),
            estimator, display, partial(processor_factory, step.exercise),
            coach=coach, params=params, setup=True,
            max_seconds=max_s if max_s is not None else step.max_s,
        )
        outcome = session.run(grabber)
        done.append((step, outcome))
        if coach is not None and outcome.end_reason == "target_met":
            coach.say("Well done.")
        if outcome.end_reason in ("quit", "pain_stop", "camera_lost"):
            return RoutineRun(done, outcome.end_reason, outcome.message)
        if outcome.end_reason == "completed":  # a video file ran out
            return RoutineRun(done, "source_ended")
    return RoutineRun(done, "completed")


def format_routine_summary(run: RoutineRun) -> str:
    lines = [f"Routine: {len(run.steps)} of {len(PROGRAMME)} exercises, ended: "
             f"{run.end_reason.replace('_', ' ')}"]
    for step, outcome in run.steps:
        met = "target reached" if outcome.end_reason == "target_met" else \
            outcome.end_reason.replace("_", " ")
        lines.append("")
        lines.append(f"[{met}] target: {step.target_text}")
        lines.append(format_live_summary(outcome.result, outcome.end_reason, outcome.stats))
    return "\n".join(lines)


def main_routine(args: argparse.Namespace) -> int:
    """`formcheck routine`."""
    from formcheck.analysis.pipeline import FrameProcessor, default_smoothing
    from formcheck.coach.capture import SessionClock, open_camera
    from formcheck.coach.live import live_estimator_options, release_session
    from formcheck.coach.session_files import check_session_outputs
    from formcheck.coach.voice import VoiceCoach, make_voice
    from formcheck.coach.window import CvWindow
    from formcheck.io.estimator import PoseEstimator

    steps = _chosen_steps(args.only, args.step_seconds)
    if steps is None:
        return 2
    # every file the routine writes is checked before the camera opens (one line if wrong)
    check_session_outputs(str(args.camera), json_path=args.json, history=args.history,
                          save_history=not args.no_history)
    print(DISCLAIMER)
    started = datetime.now(UTC)
    voice = make_voice(not args.no_voice)
    source, desc = open_camera(str(args.camera))
    display = grabber = None
    run: RoutineRun | None = None
    try:
        display = CvWindow("formcheck - routine")
        est_opts = live_estimator_options(args.model, args.model_path,
                                          not args.detect_every_frame)
        with PoseEstimator(est_opts) as est:
            if hasattr(source, "__enter__"):
                source.__enter__()
            grabber = FrameGrabber(source, SessionClock(), desc).start()
            run = run_steps(
                steps, grabber, est, display,
                lambda ex: FrameProcessor(ex, default_smoothing(est_opts)),
                coach_factory=(lambda: VoiceCoach(voice)) if voice is not None else (lambda: None),
                rest_s=args.rest,
            )
    finally:
        release_session(grabber, source, display, voice,
                        pain_stop=bool(run and run.end_reason == "pain_stop"))
    if run.message:
        print(f"formcheck: {run.message} - saving what was recorded so far", file=sys.stderr)
    print(format_routine_summary(run))
    if not _save_routine(run, args, desc, started):
        return 2
    return 1 if run.end_reason == "camera_lost" else 0


def _chosen_steps(only: list[str] | None,
                  step_seconds: float | None) -> tuple[RoutineStep, ...] | None:
    """The programme's steps, only those in ``only`` (when given), each at most
    ``step_seconds`` long (when given); None after saying that an exercise in ``only`` is not
    part of the programme."""
    steps = PROGRAMME
    if only:
        outside = [e for e in only if e not in {s.exercise for s in PROGRAMME}]
        if outside:
            print(f"formcheck: error: {', '.join(outside)} is not part of the routine's programme "
                  f"({', '.join(s.exercise for s in PROGRAMME)}); coach it with "
                  f"`formcheck live --exercise {outside[0]}`", file=sys.stderr)
            return None
        steps = tuple(s for s in PROGRAMME if s.exercise in set(only))
    if step_seconds:
        steps = tuple(replace(s, max_s=step_seconds) for s in steps)
    return steps


def _save_routine(run: RoutineRun, args: argparse.Namespace, desc: str,
                  started: datetime) -> bool:
    """Write the result JSON (--json) and append to the history; False when something could
    not be written where asked (it is then saved elsewhere, and said where)."""
    from formcheck.coach.history import session_record
    from formcheck.coach.session_files import save_history, save_json

    results = [o.result for _, o in run.steps]
    saved = True
    if args.json:
        saved &= save_json(args.json, {
            "mode": "routine", "end_reason": run.end_reason,
            "steps": [{"target": s.target_text, "end_reason": o.end_reason,
                       **o.result.to_dict()} for s, o in run.steps],
        })
    if not args.no_history and results:
        rec = session_record(results, mode="routine", source=desc, started=started,
                             end_reason=run.end_reason)
        saved &= save_history(rec, args.history)
        if saved:
            from formcheck.coach.progress import refresh_after_session

            print(refresh_after_session(args.history))
    return saved

