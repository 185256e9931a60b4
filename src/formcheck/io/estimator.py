"""Pose estimation with MediaPipe's Pose Landmarker (Tasks API).

This is the only module that imports mediapipe. Everything else sees :class:`Pose` values.

VIDEO running mode is used for files *and* live frames: it runs synchronously on the frame
it is given and uses the previous frame's landmarks to track, so a live loop that always
hands it the newest camera frame gets the lowest latency without LIVE_STREAM's callback
queue (which would let results lag behind the person).

By default (``num_poses=2``) MediaPipe's person detector runs on every frame it is given, so
a second person is found and the largest one is analysed (for recorded video the CLI and batch
give it about :data:`RECORDED_MODEL_FPS` frames per second, see
:meth:`EstimatorOptions.for_recorded_video`). With ``num_poses=1`` (``--track``) one
person is tracked: the detector runs only when the track is lost, which on a 720p clip is
about 1.45x faster with 5x less frame-to-frame jitter (bench/bench_tracking.py), and a second,
multi-person landmarker (the people check) runs about once a second (``people_check_ms``) to
find others; while it sees more than one person it runs on every frame instead of the tracker
(the largest person is analysed), until it sees one person again.

Live coaching (``formcheck live`` and ``routine``) tracks the person being coached: there the
model's time per frame decides whether the camera's 30 frames per second are kept, and tracking
halves it (lite 15-18 ms against 32 with the detector on every frame, bench/bench_live_latency.py).
Recorded video is not tracked by default: the model on about 15 frames per second with the
detector on each is faster still, and tracking reads some small posture changes smaller, while the
analyzers' thresholds were measured on landmarks detected on every frame. Which view is right
(bench/bench_tracking_swing.py, the heavy model both ways as the reference, 2026-12-01):

* pelvic tilt: the shoulder-hip-knee swing (p95 - p5 of its 5-frame mean) of pelvic_tilt_11 /
  pelvic_tilt_01 reads 3.8 / 5.9 deg tracked, 6.8 / 11.7 detected on every frame, and 5.0-5.4 /
  6.8-7.5 with the heavy model tracked or detected: tracking reads 20-30 % under the heavy
  model, per-frame detection 25-70 % over it. Read from that angle, tracking lost pelvic tilts
  (pelvic_tilt_11 cut at 3.0 s, tests/test_lying_scenario_clips.py, counted 0 reps instead of 1;
  pelvic_tilt_01 at 1.25x 0 instead of 4); read from the hip's slide along the shoulder-knee
  line (2026-12-02), both count as detected, and tracked pelvic tilt fails only the suite's
  0.5 % landmark jitter, which tracked landmarks get unsmoothed.
* sitting_01's slouch (5.9-7.6 s): the trunk lean reads 4 deg tracked (heavy 10) and 31 deg
  detected (heavy 34). Drawn on the frames, per-frame detection (full and heavy alike) puts
  the hip on the chair's backrest behind and above where the thigh starts, with the knee
  below the seat: a broken leg chain. Tracking keeps the hip on the thigh line, a little in
  front of the hidden hip joint. Neither is right; by eye the lean is about 15-20 deg.
* the cause is the tracker's region of interest, cut around its own previous landmarks: one
  still frame handed over again and again moves the tracked hip 80 px over 10 frames to where
  that loop settles, while the detector's answer does not move. It is not MediaPipe's One Euro
  filter (the Tasks graph puts one, min cutoff 0.05 Hz, behind a one-pose tracker in VIDEO
  mode, with no option to turn it off): timestamps 1000 s apart, which make that filter pass
  raw values, give the same drift, and swings of 4.0 / 5.6 deg (pelvic_tilt_11 / _01) and a
  3.8 deg slouch lean, as filtered (3.8 / 5.9, 3.7). Nor is it this
  module: the people check replaces the tracker's result only while it sees more than one
  person or when the tracker lost the person, and the tracker sees every frame, in order.

`formcheck evaluate` on the 37 labelled clips agrees as well either way (reps 23/23, faults
21/21, no false alarms, 2026-12-02); the landmark robustness suite holds 326/328 tracked
(``python -m formcheck.analysis.robustness --track``: pelvic_tilt_01 and sitting_01 with 0.5 %
jitter; bird_dog 35/35 since the bird-dog counts a return the clip's end cuts short and takes
the hand under its shoulder as the support) against 328/328 detected on every frame.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from formcheck.core.pose import Pose
from formcheck.io.model_download import resolve_model
from formcheck.io.models import ModelError
from formcheck.io.offline import block_native_uploads, unblock_native_uploads

#: a MediaPipe Tasks object (landmarker, image, result): mediapipe publishes no type information
MpObject: TypeAlias = Any


#: recorded video, with the person detector on every model frame (the default): the model runs on
#: about this many frames per second (every other frame of a 30 fps clip) unless asked for
#: every frame (``--full-rate``). The exercises are slow (holds of seconds, controlled reps):
#: `formcheck evaluate` on the 37 labelled clips gives the same agreement as every frame
#: (reps 23/23, faults 21/21, no false alarms; glute_bridge_14 finds 3 reps for its 2 +- 1),
#: and the landmark robustness suite on these thinned landmarks holds 328/328 (its half-rate
#: variant then runs at 7.5 fps); at 10 fps evaluate agrees as well but the suite holds
#: 327/328 (pelvic_tilt_01 with jitter counts 3 of 4), so 15. `formcheck analyze --json` on
#: glute_bridge_01 takes 1.9x less time (2026-12-01). Not with tracking
#: (``num_poses=1``): tracked on every other frame, bird_dog_02 and pelvic_tilt_01 lose a rep
#: and lifting_05 its not_visible (reps 21/23, faults 20/21), so a tracker sees every frame.
RECORDED_MODEL_FPS = 15.0


@dataclass(frozen=True)
class EstimatorOptions:
    """Settings for :class:`PoseEstimator`."""

    #: model variant: lite (fastest), full (default), heavy (most accurate, ~3x slower)
    model: str = "full"
    #: explicit .task file; overrides ``model`` lookup
    model_path: str | None = None
    #: 2 (default): the person detector runs on every frame and finds up to two people (the
    #: largest is analysed). 1: track the person being coached (the detector runs only when
    #: the track is lost; others are looked for by the people check): faster and steadier,
    #: but see the module docstring for what it reads smaller
    num_poses: int = 2
    #: with ``num_poses=1``: look for other people in view this often (milliseconds of the
    #: stream) with a multi-person pass, so a second person is reported, not silently mixed
    #: in, and the largest person is the one analysed. 0 = never look.
    people_check_ms: float = 1000.0
    #: live: the people check runs in a thread of its own beside the tracker, and its answer
    #: is used from a following frame on, so the frame it looks at is not held up by it (lite:
    #: about 30 ms once a second). Recorded video keeps it in line, so that a clip gives the
    #: same landmarks on every run. Only the first check (on the first frame) and the checks
    #: while more than one person is in view run in line either way.
    people_check_background: bool = False
    #: recorded video: run the model on about this many frames per second (every k-th frame,
    #: k = round(clip fps / model_fps), see :meth:`frame_step`); None = every frame. Live
    #: input does not use it (the live loop always takes the newest camera frame).
    model_fps: float | None = None
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __post_init__(self) -> None:
        if self.model not in ("lite", "full", "heavy"):
            raise ValueError(f"model must be lite, full or heavy, not {self.model!r}")
        if self.num_poses < 1:
            raise ValueError("num_poses must be >= 1")
        if not self.people_check_ms >= 0:
            raise ValueError(f"people_check_ms must be >= 0, got {self.people_check_ms}")
        for name in ("min_detection_confidence", "min_presence_confidence",
                     "min_tracking_confidence"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if self.model_fps is not None and not self.model_fps > 0:
            raise ValueError(f"model_fps must be > 0 or None, got {self.model_fps}")

    def for_recorded_video(self) -> EstimatorOptions:
        """These options with the recorded-video default rate (:data:`RECORDED_MODEL_FPS`)
        when no rate is set and people are detected on every model frame; else unchanged."""
        if self.model_fps is not None or self.num_poses == 1:
            return self
        return replace(self, model_fps=RECORDED_MODEL_FPS)

    def frame_step(self, fps: float) -> int:
        """k: the model runs on frames 0, k, 2k, ... of a clip recorded at ``fps``."""
        if self.model_fps is None or not fps > 0:
            return 1
        return max(1, round(fps / self.model_fps))


@dataclass(frozen=True)
class Detection:
    """All people found in one frame; ``main`` is the one analysed (largest on screen)."""

    poses: tuple[Pose, ...]
    main: Pose | None


class PoseEstimator:
    """MediaPipe PoseLandmarker in VIDEO mode, as a context manager.

    ``detect(rgb, timestamp_ms)`` takes an (H, W, 3) uint8 RGB frame. Timestamps must
    increase strictly (MediaPipe's rule); a timestamp that does not is a ValueError.

    With ``num_poses=1`` and ``people_check_ms > 0`` two landmarkers share the work (see the
    module docstring): the tracker on every frame while one person is in view, and the
    people check (``num_poses=2``) every ``people_check_ms``, or on every frame while it sees
    more than one person. ``checks`` and ``crowd_frames`` count how often the check ran and
    on how many frames more than one person was seen.
    """

    #: people the check looks for: two are enough to know "more than one"
    CHECK_POSES = 2

    def __init__(self, options: EstimatorOptions = EstimatorOptions()):
        self.options = options
        self.model_path: Path = resolve_model(options.model, options.model_path)
        self._landmarker: MpObject | None = None
        self._checker: MpObject | None = None
        self._last_ts: int | None = None
        self._warm = False
        self._next_check: int | None = None
        self._crowd = False
        self.checks = 0
        self.crowd_frames = 0
        #: the people check running in the background (``people_check_background``)
        self._pending: Future[int] | None = None
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> PoseEstimator:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create(self, num_poses: int) -> MpObject:
        mp = tasks_api()
        o = self.options
        opts = mp.PoseLandmarkerOptions(
            base_options=mp.BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=mp.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=o.min_detection_confidence,
            min_pose_presence_confidence=o.min_presence_confidence,
            min_tracking_confidence=o.min_tracking_confidence,
            output_segmentation_masks=False,
        )
        # MediaPipe's native usage logging would phone home; keep it here (see io/offline.py)
        block_native_uploads()
        try:
            return mp.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError, OSError) as exc:
            unblock_native_uploads()
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"cannot load pose model {self.model_path}: {why}") from None
        except BaseException:
            unblock_native_uploads()
            raise

    def open(self) -> None:
        if self._landmarker is not None:
            return
        # Quiet TFLite/glog start-up chatter unless the user asked for it.
        os.environ.setdefault("GLOG_minloglevel", "2")
        o = self.options
        tasks_api()
        made: dict[str, MpObject] = {}

        def make_checker() -> None:
            try:
                made["checker"] = self._create(self.CHECK_POSES)
            except BaseException as exc:  # raised by open() below
                made["error"] = exc

        # the two landmarkers load at the same time (the loading releases the GIL): the
        # first frame comes sooner on two cores
        helper = None
        if o.num_poses == 1 and o.people_check_ms > 0:
            helper = threading.Thread(target=make_checker, name="formcheck-load", daemon=True)
        with _quiet_native_stderr():  # once around both: it swaps file descriptor 2
            if helper is not None:
                helper.start()
            try:
                self._landmarker = self._create(o.num_poses)
            finally:
                if helper is not None:
                    helper.join()
                    self._checker = made.get("checker")
                if self._landmarker is None:  # its error is on its way up
                    self.close()
        if "error" in made:
            self.close()
            raise made["error"]
        self._last_ts = None
        self._warm = False
        self._next_check = None
        self._crowd = False

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # a running check finishes before its landmarker closes
            self._pool, self._pending = None, None
        for name in ("_landmarker", "_checker"):
            lm = getattr(self, name)
            if lm is not None:
                setattr(self, name, None)
                try:
                    lm.close()  # where MediaPipe sends its session report
                finally:
                    unblock_native_uploads()  # one per landmarker created (see _create)

    def _run(self, landmarker: MpObject, image: MpObject, ts: int) -> MpObject:
        if self._warm:
            return landmarker.detect_for_video(image, ts)
        with _quiet_native_stderr():  # the first call initialises TFLite, which logs to C stderr
            return landmarker.detect_for_video(image, ts)

    def detect(self, rgb: NDArray[np.uint8], timestamp_ms: float) -> Detection:
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is not open: use it in a `with` block")
        mp = tasks_api()
        ts = int(round(timestamp_ms))
        if self._last_ts is not None and ts <= self._last_ts:
            raise ValueError(
                f"timestamps must increase: got {ts} ms after {self._last_ts} ms"
            )
        self._last_ts = ts
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        size = (rgb.shape[1], rgb.shape[0])
        result, seen = self._detect(image, ts)
        self._warm = True
        n = len(result.pose_landmarks)
        poses = tuple(
            Pose.from_mediapipe(
                result.pose_landmarks[i],
                result.pose_world_landmarks[i] if i < len(result.pose_world_landmarks) else None,
                timestamp_ms=float(timestamp_ms),
                image_size=size,
                num_people=max(n, seen),
            )
            for i in range(n)
        )
        return Detection(poses, _largest(poses))

    def _detect(self, image: MpObject, ts: int) -> tuple[MpObject, int]:
        """This frame's landmarker result, and how many people the people check saw in it
        (0 when it did not run)."""
        if self._checker is None:
            return self._run(self._landmarker, image, ts), 0
        if self.options.people_check_background and not self._crowd \
                and self._next_check is not None:
            return self._detect_background_check(image, ts)
        if not (self._crowd or self._next_check is None or ts >= self._next_check):
            return self._run(self._landmarker, image, ts), 0
        tracked = None if self._crowd else self._run(self._landmarker, image, ts)
        check = self._run(self._checker, image, ts)
        self.checks += 1
        seen = len(check.pose_landmarks)
        self._crowd = seen > 1
        if self._crowd:  # everyone in view, as num_poses=2 gives them: the largest is analysed
            self.crowd_frames += 1
            return check, seen
        self._next_check = self._after_interval(ts)
        if tracked is None or (seen and not tracked.pose_landmarks):
            return check, seen  # the tracker did not run (or lost the one person) this frame
        return tracked, seen

    def _detect_background_check(self, image: MpObject, ts: int) -> tuple[MpObject, int]:
        """The tracker on this frame; the people check, when due, handed to a thread of its
        own on a copy of the frame; a finished check's count is reported with this frame. Once
        it has seen more than one person, the checks run in line on every frame again (the
        largest person is analysed) until one person is left."""
        tracked = self._run(self._landmarker, image, ts)
        seen = 0
        if self._pending is not None and self._pending.done():
            seen = self._pending.result()
            self._pending = None
            self._crowd = seen > 1
            if self._crowd:
                self.crowd_frames += 1
        assert self._next_check is not None
        if self._pending is None and not self._crowd and ts >= self._next_check:
            mp = tasks_api()
            copy = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.array(image.numpy_view()))
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="formcheck-people")
            self._pending = self._pool.submit(self._count_people, copy, ts)
            self._next_check = self._after_interval(ts)
        return tracked, seen

    def _after_interval(self, ts: int) -> int:
        """When (ms) the people check is due again after one at ``ts``."""
        return ts + max(1, int(round(self.options.people_check_ms)))

    def _count_people(self, image: MpObject, ts: int) -> int:
        self.checks += 1
        return len(self._run(self._checker, image, ts).pose_landmarks)


_TASKS: SimpleNamespace | None = None
#: mediapipe's packages whose ``__init__`` files import every task (audio, text, all of vision,
#: and matplotlib for drawing_utils): 0.59 s of CPU at start-up, against 0.12 s for the pose
#: landmarker's own modules (measured with ``python -X importtime``, mediapipe 1.2.2)
_HEAVY_PACKAGES = ("mediapipe", "mediapipe.tasks", "mediapipe.tasks.python",
                   "mediapipe.tasks.python.vision")


def tasks_api() -> SimpleNamespace:
    """The few Tasks-API names used here (PoseLandmarker, PoseLandmarkerOptions, RunningMode,
    BaseOptions, Image, ImageFormat), imported once.

    Unless mediapipe is already imported, its four top packages are entered as bare namespace
    modules (their own ``__init__`` files are skipped) and only the pose landmarker's modules
    are loaded: the first frame comes about half a second sooner. If that fails (another
    mediapipe layout), the ordinary ``import mediapipe`` is used instead."""
    global _TASKS
    if _TASKS is not None:
        return _TASKS
    stubbed = _stub_heavy_packages()
    try:
        api = _import_pose_landmarker()
    except (ImportError, AttributeError):
        for name in stubbed:
            sys.modules.pop(name, None)
        for name in [m for m in sys.modules if m.startswith("mediapipe.")]:
            sys.modules.pop(name, None)
        stubbed = []
        api = _import_mediapipe()
    if stubbed:  # what `import mediapipe` users of this process may look for
        _fill_stubs(api)
    _TASKS = api
    return api


def _stub_heavy_packages() -> list[str]:
    """Unless mediapipe is already imported, enter :data:`_HEAVY_PACKAGES` as bare namespace
    modules; the names entered."""
    import importlib.util
    import types

    stubbed = []
    if "mediapipe" not in sys.modules:
        spec = importlib.util.find_spec("mediapipe")
        if spec is not None and spec.submodule_search_locations:
            root = Path(next(iter(spec.submodule_search_locations)))
            for name in _HEAVY_PACKAGES:
                pkg = types.ModuleType(name)
                pkg.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
                sys.modules[name] = pkg
                stubbed.append(name)
    return stubbed


def _import_pose_landmarker() -> SimpleNamespace:
    """The Tasks-API names from the pose landmarker's own modules."""
    import importlib

    pl = importlib.import_module("mediapipe.tasks.python.vision.pose_landmarker")
    base = importlib.import_module("mediapipe.tasks.python.core.base_options")
    image = importlib.import_module("mediapipe.tasks.python.vision.core.image")
    mode = importlib.import_module(
        "mediapipe.tasks.python.vision.core.vision_task_running_mode")
    return SimpleNamespace(
        PoseLandmarker=pl.PoseLandmarker, PoseLandmarkerOptions=pl.PoseLandmarkerOptions,
        RunningMode=mode.VisionTaskRunningMode, BaseOptions=base.BaseOptions,
        Image=image.Image, ImageFormat=image.ImageFormat)


def _import_mediapipe() -> SimpleNamespace:
    """The Tasks-API names through the ordinary ``import mediapipe``."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    return SimpleNamespace(
        PoseLandmarker=vision.PoseLandmarker, PoseLandmarkerOptions=vision.PoseLandmarkerOptions,
        RunningMode=vision.RunningMode, BaseOptions=BaseOptions,
        Image=mp.Image, ImageFormat=mp.ImageFormat)


def _fill_stubs(api: SimpleNamespace) -> None:
    """Give the stubbed packages the names ``import mediapipe`` users look for."""
    from importlib.metadata import PackageNotFoundError, version

    top: Any = sys.modules["mediapipe"]
    try:
        top.__version__ = version("mediapipe")
    except PackageNotFoundError:
        top.__version__ = "unknown"
    top.Image, top.ImageFormat = api.Image, api.ImageFormat
    vis: Any = sys.modules["mediapipe.tasks.python.vision"]
    vis.PoseLandmarker, vis.PoseLandmarkerOptions = (api.PoseLandmarker,
                                                     api.PoseLandmarkerOptions)
    vis.RunningMode = api.RunningMode
    python: Any = sys.modules["mediapipe.tasks.python"]
    python.BaseOptions = api.BaseOptions


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence what TFLite and glog write straight to file descriptor 2 while a model is
    loaded and first run ("Created TensorFlow Lite XNNPACK delegate", alignment warnings):
    noise for a user. Python exceptions still propagate. FORMCHECK_VERBOSE=1 keeps it all."""
    if os.environ.get("FORMCHECK_VERBOSE"):
        yield
        return
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (e.g. captured)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _largest(poses: tuple[Pose, ...]) -> Pose | None:
    """The person who takes up the most of the frame (the one exercising, usually)."""
    if not poses:
        return None
    def area(p: Pose) -> float:
        xy = p.image[:, :2]
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) == 0:
            return 0.0
        span = np.clip(xy, 0, 1).max(axis=0) - np.clip(xy, 0, 1).min(axis=0)
        return float(span[0] * span[1])
    return max(poses, key=area)
