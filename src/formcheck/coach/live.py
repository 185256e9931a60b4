"""Live coaching: camera -> pose -> analysis -> overlay window, in real time.

Real time, not a queue: a capture thread (:class:`FrameGrabber`) puts each new frame into a
one-slot mailbox (:class:`LatestFrame`); when the model is slower than the camera the older,
unprocessed frame is replaced (counted as dropped), so what is shown is always the newest
picture and latency cannot build up. A video file given as the camera is paced by wall clock at
its own frame rate (:class:`PacedFileSource`) and dropped the same way, so live mode can be run,
tested and benchmarked without a webcam.

Three threads, each handing the next only its newest item:

* capture (:class:`FrameGrabber`): camera or paced file -> one-slot mailbox;
* pose (:class:`InferenceWorker`): newest frame -> model -> one-slot mailbox;
* display (:class:`LiveSession`, the main thread, as GUI toolkits require): smoothing +
  analyzer, overlay, window, keys, voice. It draws frame k while the model runs on frame k+1.

Each frame gets a capture timestamp from one monotonic session clock (ms): that is what the
estimator (MediaPipe VIDEO mode, timestamps strictly increasing) and the analyzer see.

The loop (:class:`LiveSession`) is independent of OpenCV's window: it draws into a
:class:`Display` (``CvWindow`` for the real screen; tests pass a scripted one). ``imshow`` and
key handling live only here.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

# OpenCV must be loaded before PyAV: when PyAV's bundled libraries load first, OpenCV's Qt
# window (namedWindow) hangs forever on X11 (measured here: `import av, cv2; namedWindow`
# never returns; `import cv2, av` works). Importing cv2 here, before anything decodes video,
# keeps the window working.
import cv2  # order matters, see above
import numpy as np
from numpy.typing import NDArray

from formcheck.core.catalogue import CATALOGUE
from formcheck.core.checks import (
    DISCLAIMER,
    EXERCISE_NAMES,
    PAIN_STOP_ADVICE,
    START_POSITION_CUES,
    validate_exercise,
)
from formcheck.core.errors import FormcheckError
from formcheck.core.pose import Pose
from formcheck.core.results import ExerciseResult, FrameFeedback
from formcheck.core.view import classify_view
from formcheck.io.files import write_json_atomic
from formcheck.io.video import Frame, VideoError, VideoInfo

# ---- where to put the camera ------------------------------------------------------------------

#: exercise -> (views accepted at setup, where to put the camera), from each exercise's spec
#: (formcheck.core.catalogue; the spec's "Camera:" line)
CAMERA_SETUP: dict[str, tuple[tuple[str, ...], str]] = {
    s.id: (s.camera.views, s.camera.where) for s in CATALOGUE
}


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


# ---- clock, mailbox, sources ----------------------------------------------------------------


class SessionClock:
    """Milliseconds since the session started (monotonic), shared by every step of a routine
    so timestamps keep increasing across exercises."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def ms(self) -> float:
        return (time.monotonic() - self.t0) * 1000.0


@dataclass(frozen=True)
class Captured:
    """A frame as captured: pixels, capture time on the session clock (ms, strictly
    increasing) and the monotonic time it was captured (s), for latency."""

    frame: Frame
    t_ms: float
    t_wall: float
    seq: int


class LatestFrame:
    """A one-slot mailbox: ``put`` replaces an unread frame (counted in ``dropped``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Captured | None = None
        self.dropped = 0
        self.put_count = 0
        self.closed = False

    def put(self, item: Captured) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.put_count += 1
            self._cond.notify_all()

    @property
    def pending(self) -> bool:
        return self._item is not None

    def get(self, timeout: float) -> Captured | None:
        """The newest unread frame, waiting up to ``timeout`` s; None if none came."""
        with self._cond:
            if self._item is None and not self.closed:
                self._cond.wait(timeout=timeout)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class PacedFileSource:
    """A video file played as if it were a camera: frames are released at their own
    timestamps by wall clock (the decoder runs ahead in its own thread). ``pause()`` stops
    the clip's clock, as a person pausing a recording would expect."""

    def __init__(self, path: str | os.PathLike):
        from formcheck.io.video import VideoFileSource

        self._src = VideoFileSource(path)
        self.info: VideoInfo = self._src.info
        self._paused = threading.Event()
        self._stop = threading.Event()

    def __enter__(self) -> PacedFileSource:
        self._src.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._src.close()

    def pause(self, paused: bool) -> None:
        (self._paused.set if paused else self._paused.clear)()

    def __iter__(self) -> Iterator[Frame]:
        start: float | None = None
        first_ms = 0.0
        paused_total = 0.0
        for frame in self._src:
            if start is None:
                start, first_ms = time.monotonic(), frame.timestamp_ms
            while self._paused.is_set() and not self._stop.is_set():
                t = time.monotonic()
                self._stop.wait(0.02)
                paused_total += time.monotonic() - t
            due = start + paused_total + (frame.timestamp_ms - first_ms) / 1000.0
            delay = due - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            if self._stop.is_set():
                return
            yield frame


