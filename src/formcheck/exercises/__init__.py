"""Exercise analyzers, one module each, registered by exercise id."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from formcheck.core.catalogue import CATALOGUE
from formcheck.core.checks import EXERCISE_IDS, validate_exercise
from formcheck.exercises.families.base import Analyzer

#: exercise id -> "module:Class", from each exercise's spec (formcheck.core.catalogue);
#: modules are imported on first use.
EXERCISES: dict[str, str] = {s.id: s.analyzer for s in CATALOGUE}
assert tuple(EXERCISES) == EXERCISE_IDS


def analyzer_class(exercise: str) -> type[Analyzer[Any]]:
    """The analyzer class for ``exercise``; ValueError listing valid ids if unknown."""
    validate_exercise(exercise)
    module, cls = EXERCISES[exercise].split(":")
    found: type[Analyzer[Any]] = getattr(import_module(module), cls)
    return found


def make_analyzer(exercise: str, params: object | None = None) -> Analyzer[Any]:
    return analyzer_class(exercise)(params)


__all__ = ["EXERCISES", "Analyzer", "analyzer_class", "make_analyzer"]
