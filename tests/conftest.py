"""Shared fixtures: where ../shared is, and a landmark cache for the labelled clips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FORMCHECK_SHARED", ROOT.parent / "shared"))
SAMPLES = SHARED / "sample_videos"
LABELS = SAMPLES / "labels.toml"
MODELS = SHARED / "models"


def pytest_configure(config):
    # Landmark tracks of the sample clips are cached here between runs (keyed by clip and
    # model hash), so re-running the suite does not re-run the model.
    os.environ.setdefault("FORMCHECK_CACHE_DIR", str(ROOT / ".cache"))


@pytest.fixture(scope="session")
def samples() -> Path:
    if not LABELS.exists():
        pytest.skip(f"sample clips not found at {SAMPLES}")
    return SAMPLES