class FrameGrabber:
    """Capture thread: reads a source and posts every frame to a :class:`LatestFrame`.

    ``error`` is set (a user-facing message) when the source fails mid-stream, e.g. a
    camera that disconnects; ``finished`` when the source has ended either way.
    """

    def __init__(self, source, clock: SessionClock, name: str = ""):
        self.source = source
        self.clock = clock
        self.name = name
        self.info: VideoInfo | None = getattr(source, "info", None)
        self.mailbox = LatestFrame()
        self.finished = threading.Event()
        self.error: str | None = None
        self._stop = threading.Event()
        self._last_ms = -1.0
        self._thread = threading.Thread(target=self._run, name="formcheck-capture", daemon=True)

    def start(self) -> FrameGrabber:
        self._thread.start()
        return self

    def pause(self, paused: bool) -> None:
        if hasattr(self.source, "pause"):
            self.source.pause(paused)

    def stop(self) -> None:
        self._stop.set()
        if hasattr(self.source, "close"):
            self.source.close()
        self._thread.join(timeout=3.0)

    def _run(self) -> None:
        seq = 0
        try:
            for frame in self.source:
                if self._stop.is_set():
                    break
                t_ms = max(self.clock.ms(), self._last_ms + 1.0)  # strictly increasing
                self._last_ms = t_ms
                self.mailbox.put(Captured(frame, t_ms, time.monotonic(), seq))
                seq += 1
        except VideoError as exc:
            self.error = str(exc)
        except Exception as exc:  # a capture failure must end the session, not hang it
            self.error = f"{self.name or 'camera'} failed: {exc}"
        finally:
            self.finished.set()
            self.mailbox.close()


class InferenceWorker:
    """Runs the pose model in its own thread on the newest captured frame, and posts
    (frame, detection) to a one-slot mailbox for the display loop (newest wins again).

    The display loop (overlay, window, keys) then works on frame k while the model already
    runs on frame k+1, so on two cores the model sets the pace, not model + drawing. The
    model releases the GIL while it runs (measured: a Python thread keeps running beside it).
    ``skip`` set (paused, stopping) passes frames through without running the model.
    """

    def __init__(self, estimator, grabber: FrameGrabber, model_ms: list[float]):
        self.estimator = estimator
        self.grabber = grabber
        self.model_ms = model_ms
        self.results = LatestFrame()
        self.skip = threading.Event()
        self.finished = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="formcheck-pose", daemon=True)

    def start(self) -> InferenceWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        box = self.grabber.mailbox
        try:
            while not self._stop.is_set():
                cap = box.get(timeout=0.05)
                if cap is None:
                    if self.grabber.finished.is_set() and not box.pending:
                        return
                    continue
                det = None
                if not self.skip.is_set():
                    t0 = time.perf_counter()
                    det = self.estimator.detect(cap.frame.rgb, cap.t_ms)
                    self.model_ms.append((time.perf_counter() - t0) * 1000.0)
                self.results.put((cap, det))
        except Exception as exc:  # handed to the display loop, which re-raises it
            self.error = exc
        finally:
            self.finished.set()
            self.results.close()


def open_camera(spec: str) -> tuple[object, str]:
    """A camera index ("0") -> CameraSource; a video file -> PacedFileSource. Returns
    (source, description). Raises VideoError with a clear message when it cannot be opened."""
    from formcheck.io.video import CameraSource

    if spec.isdigit():
        # OpenCV prints several lines of backend noise when a camera index does not exist;
        # our own one-line message says it better
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            return CameraSource(int(spec)), f"camera:{spec}"
        finally:
            cv2.utils.logging.setLogLevel(level)
    path = Path(spec)
    if not path.exists():
        raise VideoError(f"no camera or video file {spec!r} (use a camera index like 0, or a file)")
    return PacedFileSource(path), path.name


