"""Core types and pure functions: the ``Pose`` value, geometry, results, the check/cue table and
the camera view. Imports nothing from the other layers."""
