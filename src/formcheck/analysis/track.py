"""A clip's pose stream as one array, and an on-disk cache of it.

A :class:`PoseTrack` holds every frame's raw landmarks (NaN rows where nobody was found), so
analyzers can be re-run and tuned without the model. The cache is keyed by the clip's
SHA-256, the model file's SHA-256 and the estimator settings, so a changed clip or model
never reuses stale landmarks.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from formcheck.core.pose import ROW_SIZE, Pose
from formcheck.io.files import atomic_path, file_sha256

if TYPE_CHECKING:
    from formcheck.io.estimator import EstimatorOptions

CACHE_VERSION = 1


@dataclass
class PoseTrack:
    """Landmarks of the main person in each frame of a clip.

    rows: (T, ROW_SIZE) float64, :meth:`Pose.as_row` layout; a frame with no person is NaN
    except its timestamp (column 0) and num_people (column 1, = 0).
    """

    rows: NDArray[np.float64]
    image_size: tuple[int, int]
    fps: float
    source: str = ""

    def __post_init__(self) -> None:
        self.rows = np.asarray(self.rows, dtype=np.float64).reshape(-1, ROW_SIZE)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def timestamps_ms(self) -> NDArray[np.float64]:
        return self.rows[:, 0]

    @property
    def found(self) -> NDArray[np.bool_]:
        return np.isfinite(self.rows[:, 2])

    @property
    def coverage(self) -> float:
        return float(self.found.mean()) if len(self) else 0.0

    def poses(self) -> Iterator[tuple[float, Pose | None]]:
        """(timestamp_ms, Pose or None) per frame."""
        for row in self.rows:
            if np.isfinite(row[2]):
                yield row[0], Pose.from_row(row, self.image_size)
            else:
                yield row[0], None

    @staticmethod
    def empty_row(timestamp_ms: float, num_people: int = 0) -> NDArray[np.float64]:
        row = np.full(ROW_SIZE, np.nan)
        row[0], row[1] = timestamp_ms, num_people
        return row

    def save(self, path: str | os.PathLike[str], meta: dict[str, Any] | None = None) -> None:
        with atomic_path(path, suffix=".tmp.npz") as tmp:
            np.savez_compressed(
                tmp,
                rows=self.rows,
                image_size=np.array(self.image_size),
                fps=np.array(self.fps),
                meta=np.array(json.dumps({"source": self.source, **(meta or {})})),
            )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PoseTrack:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            w, h = (int(v) for v in z["image_size"])
            return cls(z["rows"], (w, h), float(z["fps"]), meta.get("source", ""))


def default_cache_dir() -> Path:
    env = os.environ.get("FORMCHECK_CACHE_DIR")
    if env:
        return Path(env) / "landmarks"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "formcheck" / "landmarks"


def cache_key(video: str | os.PathLike[str], options: EstimatorOptions) -> str:
    """Key from the clip's bytes, the model file's bytes and the estimator options."""
    from formcheck.io.model_download import resolve_model

    model = resolve_model(options.model, options.model_path)
    opts = {k: v for k, v in asdict(options).items() if k != "model_path"}
    if opts.get("num_poses", 1) != 1:  # the people check runs only beside a one-person tracker
        opts.pop("people_check_ms", None)
    if not opts.get("people_check_background"):  # (live only) the key stays what it was
        opts.pop("people_check_background", None)
    if opts.get("model_fps") is None:  # every frame: the same landmarks as before the option
        opts.pop("model_fps", None)
    payload = json.dumps(
        {
            "v": CACHE_VERSION,
            "clip": file_sha256(video),
            "model": file_sha256(model),
            "options": opts,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def extract_track(
    video: str | os.PathLike[str],
    options: EstimatorOptions | None = None,
    on_frame: Callable[[int, int | None], None] | None = None,
) -> PoseTrack:
    """Run pose estimation over a whole clip (no cache): a row for every frame, or for every
    k-th frame when ``options.model_fps`` is set (:meth:`EstimatorOptions.frame_step`)."""
    from formcheck.io.estimator import EstimatorOptions, PoseEstimator
    from formcheck.io.video import VideoFileSource

    options = options or EstimatorOptions()
    rows = []
    src = VideoFileSource(video)
    src.rgb_every = options.frame_step(src.info.fps)
    with src, PoseEstimator(options) as est:
        total = src.info.frame_count
        size = (src.info.width, src.info.height)
        for frame in src:
            if frame.index % src.rgb_every:  # between the frames the model looks at
                continue
            size = frame.size
            det = est.detect(frame.rgb, frame.timestamp_ms)
            if det.main is None:
                rows.append(PoseTrack.empty_row(frame.timestamp_ms, 0))
            else:
                rows.append(det.main.as_row())
            if on_frame:
                on_frame(frame.index, total)
        fps = src.info.fps
    return PoseTrack(np.array(rows).reshape(-1, ROW_SIZE), size, fps, str(video))


def load_or_extract(
    video: str | os.PathLike[str],
    options: EstimatorOptions | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> PoseTrack:
    """The clip's track from the cache, extracting (and caching) it on a miss."""
    from formcheck.io.estimator import EstimatorOptions

    options = options or EstimatorOptions()
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    path = folder / f"{Path(video).stem}-{cache_key(video, options)}.npz"
    if path.exists():
        try:
            return PoseTrack.load(path)
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # corrupt cache entry: re-extract
    track = extract_track(video, options)
    track.save(path)
    return track
