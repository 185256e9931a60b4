"""The pose thread: the model runs on the newest captured frame, beside the display loop."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from formcheck.coach.capture import Captured, FrameGrabber, LatestFrame

if TYPE_CHECKING:
    from formcheck.io.estimator import Detection


class Estimator(Protocol):
    """What the worker needs of :class:`~formcheck.io.estimator.PoseEstimator`."""

    def detect(self, rgb: NDArray[np.uint8], timestamp_ms: float) -> Detection: ...


class InferenceWorker:
    """Runs the pose model in its own thread on the newest captured frame, and posts
    (frame, detection) to a one-slot mailbox for the display loop (newest wins again).

    The display loop (overlay, window, keys) then works on frame k while the model already
    runs on frame k+1, so on two cores the model sets the pace, not model + drawing. The
    model releases the GIL while it runs (measured: a Python thread keeps running beside it).
    ``skip`` set (paused, stopping) passes frames through without running the model.
    """

    def __init__(self, estimator: Estimator, grabber: FrameGrabber, model_ms: list[float],
                 wait_ms: list[float] | None = None):
        self.estimator = estimator
        self.grabber = grabber
        #: per processed frame: the model's time, and how long the frame waited for it
        #: (capture to the model's start), in ms
        self.model_ms = model_ms
        self.wait_ms = wait_ms if wait_ms is not None else []
        #: (frame, detection or None when skipped, monotonic time the model was done)
        self.results: LatestFrame[tuple[Captured, Detection | None, float]] = LatestFrame()
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
                    t0 = time.monotonic()
                    self.wait_ms.append((t0 - cap.t_wall) * 1000.0)
                    det = self.estimator.detect(cap.frame.rgb, cap.t_ms)
                    self.model_ms.append((time.monotonic() - t0) * 1000.0)
                self.results.put((cap, det, time.monotonic()))
        except Exception as exc:  # handed to the display loop, which re-raises it
            self.error = exc
        finally:
            self.finished.set()
            self.results.close()
