"""The check catalogue: exercise ids, check ids and cues from ``spec/EXERCISES.md``.

These ids are a contract shared by code, reports, labels and tests. Every cue is one short
imperative sentence that the overlay prints and the voice speaks.
"""

from __future__ import annotations

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

#: Exercise-specific checks, in the spec's order, with their cue.
EXERCISE_CHECKS: dict[str, dict[str, str]] = {
    "pelvic_tilt": {
        "hold_too_short": "Hold the tilt for 3 to 5 seconds",
        "hips_lifted": "Keep your hips on the floor",
        "knees_not_bent": "Bend your knees, feet flat on the floor",
    },
    "knee_to_chest": {
        "hold_too_short": "Hold the stretch for 15 to 30 seconds",
        "opposite_leg_lifted": "Keep the other foot flat on the floor",
        "head_lifted": "Keep your head and shoulders down",
        "one_side_only": "Now switch sides",
    },
    "cat_cow": {
        "hands_not_under_shoulders": "Place your wrists under your shoulders",
        "knees_not_under_hips": "Place your knees under your hips",
        "too_fast": "Slow down - move with your breath",
        "small_range": "Arch and round your back fully",
    },
    "bird_dog": {
        "hip_rotation": "Keep your hips level - don't rotate",
        "leg_too_high": "Lift your leg only to hip height",
        "leg_too_low": "Extend your leg back to hip height",
        "arm_too_low": "Raise your arm to shoulder height",
        "same_side": "Lift the opposite arm and leg",
        "hold_too_short": "Hold for a few seconds before returning",
        "back_sag": "Keep your back flat",
    },
    "glute_bridge": {
        "hips_too_low": "Lift your hips to a straight line",
        "hips_too_high": "Don't arch - stop at a straight line",
        "hold_too_short": "Hold at the top for 5 seconds",
        "lowering_too_fast": "Lower your hips slowly",
    },
    "plank": {
        "hips_sagging": "Lift your hips - keep a straight line",
        "hips_piking": "Lower your hips into a straight line",
        "head_dropped": "Keep your head in line with your spine",
        "hold_too_long": "That's 30 seconds - rest now",
    },
    "sitting": {
        "slouching": "Sit back and keep the curve in your lower back",
        "knees_not_90": "Keep your knees at about 90 degrees",
        "feet_not_flat": "Put your feet flat on the floor",
        "sat_too_long": "Time to stand up and take a short walk",
    },
    "lifting": {
        "bending_at_waist": "Bend your knees - squat, don't bend at the waist",
        "load_far_from_body": "Hold the object close to your body",
        "twisting": "Turn with your feet, not your back",
        "narrow_base": "Widen your stance",
    },
}

#: The start position each exercise expects, said as the ``not_in_position`` cue.
START_POSITION_CUES: dict[str, str] = {
    "pelvic_tilt": "Lie on your back, knees bent, feet flat",
    "knee_to_chest": "Lie on your back, knees bent, feet flat",
    "cat_cow": "Get on your hands and knees",
    "bird_dog": "Get on your hands and knees, back flat",
    "glute_bridge": "Lie on your back, knees bent, feet flat",
    "plank": "Get on your forearms and knees or toes",
    "sitting": "Sit down on your chair",
    "lifting": "Stand facing the object you will lift",
}

EXERCISE_NAMES: dict[str, str] = {
    "pelvic_tilt": "Pelvic Tilt",
    "knee_to_chest": "Single Knee-to-Chest",
    "cat_cow": "Cat-Cow",
    "bird_dog": "Bird-Dog",
    "glute_bridge": "Glute Bridge",
    "plank": "Plank",
    "sitting": "Sitting posture",
    "lifting": "Lifting from the floor",
}

FLOOR_EXERCISES = ("pelvic_tilt", "knee_to_chest", "cat_cow", "bird_dog", "glute_bridge", "plank")
BODY_MECHANICS = ("sitting", "lifting")
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