# ---- display ------------------------------------------------------------------------------------


class Display(Protocol):
    def show(self, rgb: NDArray[np.uint8]) -> int:
        """Show a frame; return the key pressed (or -1). Must not block."""

    def poll(self) -> int:
        """Process window events without a new frame; return a key or -1."""

    def close(self) -> None: ...


KEY_QUIT = ord("q")
KEY_ESC = 27
KEY_PAUSE = ord(" ")
KEY_PAIN = ord("p")
KEY_NEXT = ord("n")


class CvWindow:
    """An OpenCV highgui window. Closing the window counts as quitting."""

    def __init__(self, name: str = "formcheck", max_width: int = 1280):
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            raise LiveError("live mode needs a screen: no DISPLAY is set "
                            "(on a headless machine, run it under xvfb-run)")
        self.name = name
        self.max_width = max_width
        # GUI_NORMAL: no Qt toolbar or status bar, just the picture
        cv2.namedWindow(name, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self._shown = False

    def show(self, rgb: NDArray[np.uint8]) -> int:
        h, w = rgb.shape[:2]
        if w > self.max_width:
            rgb = cv2.resize(rgb, (self.max_width, int(h * self.max_width / w)),
                             interpolation=cv2.INTER_AREA)
        cv2.imshow(self.name, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        self._shown = True
        return self.poll()

    def poll(self) -> int:
        key = cv2.waitKey(1)
        if self._shown and cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1:
            return KEY_QUIT  # the window was closed
        return key & 0xFF if key >= 0 else -1

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.name)
            cv2.waitKey(1)
        except cv2.error:
            pass


class LiveError(FormcheckError):
    """A user-facing problem starting live mode (no screen, no camera...)."""


# ---- the session loop -------------------------------------------------------------------------


class Estimator(Protocol):
    def detect(self, rgb: NDArray[np.uint8], timestamp_ms: float): ...


@dataclass
class LiveStats:
    """Timing of a session: per displayed frame, capture-to-display latency (ms) and the
    monotonic display time (s); model time per processed frame (ms)."""

    latency_ms: list[float] = field(default_factory=list)
    display_t: list[float] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)
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

    def summary(self) -> dict:
        lat = np.array(self.latency_ms) if self.latency_ms else np.array([np.nan])
        mod = np.array(self.model_ms) if self.model_ms else np.array([np.nan])
        return {
            "displayed_frames": self.displayed,
            "captured_frames": self.captured,
            "dropped_frames": self.dropped,
            "displayed_fps": round(self.fps(), 2),
            "latency_ms_median": round(float(np.median(lat)), 2),
            "latency_ms_p95": round(float(np.percentile(lat, 95)), 2),
            "model_ms_median": round(float(np.median(mod)), 2),
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
    done: Callable[[object, FrameFeedback], bool] | None = None


class LiveSession:
    """One exercise set, live. ``processor_factory()`` builds a fresh
    :class:`~formcheck.analysis.pipeline.FrameProcessor` (smoothing + analyzer)."""

    def __init__(
        self,
        step: StepSpec,
        estimator: Estimator,
        display: Display,
        processor_factory: Callable[[], object],
        coach=None,
        recorder=None,
        params: LiveParams = LiveParams(),
        setup: bool = True,
        max_seconds: float | None = None,
        annotator=None,
    ):
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
        self._spans_of = None
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
        analyzer = self.processor.analyzer
        if pose is None:
            return (("Person in view", False), ("Whole body visible", False),
                    (f"{' or '.join(self.expected_views).capitalize()} view", False))
        side = pose.near_side()
        visible = pose.visible(analyzer.required_landmarks(side), analyzer.visibility_threshold)
        view = classify_view(pose)
        return (("Person in view", True), ("Whole body visible", visible),
                (f"{' or '.join(self.expected_views).capitalize()} view "
                 f"(now: {view})", view in self.expected_views))

    def run(self, grabber: FrameGrabber) -> SessionOutcome:
        worker = InferenceWorker(self.estimator, grabber, self.stats.model_ms).start()
        try:
            return self._run(grabber, worker)
        finally:
            worker.stop()

    def _run(self, grabber: FrameGrabber, worker: InferenceWorker) -> SessionOutcome:
        p = self.params
        is_file = isinstance(grabber.source, PacedFileSource)
        mode = "setup" if self.setup else "set"
        self.hud.mode = mode
        ready_since: float | None = None
        setup_started: float | None = None
        go_until = 0.0
        pain_until: float | None = None
        paused = False
        end_reason, message = "completed", None
        fb: FrameFeedback | None = None
        last_img: NDArray[np.uint8] | None = None
        lat_window: list[float] = []
        first_ms: float | None = None
        while True:
            try:
                item = worker.results.get(timeout=0.03)
                cap, det = item if item is not None else (None, None)
            except KeyboardInterrupt:  # Ctrl-C in the terminal: end the set, keep the result
                end_reason = "quit"
                break
            if cap is None:
                key = self.display.poll()
                if pain_until is not None and (
                        key >= 0 or worker.finished.is_set()
                        or grabber.clock.ms() / 1000.0 >= pain_until):
                    end_reason = "pain_stop"
                    break
                if worker.finished.is_set() and not worker.results.pending:
                    if worker.error is not None:
                        raise worker.error
                    if grabber.error:
                        end_reason, message = "camera_lost", grabber.error
                    break
                action = self._key(key, paused)
            else:
                self.stats.captured = grabber.mailbox.put_count
                self.stats.dropped = grabber.mailbox.dropped + worker.results.dropped
                if first_ms is None:
                    first_ms = cap.t_ms
                img = cap.frame.rgb.copy() if paused else cap.frame.rgb
                pose = None
                if pain_until is not None:  # stopping: show the advice, analyse no further
                    self.hud.mode = "pain"
                    self.hud.banner = PAIN_STOP_ADVICE
                    self.hud.sub_banner = "press any key to finish"
                if not paused and pain_until is None and det is not None:
                    raw = det.main
                    now_s = cap.t_ms / 1000.0
                    if mode == "setup":
                        checks = self.setup_checks(raw)
                        self.hud.setup_checks = checks
                        ok = all(c for _, c in checks)
                        setup_started = setup_started if setup_started is not None else now_s
                        ready_since = (ready_since if ready_since is not None else now_s) if ok \
                            else None
                        progress = 0.0 if ready_since is None else (now_s - ready_since) / p.ready_s
                        self.hud.setup_progress = progress
                        timed_out = is_file and now_s - setup_started >= p.file_setup_max_s
                        if progress >= 1.0 or timed_out:
                            mode = "set"
                            go_until = now_s + p.go_banner_s
                            if not is_file:  # the set starts now: forget the setup frames
                                self.processor = self.processor_factory()
                            if self.coach is not None:
                                self.coach.say("Ready. Go!")
                        if is_file or mode == "set":
                            # a recording cannot wait: it is analysed from its first frame;
                            # a camera's set starts with the frame that completed the setup
                            pose, fb = self.processor(raw, cap.t_ms)
                        else:
                            pose = raw
                    else:
                        pose, fb = self.processor(raw, cap.t_ms)
                    if mode == "set" and fb is not None:
                        if self.coach is not None and pain_until is None:
                            self.coach.update(fb)
                        self._event_notice(fb, now_s)
                        if fb.pain_stop and pain_until is None:  # the hands-up gesture
                            pain_until = self._pain(now_s, recorded=True)
                            worker.skip.set()
                        if self.step.done is not None and pain_until is None \
                                and self.step.done(self.processor, fb):
                            end_reason = "target_met"
                    # banners
                    if pain_until is not None:
                        mode_hud = "pain"
                    else:
                        mode_hud = mode
                    self.hud.mode = mode_hud
                    if mode_hud == "pain":
                        self.hud.banner, self.hud.sub_banner = PAIN_STOP_ADVICE, \
                            "press any key to finish"
                    elif mode == "set" and now_s < go_until:
                        self.hud.banner, self.hud.sub_banner = "Go!", self.step.target_text or None
                    else:
                        self.hud.banner = self.hud.sub_banner = None
                self.hud.paused = paused
                self.hud.feedback = fb
                self.annotator.annotate(img, pose if not paused else None, self.hud)
                last_img = img
                key = self.display.show(img)
                shown = time.monotonic()
                self.stats.display_t.append(shown)
                lat = (shown - cap.t_wall) * 1000.0
                self.stats.latency_ms.append(lat)
                lat_window.append(lat)
                del lat_window[:-p.readout_window]
                self.hud.latency_ms = float(np.median(lat_window))
                n = min(len(self.stats.display_t), p.readout_window)
                if n >= 2:
                    span = self.stats.display_t[-1] - self.stats.display_t[-n]
                    self.hud.fps = (n - 1) / span if span > 0 else None
                if self.recorder is not None:
                    self.recorder.write(img, cap.t_ms - (first_ms or 0.0))
                if end_reason == "target_met":
                    break
                if self.max_seconds is not None and first_ms is not None and \
                        (cap.t_ms - first_ms) / 1000.0 >= self.max_seconds:
                    end_reason = "time_limit"
                    break
                action = self._key(key, paused)
                if pain_until is not None:
                    if key >= 0 or cap.t_ms / 1000.0 >= pain_until:
                        end_reason = "pain_stop"
                        break
                    continue
            if action == "quit":
                end_reason = "quit"
                break
            if action == "next":
                end_reason = "next"
                break
            if action == "pause":
                paused = not paused
                grabber.pause(paused)
                (worker.skip.set if paused else worker.skip.clear)()
                if paused and last_img is not None:
                    self.hud.paused = True
                    frozen = last_img.copy()
                    self.annotator.annotate(frozen, None, self.hud)
                    self.display.show(frozen)
            if action == "pain" and pain_until is None:
                t = (cap.t_ms if cap is not None else grabber.clock.ms()) / 1000.0
                pain_until = self._pain(t, recorded=False)
                worker.skip.set()
                if paused:
                    paused = False
                    grabber.pause(False)
        return SessionOutcome(self.processor.result(), end_reason, self.stats, message)

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


# ---- recording --------------------------------------------------------------------------------


class Recorder:
    """The annotated live video (H.264 via video.VideoWriter), kept in real time: a frame is
    repeated for the source frames dropped after it, so the file plays at the right speed.

    Encoding runs in its own thread behind a bounded queue, so it never slows the live loop;
    if the encoder cannot keep up, frames are skipped (counted in ``skipped``) rather than
    delaying what the person sees.
    """

    def __init__(self, path: str | os.PathLike, fps: float, queue_frames: int = 45,
                 preset: str = "ultrafast"):
        import queue

        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 30.0
        self.preset = preset
        self.frames = 0  # frames written to the file (repeats included)
        self.skipped = 0
        self._queued = 0  # frames accounted for (written or queued)
        self._q: queue.Queue = queue.Queue(maxsize=queue_frames)
        self._writer = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="formcheck-record", daemon=True)
        self._thread.start()

    def write(self, rgb: NDArray[np.uint8], t_ms: float) -> None:
        """Queue one displayed frame shown ``t_ms`` after the start. Never blocks."""
        import queue

        target = int(t_ms / 1000.0 * self.fps) + 1
        repeat = target - self._queued
        if repeat <= 0:
            return
        try:
            self._q.put_nowait((rgb, repeat))
            self._queued = target
        except queue.Full:
            self.skipped += 1

    def _run(self) -> None:
        from formcheck.io.video import VideoWriter

        while True:
            item = self._q.get()
            if item is None:
                return
            if self._error is not None:
                continue
            rgb, repeat = item
            try:
                if self._writer is None:
                    h, w = rgb.shape[:2]
                    self._writer = VideoWriter(self.path, self.fps, (w, h), preset=self.preset)
                for _ in range(repeat):
                    self._writer.write(rgb)
                    self.frames += 1
            except Exception as exc:  # reported by close(); the live view goes on
                self._error = exc

    def close(self) -> Path | None:
        """Finish writing (waits for the queue to drain) and move the file into place."""
        self._q.put(None)
        self._thread.join()
        if self._error is not None:
            if self._writer is not None:
                self._writer.abort()
            raise VideoError(f"recording {self.path} failed: {self._error}")
        if self._writer is None:
            return None
        w, self._writer = self._writer, None
        return w.close()


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
    params: LiveParams = LiveParams()


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
    lines.append(f"  video: {s['displayed_fps']:.0f} fps shown, latency "
                 f"{s['latency_ms_median']:.0f} ms median, {s['dropped_frames']} stale frames "
                 "skipped")
    return "\n".join(lines)


