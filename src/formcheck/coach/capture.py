"""Capture: the session clock, the one-slot mailbox, a video file paced as if it were a camera,
and the capture thread (:class:`FrameGrabber`) that puts each new frame into the mailbox.

Real time, not a queue: when the model is slower than the camera the older, unprocessed frame
is replaced (counted as dropped), so what is shown is always the newest picture and latency
cannot build up. Each frame gets a capture timestamp from one monotonic session clock (ms):
that is what the estimator (MediaPipe VIDEO mode, timestamps strictly increasing) and the
analyzer see.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

# OpenCV must be loaded before PyAV: when PyAV's bundled libraries load first, OpenCV's Qt
# window (namedWindow) hangs forever on X11 (measured here: `import av, cv2; namedWindow`
# never returns; `import cv2, av` works). Every coach module that shows or captures video
# imports cv2 at the top, before anything decodes video.
import cv2  # order matters, see above

from formcheck.io.video import CameraSource, Frame, VideoError, VideoInfo


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


T = TypeVar("T")


class LatestFrame(Generic[T]):
    """A one-slot mailbox: ``put`` replaces an unread item (counted in ``dropped``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self.dropped = 0
        self.put_count = 0
        self.closed = False

    def put(self, item: T) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.put_count += 1
            self._cond.notify_all()

    @property
    def pending(self) -> bool:
        return self._item is not None

    def get(self, timeout: float) -> T | None:
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

    def __init__(self, path: str | os.PathLike[str]):
        from formcheck.io.video import VideoFileSource

        self._src = VideoFileSource(path)
        self.info: VideoInfo = self._src.info
        self._paused = threading.Event()
        self._stop = threading.Event()

    def __enter__(self) -> PacedFileSource:
        self._src.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
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

    def __init__(self, source: Iterable[Frame], clock: SessionClock, name: str = ""):
        self.source = source
        self.clock = clock
        self.name = name
        self.info: VideoInfo | None = getattr(source, "info", None)
        self.mailbox: LatestFrame[Captured] = LatestFrame()
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


def open_camera(spec: str) -> tuple[CameraSource | PacedFileSource, str]:
    """A camera index ("0") -> CameraSource; a video file -> PacedFileSource. Returns
    (source, description). Raises VideoError with a clear message when it cannot be opened."""
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
