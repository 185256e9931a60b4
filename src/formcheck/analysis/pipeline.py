"""Running an analysis: pose stream -> smoothing -> exercise analyzer (-> a frame writer).

Two entry points share the same per-frame step (:class:`FrameProcessor`):

* :func:`analyze_track` scores a cached :class:`PoseTrack` (no model, no pixels);
* :func:`analyze_video` decodes a clip, runs the model, scores, and optionally hands each
  frame to a :class:`FrameWriter` (the annotated video of :mod:`formcheck.render.annotated_video`;
  this layer draws nothing itself).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Protocol, TypeAlias, TypeVar

import numpy as np

from formcheck.analysis.recognize import Recognizer, position_of
from formcheck.analysis.smoothing import OneEuroParams, PoseSmoother
from formcheck.analysis.track import PoseTrack
from formcheck.core.checks import EXERCISE_NAMES
from formcheck.core.pose import Pose
from formcheck.core.results import ExerciseResult, FaultSpan, FrameFeedback
from formcheck.exercises import make_analyzer
from formcheck.io.estimator import EstimatorOptions

if TYPE_CHECKING:
    from formcheck.io.estimator import PoseEstimator
    from formcheck.io.video import Frame, VideoFileSource

#: the item type of a :class:`Stage`
T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisOptions:
    exercise: str
    estimator: EstimatorOptions = field(default_factory=EstimatorOptions)
    #: the default suits the default estimator; with tracking pass default_smoothing(estimator)
    smoothing: OneEuroParams | None = field(default_factory=OneEuroParams)
    #: keep every frame's feedback (signals for plots and reports)
    keep_frames: bool = True


#: the smoothing that goes with the default estimator's landmarks (:func:`default_smoothing`)
DEFAULT_SMOOTHING = "default"


def default_smoothing(estimator: EstimatorOptions) -> OneEuroParams | None:
    """The One Euro filter for landmarks detected on every frame; none for tracked ones.

    Tracked landmarks (``num_poses=1``) are already steady (bench/bench_tracking.py), and the
    filter on top of them damped small movements: on the labelled clips, tracking with it
    found 21 of 23 rep counts (pelvic_tilt_01 2 of 4, bird_dog_02 2 of 3), without it 23."""
    return None if estimator.num_poses == 1 else OneEuroParams()


class FrameProcessor:
    """One frame at a time: smooth the pose, feed the analyzer, return its feedback."""

    def __init__(self, exercise: str, smoothing: OneEuroParams | None = OneEuroParams()):
        self.exercise = exercise
        self.analyzer = make_analyzer(exercise)
        self.smoother = PoseSmoother(smoothing) if smoothing is not None else None
        self.multi_person_frames = 0
        #: watches what the person actually does, to say so when it is another exercise
        self.recognizer = Recognizer()

    def __call__(self, pose: Pose | None, t_ms: float) -> tuple[Pose | None, FrameFeedback]:
        smoothed = self.smooth(pose)
        return smoothed, self.analyse(pose, smoothed, t_ms)

    def smooth(self, pose: Pose | None) -> Pose | None:
        """The first half of a frame: the pose smoothed (what is drawn). Live mode shows the
        frame with it before :meth:`analyse` runs, so the analysis is off the path from
        camera to screen."""
        return self.smoother.update(pose) if self.smoother is not None else pose

    def analyse(self, raw: Pose | None, smoothed: Pose | None, t_ms: float) -> FrameFeedback:
        """The second half: the analyzer on the pose :meth:`smooth` returned for ``raw``."""
        self.recognizer.add(raw)
        if smoothed is not None and smoothed.num_people > 1:
            self.multi_person_frames += 1
        return self.analyzer.update(smoothed, t_ms)

    def result(self) -> ExerciseResult:
        res = self.analyzer.result()
        if self.multi_person_frames:
            share = self.multi_person_frames / max(1, res.frames)
            res.notes.append(
                f"more than one person in {share:.0%} of frames; the largest one was analysed"
            )
            res.extra["multi_person_frames"] = self.multi_person_frames
        if res.frames and res.frames_with_pose == 0:
            res.notes.append("no person was found in any frame")
        self._check_exercise(res)
        return res

    #: recognition at least this sure and a different start position -> not_in_position
    WRONG_EXERCISE_CONFIDENCE = 0.75

    def _check_exercise(self, res: ExerciseResult) -> None:
        """When the person does another exercise than the one asked for, say what it looks
        like (``extra["looks_like"]`` and a note). If its start position differs (e.g. a
        plank analysed as a glute bridge), that is ``not_in_position`` for the whole stream."""
        rec = self.recognizer.result()
        if rec.exercise is None or rec.exercise == self.exercise:
            return
        res.extra["looks_like"] = rec.exercise
        res.extra["looks_like_confidence"] = rec.confidence
        res.notes.append(f"looks like: {rec.exercise} (confidence {rec.confidence:.2f}; "
                         f"{rec.reason}), not {self.exercise}")
        if (rec.confidence >= self.WRONG_EXERCISE_CONFIDENCE
                and position_of(rec.exercise) != position_of(self.exercise)
                and "not_in_position" not in res.fault_ids):
            a = self.analyzer
            t0 = a.t_first or 0.0
            res.faults.append(FaultSpan(
                "not_in_position", t0, a.t_last, a.cue("not_in_position"),
                worst_s=t0, worst_value=None))
            res.faults.sort(key=lambda f: (f.start_s, f.check))
            res.not_measurable.pop("not_in_position", None)


@dataclass
class Analysis:
    result: ExerciseResult
    frames: list[FrameFeedback]
    source: str = ""
    fps: float = 0.0
    image_size: tuple[int, int] = (0, 0)


def analyze_track(track: PoseTrack, exercise: str,
                  smoothing: OneEuroParams | None | str = DEFAULT_SMOOTHING) -> Analysis:
    """Score a pose track (landmarks already extracted). The default smoothing is the one
    that goes with the default estimator (the one :func:`track.load_or_extract` uses when
    given no options)."""
    params = default_smoothing(EstimatorOptions()) if isinstance(smoothing, str) else smoothing
    proc = FrameProcessor(exercise, params)
    frames = [proc(pose, t)[1] for t, pose in track.poses()]
    return Analysis(proc.result(), frames, track.source, track.fps, track.image_size)


class FrameWriter(Protocol):
    """Where :func:`analyze_video` hands each scored frame (e.g. an annotated video file).

    ``write`` gets the decoded RGB frame (a fresh array, safe to draw on), the smoothed pose and
    the frame's feedback; ``close`` finishes the output, ``abort`` throws it away.
    """

    def write(self, rgb: np.ndarray, pose: Pose | None, feedback: FrameFeedback) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


#: builds a :class:`FrameWriter` once the clip's fps and the exercise's title are known.
#: The analysis draws nothing itself; ``formcheck analyze --out-video`` passes
#: ``functools.partial(formcheck.render.annotated_video.AnnotatedVideoWriter, path)``.
VideoWriterFactory = Callable[[float, str], FrameWriter]


#: ``--exercise auto``: recognise the exercise from the clip, then analyse it
AUTO = "auto"


def analyze_path(
    video: str | os.PathLike[str],
    options: AnalysisOptions,
    video_writer: VideoWriterFactory | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Analysis:
    """One clip as ``formcheck analyze`` and ``formcheck batch`` run it.

    ``options.exercise`` is an exercise id or :data:`AUTO`. With auto, the landmarks are
    extracted once (through the track cache, with the same estimator options), the exercise
    is recognised (:func:`recognize.recognize_track`), and that exercise is analysed; the
    result's ``extra["recognized_exercise"]`` and a note say what was recognised and why.
    """
    if options.exercise != AUTO:
        return analyze_video(video, options, video_writer=video_writer, on_progress=on_progress)
    from dataclasses import replace

    from formcheck.analysis.recognize import recognize_track
    from formcheck.analysis.track import load_or_extract

    track = load_or_extract(video, options.estimator)
    rec = recognize_track(track)
    if rec.exercise is None:
        res = ExerciseResult(exercise=AUTO, frames=len(track), frames_with_pose=0,
                             notes=[f"nothing to analyse: {rec.reason}"],
                             extra={"recognized_exercise": None})
        return Analysis(res, [], str(video), track.fps, track.image_size)
    if video_writer is not None:  # drawing needs the pixels: run the clip again
        analysis = analyze_video(video, replace(options, exercise=rec.exercise),
                                 video_writer=video_writer, on_progress=on_progress)
    else:
        analysis = analyze_track(track, rec.exercise, options.smoothing)
        analysis.source = str(video)
        if not options.keep_frames:
            analysis.frames = []
    analysis.result.extra["recognized_exercise"] = rec.exercise
    analysis.result.extra["recognition"] = {"confidence": rec.confidence, "reason": rec.reason}
    analysis.result.notes.insert(0, f"recognised as {EXERCISE_NAMES[rec.exercise]} "
                                    f"(confidence {rec.confidence:.2f}): {rec.reason}")
    return analysis


def analyze_video(
    video: str | os.PathLike[str],
    options: AnalysisOptions,
    video_writer: VideoWriterFactory | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Analysis:
    """Decode, estimate, score and (optionally) write the annotated video, in one pass.

    Three threads share the work so the model (one core) is never kept waiting: the source
    decodes ahead in its reader thread; this thread only runs the model; a :class:`Stage`
    thread behind it smooths, scores (the exercise analyzer), draws and encodes, in frame
    order. Both queues are bounded (a few frames), so memory stays flat whatever the clip's
    length. If anything fails, the annotated video is not written (its temporary file is
    removed). ``on_progress`` is called from the stage thread.

    Raises:
        VideoError: the clip cannot be read, is cut short, or has no frames.
        ModelError: the pose model cannot be found or loaded.
    """
    from formcheck.io.estimator import PoseEstimator
    from formcheck.io.video import VideoError, VideoFileSource, frames_within_budget

    stage: Stage[ScoreItem] | None = None
    writer: FrameWriter | None = None
    n = 0
    try:
        src = VideoFileSource(video)
        info = src.info
        step = options.estimator.frame_step(info.fps)
        if video_writer is None:  # frames between the model's need no pixels at all
            src.rgb_every = step
        with src:
            if video_writer is not None:
                writer = video_writer(info.fps, EXERCISE_NAMES.get(options.exercise, options.exercise))
            scorer = _Scorer(FrameProcessor(options.exercise, options.smoothing),
                             options.keep_frames, writer, on_progress, info.frame_count)
            with PoseEstimator(options.estimator) as est:
                stage = Stage(scorer, name="formcheck-score",
                               queue_size=frames_within_budget(info.width, info.height))
                n = _run_model(src, est, stage, step, every_frame=writer is not None)
        if n == 0:
            raise VideoError(f"{video} has no decodable frames")
        stage.close()
        stage = None
        if writer is not None:
            writer.close()
            writer = None
    finally:
        if stage is not None:
            stage.abort()
        if writer is not None:
            writer.abort()
    frames, proc = scorer.frames, scorer.proc
    res = proc.result()
    if step > 1:
        res.extra["frame_step"] = step
        res.extra["frames_in_clip"] = n
    return Analysis(res, frames, str(video), info.fps, (info.width, info.height))


class _Marker(Enum):
    NOT_LOOKED_AT = "not looked at"
    END = "end"


#: stands for the landmarks of a frame the model did not look at (``model_fps``)
_NOT_LOOKED_AT: Final = _Marker.NOT_LOOKED_AT

#: what the stage thread gets per frame: the frame and its main pose (or _NOT_LOOKED_AT)
ScoreItem: TypeAlias = "tuple[Frame, Pose | None | Literal[_Marker.NOT_LOOKED_AT]]"


def _run_model(src: VideoFileSource, est: PoseEstimator, stage: Stage[ScoreItem], step: int,
               every_frame: bool) -> int:
    """The model's thread: the model on frames 0, step, 2 step, ... and nothing else
    (decoding is in the source's thread; smoothing, scoring, drawing and encoding in the
    stage's). With ``every_frame`` the frames in between go to the stage too, to be drawn.
    Returns the number of frames decoded."""
    n = 0
    for frame in src:
        if frame.index % step == 0:
            stage.put((frame, est.detect(frame.rgb, frame.timestamp_ms).main))
        elif every_frame:
            stage.put((frame, _NOT_LOOKED_AT))
        n += 1
    return n


class _Scorer:
    """The stage thread's work on one (frame, main pose) item: score the frames the model
    looked at; draw every frame, with the latest landmarks and feedback."""

    def __init__(self, proc: FrameProcessor, keep_frames: bool, writer: FrameWriter | None,
                 on_progress: Callable[[int, int | None], None] | None, total: int | None):
        self.proc = proc
        self.keep_frames = keep_frames
        self.writer = writer
        self.on_progress = on_progress
        self.total = total
        self.frames: list[FrameFeedback] = []
        self.latest: tuple[Pose | None, FrameFeedback] | None = None

    def __call__(self, item: ScoreItem) -> None:
        frame, main = item
        if main is not _NOT_LOOKED_AT:
            self.latest = self.proc(main, frame.timestamp_ms)
            if self.keep_frames:
                self.frames.append(self.latest[1])
        if self.writer is not None:
            assert self.latest is not None, "frame 0 is always looked at, and comes first"
            # decoded into a fresh array per frame: safe to draw on
            self.writer.write(frame.rgb, *self.latest)
        if self.on_progress:
            self.on_progress(frame.index + 1, self.total)


class Stage(Generic[T]):
    """One background thread that calls ``handle(item)`` for each item, in order.

    ``put`` blocks while ``queue_size`` items wait (bounded memory, and backpressure on the
    producer); ``close`` waits until every item is handled; ``abort`` drops what is left.
    An exception in ``handle`` stops the thread and is raised in the producer by the next
    ``put`` or by ``close``. The thread runs at a lower priority (see
    :func:`video.lower_thread_priority`) so the model's threads get the CPU first.
    """

    _END: Final = _Marker.END

    def __init__(self, handle: Callable[[T], None], name: str, queue_size: int = 8):
        import queue
        import threading

        self._handle = handle
        self._queue: queue.Queue[T | Literal[_Marker.END]] = queue.Queue(maxsize=queue_size)
        self._error: BaseException | None = None
        self._abort = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from formcheck.io.video import lower_thread_priority

        lower_thread_priority()
        try:
            while True:
                item = self._queue.get()
                if item is self._END or self._abort.is_set():
                    break
                self._handle(item)
        except BaseException as exc:  # handed to the producer thread, which raises it
            self._error = exc
            self._abort.set()
        finally:
            # unblock a producer waiting on a full queue
            while not self._queue.empty():
                try:
                    self._queue.get_nowait()
                except Exception:  # queue.Empty: raced with the producer
                    break

    def put(self, item: T) -> None:
        import queue

        while True:
            if self._error is not None:
                raise self._error
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError(f"the {self._thread.name} thread stopped") from None

    def close(self) -> None:
        """Wait until every item put so far is handled; raise the thread's error if any."""
        import queue

        while self._thread.is_alive():
            try:
                self._queue.put(self._END, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop after the item being handled; drop the rest."""
        self._abort.set()
        try:
            self._queue.put_nowait(self._END)
        except Exception:  # queue full: the thread sees the abort flag on its next item
            pass
        self._thread.join(timeout=10)


def result_document(analysis: Analysis, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document ``formcheck analyze --json`` writes."""
    from formcheck import __version__

    doc = {
        "formcheck_version": __version__,
        "source": os.path.basename(analysis.source) if analysis.source else "",
        "fps": round(float(analysis.fps), 3),
        "image_size": list(analysis.image_size),
        **analysis.result.to_dict(),
    }
    doc.update(extra or {})
    return doc


def signals_table(frames: list[FrameFeedback]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(t_s, {signal name: values}) from per-frame feedback, NaN where a signal is absent."""
    t = np.array([f.t_s for f in frames], dtype=np.float64)
    names: dict[str, None] = {}
    for f in frames:
        for k in f.signals:
            names.setdefault(k, None)
    out = {k: np.array([f.signals.get(k, np.nan) for f in frames], dtype=np.float64) for k in names}
    return t, out