def result_json(outcome: SessionOutcome, source: str, info: VideoInfo | None, model: str) -> dict:
    from formcheck.analysis.pipeline import Analysis, result_document

    analysis = Analysis(outcome.result, [], source, info.fps if info else 0.0,
                        (info.width, info.height) if info else (0, 0))
    return result_document(analysis, {
        "model": model, "mode": "live", "end_reason": outcome.end_reason,
        "message": outcome.message, "live": outcome.stats.summary(),
    })


def run_live(opts: LiveOptions, out=sys.stdout) -> int:
    """The `formcheck live` command. Returns the exit status."""
    from formcheck.analysis.pipeline import FrameProcessor
    from formcheck.coach.voice import VoiceCoach, make_voice
    from formcheck.io.estimator import EstimatorOptions, PoseEstimator

    validate_exercise(opts.exercise)
    print(DISCLAIMER, file=out)
    started = datetime.now(UTC)
    voice = make_voice(opts.voice)  # before the camera: a missing espeak-ng leaves nothing open
    try:
        source, desc = open_camera(opts.camera)
    except VideoError:
        if voice is not None:
            voice.close()
        raise
    coach = VoiceCoach(voice) if voice is not None else None
    display = None
    recorder = Recorder(opts.record, source.info.fps) if opts.record else None
    grabber = None
    outcome: SessionOutcome | None = None
    try:
        display = CvWindow(f"formcheck - {EXERCISE_NAMES[opts.exercise]}",
                           opts.params.display_max_width)
        est_opts = EstimatorOptions(model=opts.model, model_path=opts.model_path)
        with PoseEstimator(est_opts) as est:
            clock = SessionClock()
            if hasattr(source, "__enter__"):
                source.__enter__()
            grabber = FrameGrabber(source, clock, desc).start()
            from formcheck.coach.programme import step_for

            prog = step_for(opts.exercise)
            session = LiveSession(
                StepSpec(opts.exercise, prog.target_text if prog else ""), est, display,
                lambda: FrameProcessor(opts.exercise), coach=coach, recorder=recorder,
                params=opts.params, setup=opts.setup, max_seconds=opts.max_seconds,
            )
            if coach is not None:
                coach.say(START_POSITION_CUES[opts.exercise])
            outcome = session.run(grabber)
    finally:
        release_session(grabber, source, display, voice,
                        pain_stop=bool(outcome and outcome.end_reason == "pain_stop"))
        if recorder is not None:
            recorder.close()
    save_outcome(outcome, opts, desc, source.info, started, out=out)
    if recorder is not None and recorder.frames:
        print(f"  recording: {opts.record}", file=out)
    return 1 if outcome.end_reason == "camera_lost" else 0


