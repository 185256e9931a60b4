"""Finding the Pose Landmarker model bundle (``pose_landmarker_{lite,full,heavy}.task``).

Search order: an explicit path, ``$FORMCHECK_MODEL_DIR``, the project's ``models/`` folder,
``../shared/models`` beside the project (this workspace), then the user cache. Only if none
has it is the official file downloaded into the cache (see :func:`formcheck.io.model_download.resolve_model`).
"""

from __future__ import annotations

import os
from pathlib import Path

from formcheck.core.errors import FormcheckError

VARIANTS = ("lite", "full", "heavy")
OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{v}/float16/latest/pose_landmarker_{v}.task"
)
PROJECT_ROOT = Path(__file__).resolve().parents[3]


class ModelError(FormcheckError):
    """A model could not be found or fetched. The message is user-facing."""


def model_filename(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"unknown model variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return f"pose_landmarker_{variant}.task"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "formcheck" / "models"


def search_dirs() -> list[tuple[str, Path]]:
    """(label, folder) in the order they are searched."""
    dirs: list[tuple[str, Path]] = []
    env = os.environ.get("FORMCHECK_MODEL_DIR")
    if env:
        dirs.append(("FORMCHECK_MODEL_DIR", Path(env).expanduser()))
    dirs.append(("project models/", PROJECT_ROOT / "models"))
    dirs.append(("../shared/models", PROJECT_ROOT.parent / "shared" / "models"))
    dirs.append(("user cache", cache_dir()))
    return dirs


def find_model(variant: str = "full", model_path: str | os.PathLike[str] | None = None) -> Path | None:
    """The first existing model file for ``variant``, or None."""
    if model_path is not None:
        p = Path(model_path).expanduser()
        return p if p.is_file() else None
    name = model_filename(variant)
    for _, folder in search_dirs():
        p = folder / name
        if p.is_file() and p.stat().st_size > 0:
            return p
    return None
