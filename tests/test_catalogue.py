"""The exercise catalogue: one spec per exercise, from which the other tables derive."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from formcheck.coach.programme import PROGRAMME
from formcheck.coach.setup_screen import CAMERA_SETUP
from formcheck.core.catalogue import CATALOGUE, spec_for
from formcheck.core.checks import COMMON_CHECKS, EXERCISE_IDS, cue_for
from formcheck.exercises import analyzer_class
from formcheck.exercises.families.base import Analyzer


def test_every_spec_names_its_own_analyzer_module():
    for spec in CATALOGUE:
        cls = analyzer_class(spec.id)
        assert issubclass(cls, Analyzer)
        assert cls.__module__ == f"formcheck.exercises.{spec.id}", spec.id


def test_ids_are_unique_and_the_tables_follow_the_catalogue():
    ids = [s.id for s in CATALOGUE]
    assert len(set(ids)) == len(ids)
    assert set(EXERCISE_IDS) == set(ids)
    assert list(CAMERA_SETUP) == ids
    # the routine is the floor programme, in the guide's order
    assert [s.exercise for s in PROGRAMME] == [s.id for s in CATALOGUE if s.kind == "floor"]
    for spec in CATALOGUE:
        assert set(spec.camera.views) <= {"side", "front", "oblique"}
        assert cue_for(spec.id, "not_in_position") == spec.start_position


def test_an_unknown_exercise_lists_the_valid_ids():
    with pytest.raises(ValueError, match="valid ids: pelvic_tilt, knee_to_chest"):
        spec_for("squat")


def test_check_ids_and_cues_are_the_specs_word_for_word():
    """spec/EXERCISES.md is the contract: every catalogue check row is there, cue included."""
    shared = Path(os.environ.get("FORMCHECK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    doc = shared / "spec" / "EXERCISES.md"
    if not doc.is_file():
        pytest.skip(f"{doc} not here")
    rows = set(re.findall(r'^\| `(\w+)` \|.*\| "(.+)" \|$', doc.read_text(), flags=re.M))
    for spec in CATALOGUE:
        for check, cue in spec.checks.items():
            assert (check, cue) in rows, (spec.id, check, cue)
    for check, cue in COMMON_CHECKS.items():
        if check != "not_in_position":  # the spec's cue for it is each exercise's start position
            assert (check, cue) in rows, check
