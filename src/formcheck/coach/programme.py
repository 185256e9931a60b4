"""The guided routine's programme: the floor exercises in the guide's order, each with its target.

Kept apart from :mod:`formcheck.coach.routine` so the single-exercise live session can show an
exercise's target without importing the routine (which builds on the live session).
"""

from __future__ import annotations

from dataclasses import dataclass


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


#: The programme in the guide's order. Targets from the exercise guide (spec/EXERCISES.md)
#: where it gives them; where it does not, the choice is said next to it.
PROGRAMME: tuple[RoutineStep, ...] = (
    # guide: "hold 3 to 5 s ... 10 to 12 reps"; the set is done at the lower bound
    RoutineStep("pelvic_tilt", reps=10, target_text="10-12 reps, hold each 3-5 s"),
    # guide: "hold 15 to 30 s ... then the other side"
    RoutineStep("knee_to_chest", hold_s=15.0, per_side=True,
                target_text="hold 15-30 s, each side"),
    # guide gives no count; 10 slow cycles (one per breath, ~1 min) is the usual prescription
    RoutineStep("cat_cow", reps=10, target_text="10 slow cycles with your breath"),
    # guide: "alternate sides", no count; 5 per side keeps the routine ~15 min in all
    RoutineStep("bird_dog", reps=10, per_side=True,
                target_text="alternate sides, 5 each, hold a few seconds"),
    # guide: "hold 5 s, lower slowly", no count; 10 reps like the pelvic tilt
    RoutineStep("glute_bridge", reps=10, target_text="10 reps, hold 5 s at the top"),
    # guide: "Hold 30 s or less"; the modified plank (on the knees) is the programme's version
    RoutineStep("plank", hold_s=30.0, target_text="modified plank (knees down), up to 30 s",
                max_s=120.0),
)


def step_for(exercise: str) -> RoutineStep | None:
    return next((s for s in PROGRAMME if s.exercise == exercise), None)
