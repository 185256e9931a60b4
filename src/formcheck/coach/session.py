"""One live exercise set: the display loop's state machine (set-up -> set -> pain stop / end),
drawing into a :class:`~formcheck.coach.window.Display` on the main thread, as GUI toolkits
require. It draws frame k while the model (:mod:`formcheck.coach.inference`) runs on frame k+1.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from formcheck.coach.capture import Captured, FrameGrabber, PacedFileSource
from formcheck.coach.inference import Estimator, InferenceWorker
from formcheck.coach.setup_screen import CAMERA_SETUP, setup_checks
from formcheck.coach.window import KEY_ESC, KEY_NEXT, KEY_PAIN, KEY_PAUSE, KEY_QUIT, Display
from formcheck.core.checks import (
    EXERCISE_NAMES,
    PAIN_STOP_ADVICE,
    START_POSITION_CUES,
)
from formcheck.core.pose import Pose
from formcheck.core.results import ExerciseResult, FrameFeedback

if TYPE_CHECKING:
    from formcheck.coach.recorder import Recorder
    from formcheck.coach.voice import VoiceCoach
    from formcheck.io.estimator import Detection
    from formcheck.render.overlay import LiveAnnotator


@dataclass(frozen=True)
class LiveParams:
    #: setup is done once the body is fully visible in the expected view for this long:
    #: 1 s is long enough that a person walking through the view does not start the set
    ready_s: float = 1.0
    #: a recorded clip cannot wait for the person: its setup screen gives way after this
    file_setup_max_s: float = 3.0
    #: how long "Go!" stays on screen
    go_banner_s: float = 1.5
    #: how long the pain-stop advice stays up before the set ends (any key ends it sooner)
    pain_banner_s: float = 6.0
    #: frames averaged for the fps / latency readout (~1 s at 30 fps)
    readout_window: int = 30
    #: frames wider than this are shown scaled down (a 4K webcam would not fit the screen)
    display_max_width: int = 1280


# ---- the session loop -------------------------------------------------------------------------


class Processor(Protocol):
    """What the loop needs of :class:`~formcheck.analysis.pipeline.FrameProcessor`."""

    analyzer: Any

    def __call__(self, pose: Pose | None, t_ms: float) -> tuple[Pose | None, FrameFeedback]: ...

    def smooth(self, pose: Pose | None) -> Pose | None: ...

    def analyse(self, raw: Pose | None, smoothed: Pose | None, t_ms: float) -> FrameFeedback: ...

    def result(self) -> ExerciseResult: ...


@dataclass
class LiveStats:
    """Timing of a session: per displayed frame, capture-to-display latency (ms), the
    monotonic display time (s) and the time from the model's result to the screen (ms: the
    skeleton, overlay and window); per processed frame, the model's time and how long the
    frame waited for the model (ms). Latency = wait + model + after model."""

    latency_ms: list[float] = field(default_factory=list)
    display_t: list[float] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)
    wait_ms: list[float] = field(default_factory=list)
    after_model_ms: list[float] = field(default_factory=list)
    captured: int = 0
    dropped: int = 0

    @property
    def displayed(self) -> int:
        return len(self.display_t)

    def fps(self) -> float:
        if len(self.display_t) < 2:
            return 0.0
        span = self.display_t[-1] - self.display_t[0]
        return (len(self.display_t) - 1) / span if span > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """The figures of the session; a timing with no frame behind it is None (JSON null)."""

        def pct(xs: list[float], q: float = 50.0) -> float | None:
            return round(float(np.percentile(xs, q)), 2) if xs else None

        return {
            "displayed_frames": self.displayed,
            "captured_frames": self.captured,
            "dropped_frames": self.dropped,
            "displayed_fps": round(self.fps(), 2),
            "latency_ms_median": pct(self.latency_ms),
            "latency_ms_p95": pct(self.latency_ms, 95.0),
            "model_ms_median": pct(self.model_ms),
            "wait_ms_median": pct(self.wait_ms),
            "after_model_ms_median": pct(self.after_model_ms),
        }


@dataclass
class SessionOutcome:
    result: ExerciseResult
    #: "completed" (source ended), "quit", "next", "pain_stop", "camera_lost",
    #: "target_met", "time_limit"
    end_reason: str
    stats: LiveStats
    message: str | None = None


@dataclass
class StepSpec:
    """What a live set is about: title and targets shown, and optionally when it is done."""

    exercise: str
    target_text: str = ""
    #: called with (processor, feedback) each frame; True ends the set ("target_met")
    done: Callable[[Processor, FrameFeedback], bool] | None = None


@dataclass
class _LoopState:
    """What the display loop carries from one frame to the next."""

    #: "setup" (the set-up screen) or "set"
    mode: str
    #: the source is a paced video file (it cannot wait for the person)
    is_file: bool
    ready_since: float | None = None
    setup_started: float | None = None
    #: "Go!" is shown until then (s)
    go_until: float = 0.0
    #: a pain stop is under way: the advice stays up until then (s)
    pain_until: float | None = None
    paused: bool = False
    end_reason: str = "completed"
    message: str | None = None
    #: the newest feedback (drawn until the next one)
    fb: FrameFeedback | None = None
    last_img: NDArray[np.uint8] | None = None
    lat_window: list[float] = field(default_factory=list)
    first_ms: float | None = None


class LiveSession:
    """One exercise set, live. ``processor_factory()`` builds a fresh
    :class:`~formcheck.analysis.pipeline.FrameProcessor` (smoothing + analyzer)."""

    def __init__(
        self,
        step: StepSpec,
        estimator: Estimator,
        display: Display,
        processor_factory: Callable[[], Processor],
        coach: VoiceCoach | None = None,
        recorder: Recorder | None = None,
        params: LiveParams = LiveParams(),
        setup: bool = True,
        max_seconds: float | None = None,
        annotator: LiveAnnotator | None = None,
    ) -> None:
        from formcheck.render.overlay import HudState, LiveAnnotator

        self.step = step
        self.estimator = estimator
        self.display = display
        self.processor_factory = processor_factory
        self.coach = coach
        self.recorder = recorder
        self.params = params
        self.setup = setup
        self.max_seconds = max_seconds
        self.annotator = annotator or LiveAnnotator()
        self.stats = LiveStats()
        self.processor = processor_factory()
        self._spans_of: Processor | None = None
        self._spans_seen = 0
        self._notice_until = 0.0
        self.hud = HudState(title=EXERCISE_NAMES.get(step.exercise, step.exercise),
                            target_text=step.target_text)
        views, where = CAMERA_SETUP[step.exercise]
        self.expected_views = views
        self.hud.setup_lines = (where, START_POSITION_CUES[step.exercise])

    # -- setup check ----------------------------------------------------------------------
    def setup_checks(self, pose: Pose | None) -> tuple[tuple[str, bool], ...]:
        """(label, satisfied) items of the setup screen for one pose."""
        return setup_checks(pose, self.processor.analyzer, self.expected_views)

    def run(self, grabber: FrameGrabber) -> SessionOutcome:
        worker = InferenceWorker(self.estimator, grabber, self.stats.model_ms,
                                 self.stats.wait_ms).start()
        try:
            return self._run(grabber, worker)
        finally:
            worker.stop()

    def _run(self, grabber: FrameGrabber, worker: InferenceWorker) -> SessionOutcome:
        s = _LoopState(mode="setup" if self.setup else "set",
                       is_file=isinstance(grabber.source, PacedFileSource))
        self.hud.mode = s.mode
        while True:
            try:
                item = worker.results.get(timeout=0.03)
            except KeyboardInterrupt:  # Ctrl-C in the terminal: end the set, keep the result
                s.end_reason = "quit"
                break
            if item is None:
                done, action = self._idle(grabber, worker, s)
                cap = None
            else:
                cap, det, t_model_done = item
                done, action = self._frame(cap, det, t_model_done, worker, s)
            if done or self._act(action, cap, grabber, worker, s):
                break
        return SessionOutcome(self.processor.result(), s.end_reason, self.stats, s.message)

    # -- one turn of the loop -------------------------------------------------------------
    def _idle(self, grabber: FrameGrabber, worker: InferenceWorker,
              s: _LoopState) -> tuple[bool, str | None]:
        """No new frame: keep the window alive, notice the end of the source or the stop."""
        key = self.display.poll()
        if s.pain_until is not None and (
                key >= 0 or worker.finished.is_set()
                or grabber.clock.ms() / 1000.0 >= s.pain_until):
            s.end_reason = "pain_stop"
            return True, None
        if worker.finished.is_set() and not worker.results.pending:
            if worker.error is not None:
                raise worker.error
            if grabber.error:
                s.end_reason, s.message = "camera_lost", grabber.error
            return True, None
        return False, self._key(key, s.paused)

    def _frame(self, cap: Captured, det: Detection | None, t_model_done: float,
               worker: InferenceWorker, s: _LoopState) -> tuple[bool, str | None]:
        """One captured frame (with its detection): draw, show, analyse, record."""
        grabber = worker.grabber
        self.stats.captured = grabber.mailbox.put_count
        self.stats.dropped = grabber.mailbox.dropped + worker.results.dropped
        if s.first_ms is None:
            s.first_ms = cap.t_ms
        img = cap.frame.rgb.copy() if s.paused else cap.frame.rgb
        if s.pain_until is not None:  # stopping: show the advice, analyse no further
            self.hud.mode = "pain"
            self.hud.banner = PAIN_STOP_ADVICE
            self.hud.sub_banner = "press any key to finish"
        analysing = not s.paused and s.pain_until is None and det is not None
        raw = det.main if det is not None else None
        # the frame goes on screen with its own (smoothed) landmarks as soon as the model is
        # done; the analysis of it runs after that, while the model already works on the next
        # frame, and its verdict (cue, count, colours) is drawn from the next frame on (one
        # camera frame later). Only the skeleton, the overlay and the window are between
        # the model and the screen.
        pose = self.processor.smooth(raw) if analysing else None
        self.hud.paused = s.paused
        self.hud.feedback = s.fb
        self.annotator.annotate(img, pose, self.hud)
        s.last_img = img
        key = self.display.show(img)
        self._readouts(cap, t_model_done if det is not None else None, s)
        if analysing:
            self._analyse(raw, pose, cap, worker, s)
        if self.recorder is not None:
            self.recorder.write(img, cap.t_ms - (s.first_ms or 0.0))
        if s.end_reason == "target_met":
            return True, None
        if self.max_seconds is not None and s.first_ms is not None and \
                (cap.t_ms - s.first_ms) / 1000.0 >= self.max_seconds:
            s.end_reason = "time_limit"
            return True, None
        action = self._key(key, s.paused)
        if s.pain_until is not None:
            if key >= 0 or cap.t_ms / 1000.0 >= s.pain_until:
                s.end_reason = "pain_stop"
                return True, None
            return False, None
        return False, action

    def _analyse(self, raw: Pose | None, pose: Pose | None, cap: Captured,
                 worker: InferenceWorker, s: _LoopState) -> None:
        """Set-up check or analysis of one detection (``pose``: ``raw`` smoothed by the
        processor's :meth:`~Processor.smooth`), for the next frame's overlay."""
        now_s = cap.t_ms / 1000.0
        if s.mode == "setup":
            self._setup_step(raw, pose, cap, now_s, s)
        else:
            s.fb = self.processor.analyse(raw, pose, cap.t_ms)
        if s.mode == "set" and s.fb is not None:
            self._set_step(s.fb, now_s, worker, s)
        self._banners(now_s, s)

    def _setup_step(self, raw: Pose | None, pose: Pose | None, cap: Captured, now_s: float,
                    s: _LoopState) -> None:
        """The set-up screen: the set starts once every check has held for ``ready_s`` (a
        recording cannot wait: after ``file_setup_max_s`` it starts anyway)."""
        p = self.params
        checks = self.setup_checks(raw)
        self.hud.setup_checks = checks
        ok = all(c for _, c in checks)
        s.setup_started = s.setup_started if s.setup_started is not None else now_s
        s.ready_since = (s.ready_since if s.ready_since is not None else now_s) if ok else None
        progress = 0.0 if s.ready_since is None else (now_s - s.ready_since) / p.ready_s
        self.hud.setup_progress = progress
        timed_out = s.is_file and now_s - s.setup_started >= p.file_setup_max_s
        fresh = False
        if progress >= 1.0 or timed_out:
            s.mode = "set"
            s.go_until = now_s + p.go_banner_s
            if not s.is_file:  # the set starts now: forget the setup frames
                self.processor = self.processor_factory()
                fresh = True
            if self.coach is not None:
                self.coach.say("Ready. Go!")
        if fresh:  # a camera's set starts with the frame that completed the setup
            _, s.fb = self.processor(raw, cap.t_ms)
        elif s.is_file:  # a recording cannot wait: it is analysed from its first frame
            s.fb = self.processor.analyse(raw, pose, cap.t_ms)

    def _set_step(self, fb: FrameFeedback, now_s: float, worker: InferenceWorker,
                  s: _LoopState) -> None:
        """During the set: voice, event notices, the pain gesture, the step's target."""
        if self.coach is not None and s.pain_until is None:
            self.coach.update(fb)
        self._event_notice(fb, now_s)
        if fb.pain_stop and s.pain_until is None:  # the hands-up gesture
            s.pain_until = self._pain(now_s, recorded=True)
            worker.skip.set()
        if self.step.done is not None and s.pain_until is None \
                and self.step.done(self.processor, fb):
            s.end_reason = "target_met"

    def _banners(self, now_s: float, s: _LoopState) -> None:
        mode_hud = "pain" if s.pain_until is not None else s.mode
        self.hud.mode = mode_hud
        if mode_hud == "pain":
            self.hud.banner, self.hud.sub_banner = PAIN_STOP_ADVICE, "press any key to finish"
        elif s.mode == "set" and now_s < s.go_until:
            self.hud.banner, self.hud.sub_banner = "Go!", self.step.target_text or None
        else:
            self.hud.banner = self.hud.sub_banner = None

    def _readouts(self, cap: Captured, t_model_done: float | None, s: _LoopState) -> None:
        """Timing of the frame just shown: stats, and the fps / latency readout."""
        p = self.params
        shown = time.monotonic()
        self.stats.display_t.append(shown)
        if t_model_done is not None:
            self.stats.after_model_ms.append((shown - t_model_done) * 1000.0)
        lat = (shown - cap.t_wall) * 1000.0
        self.stats.latency_ms.append(lat)
        s.lat_window.append(lat)
        del s.lat_window[:-p.readout_window]
        self.hud.latency_ms = float(np.median(s.lat_window))
        n = min(len(self.stats.display_t), p.readout_window)
        if n >= 2:
            span = self.stats.display_t[-1] - self.stats.display_t[-n]
            self.hud.fps = (n - 1) / span if span > 0 else None

    def _act(self, action: str | None, cap: Captured | None, grabber: FrameGrabber,
             worker: InferenceWorker, s: _LoopState) -> bool:
        """A key's action; True when it ends the set."""
        if action in ("quit", "next"):
            s.end_reason = action
            return True
        if action == "pause":
            s.paused = not s.paused
            grabber.pause(s.paused)
            (worker.skip.set if s.paused else worker.skip.clear)()
            if s.paused and s.last_img is not None:
                self.hud.paused = True
                frozen = s.last_img.copy()
                self.annotator.annotate(frozen, None, self.hud)
                self.display.show(frozen)
        if action == "pain" and s.pain_until is None:
            t = (cap.t_ms if cap is not None else grabber.clock.ms()) / 1000.0
            s.pain_until = self._pain(t, recorded=False)
            worker.skip.set()
            if s.paused:
                s.paused = False
                grabber.pause(False)
        return False

    def _event_notice(self, fb: FrameFeedback, now_s: float) -> None:
        """Event-type faults (e.g. a hold released too early) are not 'active': show their
        cue for a few seconds, and say it, when the analyzer records one."""
        spans = self.processor.analyzer.tracker.spans
        if self._spans_of is not self.processor:
            self._spans_of, self._spans_seen = self.processor, len(spans)
        for span in spans[self._spans_seen:]:
            if span.check != "pain_stop" and span.check not in fb.faults:
                self.hud.notice = span.cue
                # as long as the analyzer keeps the event's cue in its feedback (one timing)
                self._notice_until = now_s + self.processor.analyzer.event_cue_s
                if self.coach is not None:
                    from formcheck.coach.voice import PRIORITY_CUE

                    self.coach.say(span.cue, PRIORITY_CUE)
        self._spans_seen = len(spans)
        if self.hud.notice and now_s >= self._notice_until:
            self.hud.notice = None

    def _key(self, key: int, paused: bool) -> str | None:
        if key < 0:
            return None
        if key in (KEY_QUIT, KEY_ESC):
            return "quit"
        if key == KEY_PAUSE:
            return "pause"
        if key == KEY_PAIN:
            return "pain"
        if key == KEY_NEXT:
            return "next"
        return None

    def _pain(self, t_s: float, recorded: bool) -> float:
        """Start the pain stop: record it (unless the gesture already did), say the advice."""
        if not recorded:
            self.processor.analyzer.record_pain_stop(t_s)
        if self.coach is not None:
            self.coach.pain_stop()
        print(PAIN_STOP_ADVICE, file=sys.stderr)
        return t_s + self.params.pain_banner_s
