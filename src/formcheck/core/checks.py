"""The check tables: exercise ids, check ids and cues from ``spec/EXERCISES.md``.

The per-exercise tables are derived from :data:`formcheck.core.catalogue.CATALOGUE`; the
checks common to every exercise, the disclaimer and the pain-stop advice are here.

These ids are a contract shared by code, reports, labels and tests. Every cue is one short
imperative sentence that the overlay prints and the voice speaks.
"""

from __future__ import annotations

from formcheck.core.catalogue import CATALOGUE

DISCLAIMER = (
    "formcheck is a tool for managing symptoms, not a diagnosis or a substitute for a "
    "physiotherapist."
)

PAIN_STOP_ADVICE = (
    "Stopping. Sharp, stabbing or radiating pain into the leg means stop - "
    "check with your physician."
)

#: Checks that apply to every exercise, with their generic cue.
COMMON_CHECKS: dict[str, str] = {
    "not_visible": "Move so your whole body is in view",
    "wrong_view": "Place the camera at your side",
    "not_in_position": "Get into the start position",
    "too_fast": "Slow down - move with control",
    "pain_stop": "Stopping. Sharp or radiating pain means stop - check with your physician",
}

# ---- tables derived from the catalogue (formcheck.core.catalogue: one spec per exercise) ------

#: Exercise-specific checks, in the spec's order, with their cue.
EXERCISE_CHECKS: dict[str, dict[str, str]] = {s.id: dict(s.checks) for s in CATALOGUE}

#: The start position each exercise expects, said as the ``not_in_position`` cue.
START_POSITION_CUES: dict[str, str] = {s.id: s.start_position for s in CATALOGUE}

EXERCISE_NAMES: dict[str, str] = {s.id: s.name for s in CATALOGUE}

FLOOR_EXERCISES = tuple(s.id for s in CATALOGUE if s.kind == "floor")
BODY_MECHANICS = tuple(s.id for s in CATALOGUE if s.kind == "body_mechanics")
EXERCISE_IDS = FLOOR_EXERCISES + BODY_MECHANICS


def validate_exercise(exercise: str) -> str:
    """Return ``exercise`` if it is a known id, else raise ValueError listing the valid ids."""
    if exercise not in EXERCISE_CHECKS:
        raise ValueError(
            f"unknown exercise {exercise!r}; valid ids: {', '.join(EXERCISE_IDS)}"
        )
    return exercise


def checks_for(exercise: str) -> list[str]:
    """All check ids that apply to ``exercise``: its own, then the common ones."""
    own = list(EXERCISE_CHECKS[validate_exercise(exercise)])
    return own + [c for c in COMMON_CHECKS if c not in own]


def cue_for(exercise: str, check: str) -> str:
    """The cue for ``check`` within ``exercise`` (exercise-specific wording wins)."""
    own = EXERCISE_CHECKS[validate_exercise(exercise)]
    if check in own:
        return own[check]
    if check == "not_in_position":
        return START_POSITION_CUES[exercise]
    if check in COMMON_CHECKS:
        return COMMON_CHECKS[check]
    raise ValueError(f"unknown check {check!r} for {exercise!r}; valid: {', '.join(checks_for(exercise))}")
