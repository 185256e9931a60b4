"""Running an analysis: pose stream -> smoothing -> exercise analyzer (-> overlay -> video).

Two entry points share the same per-frame step (:class:`FrameProcessor`):

* :func:`analyze_track` scores a cached :class:`PoseTrack` (no model, no pixels);
* :func:`analyze_video` decodes a clip, runs the model, scores, and optionally draws and
  writes an annotated H.264 video.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .checks import EXERCISE_NAMES
from .estimator import EstimatorOptions
from .exercises import make_analyzer
from .pose import Pose
from .results import ExerciseResult, FrameFeedback
from .smoothing import OneEuroParams, PoseSmoother
from .track import PoseTrack


@dataclass(frozen=True)
class AnalysisOptions:
    exercise: str
    estimator: EstimatorOptions = field(default_factory=EstimatorOptions)
    smoothing: OneEuroParams | None = field(default_factory=OneEuroParams)
    #: keep every frame's feedback (signals for plots and reports)
    keep_frames: bool = True


class FrameProcessor:
    """One frame at a time: smooth the pose, feed the analyzer, return its feedback."""

    def __init__(self, exercise: str, smoothing: OneEuroParams | None = OneEuroParams()):
        self.analyzer = make_analyzer(exercise)
        self.smoother = PoseSmoother(smoothing) if smoothing is not None else None
        self.multi_person_frames = 0

    def __call__(self, pose: Pose | None, t_ms: float) -> tuple[Pose | None, FrameFeedback]:
        if self.smoother is not None:
            pose = self.smoother.update(pose)
        if pose is not None and pose.num_people > 1:
            self.multi_person_frames += 1
        fb = self.analyzer.update(pose, t_ms)
        return pose, fb

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
        return res


@dataclass
class Analysis:
    result: ExerciseResult
    frames: list[FrameFeedback]
    source: str = ""
    fps: float = 0.0
    image_size: tuple[int, int] = (0, 0)


def analyze_track(track: PoseTrack, exercise: str,
                  smoothing: OneEuroParams | None = OneEuroParams()) -> Analysis:
    """Score a pose track (landmarks already extracted)."""
    proc = FrameProcessor(exercise, smoothing)
    frames = [proc(pose, t)[1] for t, pose in track.poses()]
    return Analysis(proc.result(), frames, track.source, track.fps, track.image_size)


def analyze_video(
    video: str | os.PathLike,
    options: AnalysisOptions,
    out_video: str | os.PathLike | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Analysis:
    """Decode, estimate, score and (optionally) write the annotated video, in one pass."""
    from .estimator import PoseEstimator
    from .overlay import SkeletonAnnotator, StatusAnnotator
    from .video import VideoFileSource, VideoWriter

    proc = FrameProcessor(options.exercise, options.smoothing)
    frames: list[FrameFeedback] = []
    writer = None
    skeleton = SkeletonAnnotator()
    status = StatusAnnotator(EXERCISE_NAMES.get(options.exercise, options.exercise))
    try:
        with VideoFileSource(video) as src, PoseEstimator(options.estimator) as est:
            info = src.info
            for frame in src:
                det = est.detect(frame.rgb, frame.timestamp_ms)
                pose, fb = proc(det.main, frame.timestamp_ms)
                if options.keep_frames:
                    frames.append(fb)
                if out_video is not None:
                    if writer is None:
                        writer = VideoWriter(out_video, info.fps, frame.size)
                    img = frame.rgb  # decoded into a fresh array per frame: safe to draw on
                    skeleton.annotate(img, pose, fb)
                    status.annotate(img, fb)
                    writer.write(img)
                if on_progress:
                    on_progress(frame.index + 1, info.frame_count)
        if writer is not None:
            writer.close()
            writer = None
        elif out_video is not None:
            from .video import VideoError

            raise VideoError(f"{video} has no decodable frames")
    finally:
        if writer is not None:
            writer.abort()
    return Analysis(proc.result(), frames, str(video), info.fps, (info.width, info.height))


def result_document(analysis: Analysis, extra: dict | None = None) -> dict:
    """The JSON document ``formcheck analyze --json`` writes."""
    from . import __version__

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


def default_json_path(video: str | os.PathLike) -> Path:
    return Path(video).with_suffix(".formcheck.json")
