"""Recording the annotated live video in real time, in its own thread."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from formcheck.io.video import VideoError, VideoWriter


class Recorder:
    """The annotated live video (H.264 via video.VideoWriter), kept in real time: a frame is
    repeated for the source frames dropped after it, so the file plays at the right speed.

    Encoding runs in its own thread behind a bounded queue, so it never slows the live loop;
    if the encoder cannot keep up, frames are skipped (counted in ``skipped``) rather than
    delaying what the person sees.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, queue_frames: int = 45,
                 preset: str = "ultrafast"):
        import queue

        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 30.0
        self.preset = preset
        self.frames = 0  # frames written to the file (repeats included)
        self.skipped = 0
        self._queued = 0  # frames accounted for (written or queued)
        self._q: queue.Queue[tuple[NDArray[np.uint8], int] | None] = queue.Queue(maxsize=queue_frames)
        self._writer: VideoWriter | None = None
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
