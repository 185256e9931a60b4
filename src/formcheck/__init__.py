"""formcheck: a camera coach for people with low back pain (L5-S1).

A tool for managing symptoms, not a diagnosis or a substitute for a physiotherapist.

The public API, by layer (docs/ARCHITECTURE.md has the map; this package root imports nothing,
so ``import formcheck`` stays light):

* :mod:`formcheck.core` - ``Pose`` (one frame's landmarks), ``FrameFeedback`` and
  ``ExerciseResult``, the exercise ``CATALOGUE`` and its check/cue tables, ``FormcheckError``;
* :mod:`formcheck.io` - ``VideoFileSource`` / ``CameraSource``, ``PoseEstimator`` (MediaPipe);
* :mod:`formcheck.exercises` - ``make_analyzer(exercise_id)``: ``update(pose) -> FrameFeedback``,
  ``result() -> ExerciseResult``;
* :mod:`formcheck.analysis` - ``analyze_path`` (a clip, as ``formcheck analyze``),
  ``FrameProcessor`` (smoothing + analyzer, one frame at a time);
* :mod:`formcheck.render`, :mod:`formcheck.coach`, :mod:`formcheck.batch`, :mod:`formcheck.cli`.

A whole clip::

    from formcheck.analysis.pipeline import AnalysisOptions, analyze_path

    analysis = analyze_path("bridge.mp4", AnalysisOptions(exercise="glute_bridge"))
    print(analysis.result.rep_count, [f.check for f in analysis.result.faults])

Frame by frame, with your own frames::

    from formcheck.analysis.pipeline import FrameProcessor
    from formcheck.io.estimator import EstimatorOptions, PoseEstimator
    from formcheck.io.video import VideoFileSource

    proc = FrameProcessor("glute_bridge")           # smoothing + the exercise's analyzer
    said = None
    with VideoFileSource("bridge.mp4") as src, PoseEstimator(EstimatorOptions()) as est:
        for frame in src:
            det = est.detect(frame.rgb, frame.timestamp_ms)
            pose, feedback = proc(det.main, frame.timestamp_ms)   # det.main: Pose | None
            if feedback.cue and feedback.cue != said:   # each new cue once
                print(f"{feedback.t_s:5.1f} s  {feedback.cue}")
            said = feedback.cue
    result = proc.result()                           # ExerciseResult; .to_dict() is the JSON
"""

__version__ = "0.1.0"
