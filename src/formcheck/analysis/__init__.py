"""The analysis engine: smoothing, pose tracks and their cache, exercise recognition, scoring and
the pipeline that runs a clip (pose stream -> smoothing -> analyzer). Draws nothing: a caller that
wants an annotated video passes a writer in (see :mod:`formcheck.render.annotated_video`)."""
