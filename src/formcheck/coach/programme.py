"""The guided routine's programme: the floor exercises in the guide's order, each with its target.

Kept apart from :mod:`formcheck.coach.routine` so the single-exercise live session can show an
exercise's target without importing the routine (which builds on the live session).
"""

from __future__ import annotations

from dataclasses import dataclass

from formcheck.core.catalogue import CATALOGUE


@dataclass(frozen=True)
class RoutineStep:
    """One exercise of the programme and what completes it."""

    exercise: str
    #: completed reps that finish the set (None: a hold exercise)
    reps: int | None = None
    #: good-form hold (s) that finishes the set; with ``per_side`` one such hold on each side
    hold_s: float | None = None
    per_side: bool = False
    #: shown on screen and spoken at the start
    target_text: str = ""
    #: the set ends after this long even if the target was not reached (s)
    max_s: float = 180.0


#: The programme in the guide's order: every exercise whose spec has a routine target
#: (formcheck.core.catalogue, where each target's source in the guide is given).
PROGRAMME: tuple[RoutineStep, ...] = tuple(
    RoutineStep(s.id, reps=s.routine.reps, hold_s=s.routine.hold_s, per_side=s.routine.per_side,
                target_text=s.routine.text, max_s=s.routine.max_s)
    for s in CATALOGUE if s.routine is not None
)


def step_for(exercise: str) -> RoutineStep | None:
    return next((s for s in PROGRAMME if s.exercise == exercise), None)
