"""Exercise analyzers, one module each, registered by exercise id."""

from __future__ import annotations

from importlib import import_module

from formcheck.core.checks import EXERCISE_IDS, validate_exercise
from formcheck.exercises.families.base import Analyzer

#: exercise id -> "module:Class". Explicit, so the list of exercises is in one place;
#: modules are imported on first use.
EXERCISES: dict[str, str] = {
    "pelvic_tilt": "formcheck.exercises.pelvic_tilt:PelvicTiltAnalyzer",
    "knee_to_chest": "formcheck.exercises.knee_to_chest:KneeToChestAnalyzer",
    "cat_cow": "formcheck.exercises.cat_cow:CatCowAnalyzer",
    "bird_dog": "formcheck.exercises.bird_dog:BirdDogAnalyzer",
    "glute_bridge": "formcheck.exercises.glute_bridge:GluteBridgeAnalyzer",
    "plank": "formcheck.exercises.plank:PlankAnalyzer",
    "sitting": "formcheck.exercises.sitting:SittingAnalyzer",
    "lifting": "formcheck.exercises.lifting:LiftingAnalyzer",
}
assert tuple(EXERCISES) == EXERCISE_IDS


def analyzer_class(exercise: str) -> type[Analyzer]:
    """The analyzer class for ``exercise``; ValueError listing valid ids if unknown."""
    validate_exercise(exercise)
    module, cls = EXERCISES[exercise].split(":")
    return getattr(import_module(module), cls)


def make_analyzer(exercise: str, params: object | None = None) -> Analyzer:
    return analyzer_class(exercise)(params)


__all__ = ["EXERCISES", "Analyzer", "analyzer_class", "make_analyzer"]
