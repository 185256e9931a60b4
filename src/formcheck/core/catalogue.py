"""The exercise catalogue: one :class:`ExerciseSpec` per exercise, everything else derives from it.

An exercise is: its id and name, its checks with their cues (``spec/EXERCISES.md``, a contract),
the start position (said as the ``not_in_position`` cue, and the posture the recogniser must see),
where the camera goes, its target in the guided routine (floor exercises), and the analyzer class.
The tables the rest of the code reads are built from :data:`CATALOGUE`: the check and cue tables
of :mod:`formcheck.core.checks`, the live set-up screen, the routine's programme, the
recogniser's positions and the analyzer registry (:mod:`formcheck.exercises`).

Adding an exercise: write its module in ``formcheck/exercises/`` (Params + Analyzer) and add its
spec here. The analyzer is named by import path ("module:Class") so this core layer imports
nothing from the layers above it; ``formcheck.exercises`` imports it on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

#: postures the recogniser (:mod:`formcheck.analysis.recognize`) tells apart
LYING_ON_BACK = "lying on the back"
HANDS_AND_KNEES = "on hands and knees"
PLANK = "in a plank"
SITTING = "sitting"
STANDING = "standing"

#: the camera hints the floor exercises share (spec: "Camera:" lines)
_SIDE_FLOOR = "Camera at your side, at floor level, 2-3 m away"
_SIDE_HIP = "Camera at your side, at hip height, 2-3 m away"
_BACK_KNEES_BENT = "Lie on your back, knees bent, feet flat"


@dataclass(frozen=True)
class CameraHint:
    """Where the camera goes, and the views the live set-up screen accepts."""

    where: str
    views: tuple[str, ...] = ("side",)


@dataclass(frozen=True)
class RoutineTarget:
    """What completes the exercise's set in the guided routine."""

    #: shown on screen and spoken at the start
    text: str
    #: completed reps that finish the set (None: a hold exercise)
    reps: int | None = None
    #: good-form hold (s) that finishes the set; with ``per_side`` one such hold on each side
    hold_s: float | None = None
    per_side: bool = False
    #: the set ends after this long even if the target was not reached (s)
    max_s: float = 180.0


@dataclass(frozen=True)
class ExerciseSpec:
    """Everything the program knows about one exercise, apart from its analyzer's code."""

    id: str
    name: str
    #: "floor" (the guide's programme) or "body_mechanics" (everyday postures)
    kind: str
    #: exercise-specific check id -> cue, in the spec's order (ids and cues are a contract)
    checks: dict[str, str]
    #: the start position, said as this exercise's ``not_in_position`` cue
    start_position: str
    #: the posture the recogniser must see for the person to be in position
    posture: str
    camera: CameraHint
    #: the analyzer class, "module:Class" (imported on first use)
    analyzer: str
    #: the guided routine's target; None: not part of the routine
    routine: RoutineTarget | None = None


