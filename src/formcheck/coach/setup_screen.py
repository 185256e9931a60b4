"""The set-up screen: where to put the camera and what must be true before the set starts
(person in view, whole body visible, the expected view)."""

from __future__ import annotations

from typing import Any

from formcheck.core.catalogue import CATALOGUE
from formcheck.core.pose import Pose
from formcheck.core.view import classify_view
from formcheck.exercises.families.base import Analyzer

#: exercise -> (views accepted at setup, where to put the camera), from each exercise's spec
#: (formcheck.core.catalogue; the spec's "Camera:" line)
CAMERA_SETUP: dict[str, tuple[tuple[str, ...], str]] = {
    s.id: (s.camera.views, s.camera.where) for s in CATALOGUE
}


def setup_checks(pose: Pose | None, analyzer: Analyzer[Any], expected_views: tuple[str, ...]
                 ) -> tuple[tuple[str, bool], ...]:
    """(label, satisfied) items of the setup screen for one pose: a person in view, the
    landmarks ``analyzer`` needs visible, and one of ``expected_views``."""
    views = " or ".join(expected_views).capitalize()
    if pose is None:
        return (("Person in view", False), ("Whole body visible", False), (f"{views} view", False))
    side = pose.near_side()
    visible = pose.visible(analyzer.required_landmarks(side), analyzer.visibility_threshold)
    view = classify_view(pose)
    return (("Person in view", True), ("Whole body visible", visible),
            (f"{views} view (now: {view})", view in expected_views))