def release_session(grabber, source, display, voice, pain_stop: bool) -> None:
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
                 started: datetime, out=sys.stdout) -> None:
    """Print the summary, write the result JSON (--json) and append to the history; also
    (above all) when the camera went away mid-set."""
    from formcheck.coach.history import append_session, session_record

    if outcome.message:
        print(f"formcheck: {outcome.message} - saving what was recorded so far", file=sys.stderr)
    print(format_live_summary(outcome.result, outcome.end_reason, outcome.stats), file=out)
    if opts.json_path:
        write_json_atomic(Path(opts.json_path), result_json(outcome, desc, info, opts.model))
    if opts.save_history:
        rec = session_record([outcome.result], mode="live", source=desc, started=started,
                             end_reason=outcome.end_reason)
        path = append_session(rec, opts.history)
        print(f"  saved to your history: {path}", file=out)
        from formcheck.coach.progress import refresh_after_session

        print(f"  {refresh_after_session(opts.history)}", file=out)


# ---- command line -------------------------------------------------------------------------------


def add_parsers(sub) -> None:
    """The `live`, `routine` and `history` subcommands (called by cli.build_parser)."""
    from formcheck.core.checks import EXERCISE_IDS

    def camera_args(p):
        p.add_argument("--camera", default="0", metavar="INDEX|FILE",
                       help="camera index (default 0), or a video file played as if it were "
                       "a camera (real time, frames dropped when the model is slower)")
        p.add_argument("--model", choices=["lite", "full", "heavy"], default="full",
                       help="pose model variant (default: full; lite is faster on slow PCs)")
        p.add_argument("--model-path", metavar="FILE", help="explicit pose_landmarker .task file")
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


def main_live(args) -> int:
    opts = LiveOptions(
        exercise=args.exercise, camera=str(args.camera), model=args.model,
        model_path=args.model_path, voice=not args.no_voice, record=args.record,
        json_path=args.json, history=args.history, save_history=not args.no_history,
        setup=not args.no_setup, max_seconds=args.max_seconds,
    )
    return run_live(opts)