#: The exercises, in the guide's order (the floor programme first, the routine's order).
#: Routine targets from the exercise guide where it gives them; where it does not, the choice
#: is said next to it.
CATALOGUE: tuple[ExerciseSpec, ...] = (
    ExerciseSpec(
        "pelvic_tilt", "Pelvic Tilt", "floor",
        {
            "hold_too_short": "Hold the tilt for 3 to 5 seconds",
            "hips_lifted": "Keep your hips on the floor",
            "knees_not_bent": "Bend your knees, feet flat on the floor",
        },
        _BACK_KNEES_BENT, LYING_ON_BACK, CameraHint(_SIDE_FLOOR),
        "formcheck.exercises.pelvic_tilt:PelvicTiltAnalyzer",
        # guide: "hold 3 to 5 s ... 10 to 12 reps"; the set is done at the lower bound
        RoutineTarget("10-12 reps, hold each 3-5 s", reps=10),
    ),
    ExerciseSpec(
        "knee_to_chest", "Single Knee-to-Chest", "floor",
        {
            "hold_too_short": "Hold the stretch for 15 to 30 seconds",
            "opposite_leg_lifted": "Keep the other foot flat on the floor",
            "head_lifted": "Keep your head and shoulders down",
            "one_side_only": "Now switch sides",
        },
        _BACK_KNEES_BENT, LYING_ON_BACK, CameraHint(_SIDE_FLOOR),
        "formcheck.exercises.knee_to_chest:KneeToChestAnalyzer",
        # guide: "hold 15 to 30 s ... then the other side"
        RoutineTarget("hold 15-30 s, each side", hold_s=15.0, per_side=True),
    ),
    ExerciseSpec(
        "cat_cow", "Cat-Cow", "floor",
        {
            "hands_not_under_shoulders": "Place your wrists under your shoulders",
            "knees_not_under_hips": "Place your knees under your hips",
            "too_fast": "Slow down - move with your breath",
            "small_range": "Arch and round your back fully",
        },
        "Get on your hands and knees", HANDS_AND_KNEES, CameraHint(_SIDE_HIP),
        "formcheck.exercises.cat_cow:CatCowAnalyzer",
        # guide gives no count; 10 slow cycles (one per breath, ~1 min) is the usual prescription
        RoutineTarget("10 slow cycles with your breath", reps=10),
    ),
    ExerciseSpec(
        "bird_dog", "Bird-Dog", "floor",
        {
            "hip_rotation": "Keep your hips level - don't rotate",
            "leg_too_high": "Lift your leg only to hip height",
            "leg_too_low": "Extend your leg back to hip height",
            "arm_too_low": "Raise your arm to shoulder height",
            "same_side": "Lift the opposite arm and leg",
            "hold_too_short": "Hold for a few seconds before returning",
            "back_sag": "Keep your back flat",
        },
        "Get on your hands and knees, back flat", HANDS_AND_KNEES, CameraHint(_SIDE_HIP),
        "formcheck.exercises.bird_dog:BirdDogAnalyzer",
        # guide: "alternate sides", no count; 5 per side keeps the routine ~15 min in all
        RoutineTarget("alternate sides, 5 each, hold a few seconds", reps=10, per_side=True),
    ),
    ExerciseSpec(
        "glute_bridge", "Glute Bridge", "floor",
        {
            "hips_too_low": "Lift your hips to a straight line",
            "hips_too_high": "Don't arch - stop at a straight line",
            "hold_too_short": "Hold at the top for 5 seconds",
            "lowering_too_fast": "Lower your hips slowly",
        },
        _BACK_KNEES_BENT, LYING_ON_BACK, CameraHint(_SIDE_FLOOR),
        "formcheck.exercises.glute_bridge:GluteBridgeAnalyzer",
        # guide: "hold 5 s, lower slowly", no count; 10 reps like the pelvic tilt
        RoutineTarget("10 reps, hold 5 s at the top", reps=10),
    ),
    ExerciseSpec(
        "plank", "Plank", "floor",
        {
            "hips_sagging": "Lift your hips - keep a straight line",
            "hips_piking": "Lower your hips into a straight line",
            "head_dropped": "Keep your head in line with your spine",
            "hold_too_long": "That's 30 seconds - rest now",
        },
        "Get on your forearms and knees or toes", PLANK, CameraHint(_SIDE_FLOOR),
        "formcheck.exercises.plank:PlankAnalyzer",
        # guide: "Hold 30 s or less"; the modified plank (on the knees) is the programme's version
        RoutineTarget("modified plank (knees down), up to 30 s", hold_s=30.0, max_s=120.0),
    ),
    ExerciseSpec(
        "sitting", "Sitting posture", "body_mechanics",
        {
            "slouching": "Sit back and keep the curve in your lower back",
            "knees_not_90": "Keep your knees at about 90 degrees",
            "feet_not_flat": "Put your feet flat on the floor",
            "sat_too_long": "Time to stand up and take a short walk",
        },
        "Sit down on your chair", SITTING, CameraHint("Camera at your side, at desk height"),
        "formcheck.exercises.sitting:SittingAnalyzer",
    ),
    ExerciseSpec(
        "lifting", "Lifting from the floor", "body_mechanics",
        {
            "bending_at_waist": "Bend your knees - squat, don't bend at the waist",
            "load_far_from_body": "Hold the object close to your body",
            "twisting": "Turn with your feet, not your back",
            "narrow_base": "Widen your stance",
        },
        "Stand facing the object you will lift", STANDING,
        # lifting also accepts a front view (stance width and twist)
        CameraHint("Camera at your side (or in front), whole body in view", ("side", "front")),
        "formcheck.exercises.lifting:LiftingAnalyzer",
    ),
)

#: exercise id -> spec
SPECS: dict[str, ExerciseSpec] = {s.id: s for s in CATALOGUE}


def spec_for(exercise: str) -> ExerciseSpec:
    """The spec of ``exercise``; ValueError listing the valid ids if unknown."""
    try:
        return SPECS[exercise]
    except KeyError:
        raise ValueError(
            f"unknown exercise {exercise!r}; valid ids: {', '.join(SPECS)}"
        ) from None
