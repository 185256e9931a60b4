"""Frame sources (video files, cameras) and the annotated-video sink.

Sources are context managers that release their device or file in ``finally`` and yield
:class:`Frame` objects with RGB pixels and a timestamp from the stream. File decoding runs in
a reader thread so it overlaps pose inference (the model is the cost to approach).
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
from numpy.typing import NDArray

from formcheck.core.errors import FormcheckError
from formcheck.io.inputs import ffmpeg_local_url
from formcheck.io.outputs import TMP_PREFIX, describe_write_error, file_mode

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.stream import VideoStream


class VideoError(FormcheckError):
    """A video could not be opened, decoded or written. The message is user-facing."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame: (H, W, 3) uint8 RGB, its index and its time in the stream (ms)."""

    index: int
    timestamp_ms: float
    #: :data:`NO_PIXELS` for a frame decoded but not converted (``VideoFileSource(rgb_every=k)``)
    rgb: NDArray[np.uint8]

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.rgb.shape[:2]
        return w, h


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    frame_count: int | None
    duration_s: float | None
    rotation: int = 0


class _Sentinel(Enum):
    END = "end"


#: what the reader thread queues after the last frame
_END: Final = _Sentinel.END
#: the pixels of a frame decoded but not converted to RGB (nothing looks at it)
NO_PIXELS: NDArray[np.uint8] = np.zeros((0, 0, 3), np.uint8)
NO_PIXELS.setflags(write=False)
#: memory for frames waiting in one queue between threads: 8 frames of 720p (22 MB) keep the
#: model fed through decoding hiccups; 1080p gets 5 (31 MB), 4K 2 (50 MB) instead of 8 (200 MB).
#: Measured peak RSS of analyze with --out-video on 1080p plank_08: 503 MB with a 64 MB
#: budget, 449 MB with this one (720p glute_bridge_01: about 345 MB either way).
QUEUE_BUDGET_BYTES = 32 * 1024 * 1024


