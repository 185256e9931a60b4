"""Input/output: video sources and writers, the pose model (finding, downloading, running
MediaPipe - the one module that imports it is :mod:`formcheck.io.estimator`) and fetched assets.
Uses only :mod:`formcheck.core`."""