def frames_within_budget(width: int, height: int, most: int = 8, least: int = 2) -> int:
    """How many RGB frames of this size one inter-thread queue may hold."""
    per_frame = max(1, width * height * 3)
    return int(max(least, min(most, QUEUE_BUDGET_BYTES // per_frame)))
#: a file that decodes to fewer than this share of the frames its header lists is treated as
#: cut short (all 24 sample clips decode to exactly their listed count)
SHORTFALL = 0.9


def _rotate(rgb: NDArray[np.uint8], degrees: int) -> NDArray[np.uint8]:
    """Rotate by the display-matrix angle (degrees counter-clockwise, as FFmpeg reports it)."""
    k = (int(round(degrees / 90.0))) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=k)) if k else rgb


class VideoFileSource:
    """Decode a video file with PyAV in a background thread.

    Timestamps come from each frame's presentation time (pts x time base); when a stream has
    none, index x 1000 / fps with the stream's exact (fractional) rate. Rotation metadata
    (portrait phone clips) is applied so landmarks are found on the upright picture.

    Usage::

        with VideoFileSource("clip.mp4") as src:
            for frame in src:
                ...
    """

    def __init__(self, path: str | os.PathLike[str], queue_size: int | None = None,
                 rgb_every: int = 1):
        self.path = Path(path)
        #: only frames 0, k, 2k, ... are converted to RGB; the others come with ``NO_PIXELS``
        #: (a caller that looks at every k-th frame saves the colour conversion)
        self.rgb_every = max(1, int(rgb_every))
        self._container: Any = None  # av.container.InputContainer once open
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        #: frames the reader thread decoded so far (final once iteration has ended)
        self.frames_decoded = 0
        self.info = self._probe()
        #: frames decoded ahead at most (default: :func:`frames_within_budget`)
        self.queue_size = queue_size or frames_within_budget(self.info.width, self.info.height)
        self._queue: queue.Queue[Frame | BaseException | _Sentinel] = queue.Queue(
            maxsize=self.queue_size)

    def _probe(self) -> VideoInfo:
        import av  # local: keeps `import formcheck` light

        if not self.path.exists():
            raise VideoError(f"no such file: {self.path}")
        if self.path.is_dir():
            raise VideoError(f"{self.path} is a folder, not a video file")
        if not self.path.is_file():
            raise VideoError(f"{self.path} is not a regular file (a device, pipe or socket)")
        if self.path.stat().st_size == 0:
            raise VideoError(f"{self.path} is empty (0 bytes)")
        try:  # "file:" + absolute path: no part of the name can be read as a URL or protocol
            container = av.open(ffmpeg_local_url(self.path))
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise VideoError(f"{self.path} is not a readable video ({_short(exc)})") from None
        if not container.streams.video:
            container.close()
            raise VideoError(f"{self.path} has no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        width, height = stream.codec_context.width, stream.codec_context.height
        rotation = _display_rotation(container, stream)
        # the first frame was decoded to read it: start again from the top
        container.close()
        try:
            container = av.open(ffmpeg_local_url(self.path))
        except (av.error.FFmpegError, OSError) as exc:
            raise VideoError(f"{self.path} is not a readable video ({_short(exc)})") from None
        stream = container.streams.video[0]
        if rotation % 180:  # frames are turned upright, so the picture is the other way round
            width, height = height, width
        self._container = container
        self._stream = stream
        self._rate = Fraction(rate) if rate else Fraction(30, 1)
        info = VideoInfo(
            str(self.path), width, height, fps, stream.frames or None, duration, rotation
        )
        if width == 0 or height == 0:
            container.close()
            raise VideoError(f"{self.path} has a video stream with no picture size")
        return info

    def __enter__(self) -> VideoFileSource:
        # Single-threaded decoding: it already runs beside the model in its own thread, and
        # FFmpeg's frame threads ("AUTO") cost more CPU per frame (720p H.264: 1.9-3.1 ms vs
        # 1.7 ms measured) that the model then lacks on a 2-core machine.
        self._thread = threading.Thread(target=self._reader, name="formcheck-decode", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        # drain so the reader can finish a blocked put
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None

    def _put(self, item: Frame | BaseException | _Sentinel) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _reader(self) -> None:
        import av

        lower_thread_priority()
        index = 0
        tb = self._stream.time_base
        try:
            for frame in self._container.decode(self._stream):
                if self._stop.is_set():
                    return
                if frame.pts is not None and tb is not None:
                    t_ms = float(frame.pts * tb) * 1000.0
                else:
                    t_ms = float(index / self._rate) * 1000.0
                rgb = NO_PIXELS
                if index % self.rgb_every == 0:
                    rgb = frame.to_ndarray(format="rgb24")
                    rot = getattr(frame, "rotation", 0) or 0
                    if rot:
                        rgb = _rotate(rgb, rot)
                if not self._put(Frame(index, t_ms, rgb)):
                    return
                index += 1
        except (av.error.FFmpegError, ValueError, OSError) as exc:
            self._put(VideoError(
                f"{self.path} is damaged or cut short: decoding failed after {index} frames "
                f"({_short(exc)})"
            ))
            return
        except Exception as exc:  # hand any other failure to the consumer: never hang it
            self._put(exc)
            return
        finally:
            self.frames_decoded = index
        declared = self.info.frame_count
        if declared and declared - index >= 2 and index < SHORTFALL * declared:
            # the container promised more pictures than the data holds: a cut-off file
            self._put(VideoError(
                f"{self.path} is damaged or cut short: it ended after {index} of the "
                f"{declared} frames its header lists"
            ))
            return
        self._put(_END)

    def __iter__(self) -> Iterator[Frame]:
        if self._thread is None:
            raise RuntimeError("use the source inside a `with` block")
        last_t = -np.inf
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            # Some files carry repeated or out-of-order pts: keep time strictly increasing.
            if item.timestamp_ms <= last_t:
                item = Frame(item.index, last_t + 1.0, item.rgb)
            last_t = item.timestamp_ms
            yield item


class CameraSource:
    """Frames from a camera (OpenCV index) with wall-clock timestamps (ms since open).

    Raises :class:`VideoError` if the camera cannot be opened; iteration stops with a
    VideoError when it disconnects (no frame for ``timeout_s``).
    """

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None,
                 timeout_s: float = 2.0):
        import cv2

        self.index = index
        self.timeout_s = timeout_s
        self._cap: Any = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise VideoError(
                f"camera {index} could not be opened (is it connected, and not used by another program?)"
            )
        if width:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        fps = self._cap.get(cv2.CAP_PROP_FPS) or 30.0
        w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.info = VideoInfo(f"camera:{index}", w, h, float(fps), None, None)

    def __enter__(self) -> CameraSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __iter__(self) -> Iterator[Frame]:
        import time

        import cv2

        t0 = time.monotonic()
        index = 0
        last_ok = t0
        while self._cap is not None:
            ok, bgr = self._cap.read()
            now = time.monotonic()
            if not ok or bgr is None:
                if now - last_ok > self.timeout_s:
                    raise VideoError(f"camera {self.index} stopped sending frames (disconnected?)")
                time.sleep(0.01)
                continue
            last_ok = now
            rgb = cast(NDArray[np.uint8], cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            yield Frame(index, (now - t0) * 1000.0, rgb)
            index += 1


class VideoWriter:
    """Write RGB frames to an H.264 mp4 (PyAV/libx264), atomically.

    Frames go to a temporary file beside the target, renamed into place by :meth:`close`
    only when writing succeeded; :meth:`abort` (or an exception inside ``with``) deletes it,
    so no partial file is left pretending to be complete.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, size: tuple[int, int],
                 crf: int = 23, preset: str = "veryfast"):
        import av

        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".mp4", dir=self.path.parent)
        except OSError as exc:
            raise VideoError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        os.close(fd)
        # mkstemp makes the file private (0600); the finished video gets the usual mode
        os.chmod(tmp, file_mode())
        self._tmp = Path(tmp)
        w, h = size
        # libx264 with yuv420p needs even dimensions
        self._w, self._h = w - w % 2, h - h % 2
        try:
            self._container: Any = av.open(ffmpeg_local_url(self._tmp), mode="w", format="mp4")
            rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
            self._stream = self._container.add_stream("libx264", rate=rate)
            self._stream.width, self._stream.height = self._w, self._h
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": str(crf), "preset": preset}
            self._stream.codec_context.thread_count = 1
        except Exception as exc:
            self._tmp.unlink(missing_ok=True)
            raise VideoError(f"cannot write {self.path}: {_short(exc)}") from None
        self.frames = 0

    def write(self, rgb: NDArray[np.uint8]) -> None:
        """Encode one (H, W, 3) uint8 RGB frame."""
        import av
        import cv2

        if rgb.shape[0] != self._h or rgb.shape[1] != self._w:
            rgb = np.ascontiguousarray(rgb[: self._h, : self._w])
        # RGB -> YUV 4:2:0 with OpenCV's SIMD code, not libswscale inside encode(): 720p
        # encoding (ultrafast) took 3.4-3.6 instead of 5.2-6.3 ms of CPU per frame, with the
        # same colours after decoding (mean error 2.1 vs 2.2 levels per channel).
        yuv = cast(NDArray[np.uint8], cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420))
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except OSError as exc:  # a full disk, above all: one line that says so
            raise VideoError(describe_write_error(exc, self.path)) from None
        self.frames += 1

    def close(self) -> Path:
        if self._container is None:
            return self.path
        try:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            self._container = None
            if self.frames == 0:
                raise VideoError(f"no frames were written to {self.path}")
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self.abort()
            raise VideoError(describe_write_error(exc, self.path)) from None
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # the file is being thrown away anyway
                pass
            self._container = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


#: niceness added to the decode and encode threads (Linux; per thread). The model's own
#: threads then get the CPU first when other programs load the machine; on an idle machine
#: it changes nothing (the model uses one core, these threads the other).
AUX_THREAD_NICE = 4


def lower_thread_priority(steps: int | None = None) -> None:
    """Raise the calling thread's nice value by ``steps`` (default :data:`AUX_THREAD_NICE`).
    Best effort: a no-op where per-thread priorities are not available."""
    steps = AUX_THREAD_NICE if steps is None else steps
    if steps <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + steps))
    except OSError:
        pass


def _display_rotation(container: InputContainer, stream: VideoStream) -> int:
    """The rotation (degrees) a player applies to this stream (a phone's display matrix), as
    the decoder reports it on the first frame; 0 when none or unreadable."""
    import av

    try:
        for frame in container.decode(stream):
            return int(getattr(frame, "rotation", 0) or 0)
    except (av.error.FFmpegError, ValueError, OSError):
        pass
    return 0


def _short(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return msg[0] if msg else type(exc).__name__
