"""Metamorphic robustness of the analyzers: the labelled clips' cached landmark tracks, changed
the way another camera or another person would change them, must still be judged right.

Each :class:`Variant` transforms a :class:`PoseTrack` (and, for the mirror, the label), the
analyzer is run on the result (:func:`pipeline.analyze_track`) and the result is judged with
the criteria of ``formcheck evaluate``: reps within the label's tolerance, every labelled fault
reported, none of ``no_faults`` reported. Speed variants do not judge timing checks
(:data:`TIMING_CHECKS`): at 1.25x a 4 s hold lasts 3.2 s, so ``hold_too_short`` may rightly
change.

Landmark rows are ``Pose.as_row`` rows: [t_ms, num_people, image (33x3), world (33x3),
visibility (33)]. Image x, y are normalised by the frame's width and height, so every
geometric change is done in pixels (a roll of a 16:9 frame is not a rotation of the unit
square) and mapped back. Visibility and num_people carry over unchanged: a joint moved out of
the picture is caught by ``Pose.visible``'s in-frame test, as with a real crop.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from formcheck.analysis.evaluate import ClipLabel
from formcheck.analysis.track import PoseTrack
from formcheck.core.pose import IN_FRAME_MARGIN, NUM_LANDMARKS, ROW_SIZE, Landmark

if TYPE_CHECKING:
    from formcheck.core.results import ExerciseResult
    from formcheck.io.estimator import EstimatorOptions

#: checks about time (hold length, speed, time seated), not judged on the speed variants
TIMING_CHECKS = frozenset({"hold_too_short", "hold_too_long", "too_fast", "lowering_too_fast",
                           "sat_too_long"})

_IMG = slice(2, 2 + 3 * NUM_LANDMARKS)
_WORLD = slice(2 + 3 * NUM_LANDMARKS, 2 + 6 * NUM_LANDMARKS)
_VIS = slice(2 + 6 * NUM_LANDMARKS, ROW_SIZE)


def _mirror_index() -> NDArray[np.intp]:
    """Landmark index -> the index of the same landmark on the other side of the body."""
    idx = np.arange(NUM_LANDMARKS)
    for lm in Landmark:
        if lm.name.startswith("LEFT_"):
            other = Landmark["RIGHT_" + lm.name[5:]]
            idx[lm], idx[other] = other, lm
    return idx


MIRROR_INDEX = _mirror_index()


def _split(rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                              NDArray[np.float64]]:
    """(image (T, 33, 3), world (T, 33, 3), visibility (T, 33)) copies of the rows."""
    t = len(rows)
    return (rows[:, _IMG].reshape(t, NUM_LANDMARKS, 3).copy(),
            rows[:, _WORLD].reshape(t, NUM_LANDMARKS, 3).copy(),
            rows[:, _VIS].copy())


def _join(rows: NDArray[np.float64], image: NDArray[np.float64], world: NDArray[np.float64],
          vis: NDArray[np.float64]) -> NDArray[np.float64]:
    out = rows.copy()
    t = len(rows)
    out[:, _IMG] = image.reshape(t, -1)
    out[:, _WORLD] = world.reshape(t, -1)
    out[:, _VIS] = vis
    return out


def _with_rows(track: PoseTrack, rows: NDArray[np.float64], image_size: tuple[int, int] | None = None,
               fps: float | None = None) -> PoseTrack:
    return PoseTrack(rows, image_size or track.image_size, fps or track.fps, track.source)


def _outside(image: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(T, 33) True where a landmark lies outside the picture (beyond ``IN_FRAME_MARGIN``);
    False where it is missing (NaN)."""
    xy = image[..., :2]
    inside = np.all((xy >= -IN_FRAME_MARGIN) & (xy <= 1 + IN_FRAME_MARGIN), axis=-1)
    outside: NDArray[np.bool_] = np.isfinite(xy).all(axis=-1) & ~inside
    return outside


# ---- transforms (pure: PoseTrack -> PoseTrack) --------------------------------------------
def mirror(track: PoseTrack) -> PoseTrack:
    """Horizontal flip of the picture: image x -> 1 - x, world x -> -x, and every left
    landmark becomes the right one (a mirrored left knee looks like a right knee)."""
    image, world, vis = _split(track.rows)
    image[..., 0] = 1.0 - image[..., 0]
    world[..., 0] = -world[..., 0]
    return _with_rows(track, _join(track.rows, image[:, MIRROR_INDEX], world[:, MIRROR_INDEX],
                                   vis[:, MIRROR_INDEX]))


def roll(track: PoseTrack, deg: float) -> PoseTrack:
    """The picture rotated by ``deg`` (counter-clockwise as seen) about its centre, canvas
    size kept (what a camera rolled by ``-deg`` sees). Done in pixels; the world landmarks
    (camera-aligned axes, y down like the image) turn by the same angle about the view axis.
    A joint that was outside the picture gets visibility 0 (the rotated picture holds only
    what the camera saw); one rotated out of the canvas is caught by ``Pose.visible``."""
    w, h = track.image_size
    a = math.radians(deg)
    # image axes: x right, y down; counter-clockwise on screen is negative in these axes
    c, s = math.cos(a), math.sin(a)
    rot = np.array([[c, s], [-s, c]])
    image, world, vis = _split(track.rows)
    vis[_outside(image)] = 0.0  # cut off by the frame edge: stays out of the rotated picture
    px = image[..., :2] * (w, h) - (w / 2, h / 2)
    image[..., :2] = (px @ rot.T + (w / 2, h / 2)) / (w, h)
    world[..., :2] = world[..., :2] @ rot.T
    return _with_rows(track, _join(track.rows, image, world, vis))


def zoom(track: PoseTrack, scale: float) -> PoseTrack:
    """The person at ``scale`` times the size, about the picture's centre (a camera further
    away). Image z (same scale as x) shrinks with x; world landmarks (metres) do not change.
    A joint that was outside the picture gets visibility 0: the zoomed-out picture is the
    old one shrunk into a border, so what the old frame cut off stays cut off."""
    image, world, vis = _split(track.rows)
    vis[_outside(image)] = 0.0
    image[..., :2] = 0.5 + (image[..., :2] - 0.5) * scale
    image[..., 2] *= scale
    return _with_rows(track, _join(track.rows, image, world, vis))


#: landmarks a crop must keep: head (nose, ears), arms, trunk, legs and feet
CROP_KEEP = tuple(int(i) for i in (
    Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR,
    *range(Landmark.LEFT_SHOULDER, Landmark.RIGHT_WRIST + 1),
    *range(Landmark.LEFT_HIP, Landmark.RIGHT_FOOT_INDEX + 1)))


def crop_box(track: PoseTrack, pad: float = 0.05,
             keep: Iterable[int] = CROP_KEEP) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) pixels: the box holding every kept landmark that is visible (>= 0.5)
    and inside the picture in any frame, padded by ``pad`` of its size and clipped to the
    picture. None when no landmark qualifies."""
    w, h = track.image_size
    keep = list(keep)
    image, _, vis = _split(track.rows)
    xy = image[:, keep, :2]
    ok = (np.nan_to_num(vis[:, keep]) >= 0.5) & np.all((xy >= 0) & (xy <= 1), axis=-1)
    if not ok.any():
        return None
    px = xy[ok] * (w, h)
    (x0, y0), (x1, y1) = px.min(axis=0), px.max(axis=0)
    dx, dy = pad * (x1 - x0), pad * (y1 - y0)
    return (max(0.0, x0 - dx), max(0.0, y0 - dy), min(float(w), x1 + dx), min(float(h), y1 + dy))


def crop(track: PoseTrack, box: tuple[float, float, float, float]) -> PoseTrack:
    """The picture cut to ``box`` (x0, y0, x1, y1 pixels): a new, smaller image size."""
    w, h = track.image_size
    x0, y0, x1, y1 = box
    cw, ch = max(1, round(x1 - x0)), max(1, round(y1 - y0))
    image, world, vis = _split(track.rows)
    image[..., 0] = (image[..., 0] * w - x0) / cw
    image[..., 1] = (image[..., 1] * h - y0) / ch
    image[..., 2] *= w / cw
    return _with_rows(track, _join(track.rows, image, world, vis), image_size=(cw, ch))


def tight_crop(track: PoseTrack) -> PoseTrack | None:
    """:func:`crop` to :func:`crop_box`; None when that keeps over 90 % of the picture (the
    person already fills it: no tighter crop to test)."""
    box = crop_box(track)
    if box is None:
        return None
    w, h = track.image_size
    if (box[2] - box[0]) * (box[3] - box[1]) > 0.9 * w * h:
        return None
    return crop(track, box)


def half_rate(track: PoseTrack) -> PoseTrack:
    """Every other frame: the same clip at half the frame rate."""
    return _with_rows(track, track.rows[::2].copy(), fps=track.fps / 2)


def speed(track: PoseTrack, factor: float) -> PoseTrack:
    """The movement played ``factor`` times as fast, at the same frame rate: frame k of the
    result shows the pose at time k / fps * factor of the original, interpolated linearly
    between the two nearest frames (the nearer one where either has no person)."""
    n = len(track)
    if n == 0:
        return track
    t = track.timestamps_ms
    t0 = t[0]
    dt = 1000.0 / track.fps
    out_n = max(1, int(math.floor((t[-1] - t0) / factor / dt + 1e-6)) + 1)
    new_t = t0 + np.arange(out_n) * dt
    src_t = t0 + (new_t - t0) * factor
    j = np.clip(np.searchsorted(t, src_t, side="right") - 1, 0, n - 1)
    k = np.minimum(j + 1, n - 1)
    span = t[k] - t[j]
    frac = np.where(span > 0, (src_t - t[j]) / np.where(span > 0, span, 1.0), 0.0)
    frac = np.clip(frac, 0.0, 1.0)
    a, b = track.rows[j], track.rows[k]
    both = np.isfinite(a[:, 2]) & np.isfinite(b[:, 2])
    nearest = np.where(frac[:, None] < 0.5, a, b)
    mixed = a + (b - a) * frac[:, None]
    rows = np.where(both[:, None], mixed, nearest)
    rows[:, 0] = new_t
    rows[:, 1] = nearest[:, 1]
    return _with_rows(track, rows)


def jitter(track: PoseTrack, share: float, seed: int = 0) -> PoseTrack:
    """Independent Gaussian noise on every landmark of every frame: standard deviation
    ``share`` of the picture's longer side, in pixels (isotropic). The world landmarks get
    the same noise in metres, scaled by the clip's median metres-per-pixel (trunk length)."""
    w, h = track.image_size
    sigma_px = share * max(w, h)
    rng = np.random.default_rng(seed)
    image, world, vis = _split(track.rows)
    noise = rng.normal(0.0, sigma_px, image[..., :2].shape)
    image[..., :2] += noise / (w, h)
    sh = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    hp = Landmark.LEFT_HIP, Landmark.RIGHT_HIP
    px_trunk = np.linalg.norm((image[:, sh, :2].mean(1) - image[:, hp, :2].mean(1)) * (w, h), axis=1)
    w_trunk = np.linalg.norm(world[:, sh].mean(1) - world[:, hp].mean(1), axis=1)
    ratio = w_trunk / np.where(px_trunk > 0, px_trunk, np.nan)
    m_per_px = float(np.nanmedian(ratio)) if np.isfinite(ratio).any() else 0.0
    world[..., :2] += rng.normal(0.0, sigma_px * m_per_px, world[..., :2].shape)
    return _with_rows(track, _join(track.rows, image, world, vis))


# ---- variants -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """A named change of a clip: ``apply(track)`` -> the changed track, or None when the
    variant does not apply to this clip (e.g. half rate of a 10 fps GIF)."""

    name: str
    apply: Callable[[PoseTrack], PoseTrack | None]
    #: checks not judged on this variant (timing checks when the speed changes)
    skip_checks: frozenset[str] = frozenset()
    #: the label's person_side_to_camera swaps (mirror)
    swaps_side: bool = False
    #: labelled faults not required on this variant (still false alarms in ``no_faults``)
    skip_faults: frozenset[str] = frozenset()


#: half rate only where the result still has at least 12 fps
MIN_FPS_FOR_HALF = 24.0


def _half_if_fast(track: PoseTrack) -> PoseTrack | None:
    return half_rate(track) if track.fps >= MIN_FPS_FOR_HALF - 0.5 else None


VARIANTS: tuple[Variant, ...] = (
    Variant("mirror", mirror, swaps_side=True),
    Variant("roll+8", lambda t: roll(t, 8.0)),
    Variant("roll-8", lambda t: roll(t, -8.0)),
    # zoomed out, a body part the original frame cut off would be in view: a labelled
    # not_visible need not be reported (a fully visible person must still not get one)
    Variant("zoom60", lambda t: zoom(t, 0.6), skip_faults=frozenset({"not_visible"})),
    Variant("crop", tight_crop),
    Variant("half_fps", _half_if_fast),
    Variant("speed0.8", lambda t: speed(t, 0.8), skip_checks=TIMING_CHECKS),
    Variant("speed1.25", lambda t: speed(t, 1.25), skip_checks=TIMING_CHECKS),
    Variant("jitter", lambda t: jitter(t, 0.005, seed=9)),
)
VARIANT_NAMES = tuple(v.name for v in VARIANTS)


def variant_label(label: ClipLabel, variant: Variant) -> ClipLabel:
    if variant.swaps_side and label.person_side_to_camera in ("left", "right"):
        side = "right" if label.person_side_to_camera == "left" else "left"
        return replace(label, person_side_to_camera=side)
    return label


# ---- judging ------------------------------------------------------------------------------
@dataclass
class Judgement:
    """One analysed run judged against its label."""

    clip: str
    exercise: str
    variant: str
    held: bool
    reps_expected: int | None = None
    reps_found: int | None = None
    reps_ok: bool | None = None
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    error: str | None = None

    def what_failed(self) -> str:
        if self.error:
            return f"error {self.error}"
        parts = []
        if self.reps_ok is False:
            parts.append(f"reps {self.reps_found} (label {self.reps_expected})")
        if self.missed:
            parts.append("missed " + ",".join(self.missed))
        if self.false_alarms:
            parts.append("false alarm " + ",".join(self.false_alarms))
        return "; ".join(parts) or "-"


def judge(label: ClipLabel, result: ExerciseResult, variant: str = "original",
          skip_checks: Iterable[str] = (), skip_faults: Iterable[str] = ()) -> Judgement:
    """``formcheck evaluate``'s criteria on one result; ``skip_checks`` are not judged,
    ``skip_faults`` are not required when labelled as faults."""
    skip = set(skip_checks)
    skip_f = skip | set(skip_faults)
    reported = set(result.fault_ids)
    j = Judgement(label.file, label.exercise, variant, True)
    if label.reps is not None:
        j.reps_expected, j.reps_found = label.reps, result.rep_count
        j.reps_ok = abs(result.rep_count - label.reps) <= label.reps_tolerance
    j.missed = [f for f in label.faults if f not in skip_f and f not in reported]
    j.false_alarms = [f for f in label.no_faults if f not in skip and f in reported]
    j.held = j.reps_ok is not False and not j.missed and not j.false_alarms
    return j


def run_clip(label: ClipLabel, track: PoseTrack,
             variants: Iterable[Variant] = VARIANTS,
             options: EstimatorOptions | None = None) -> list[Judgement]:
    """The unchanged clip (variant ``original``) and every variant that applies to it, each
    analysed with the smoothing that goes with the estimator ``options`` the track came from
    (as `formcheck evaluate` does)."""
    from formcheck.analysis.pipeline import DEFAULT_SMOOTHING, analyze_track, default_smoothing

    smoothing = default_smoothing(options) if options is not None else DEFAULT_SMOOTHING

    out = []
    for v in (Variant("original", lambda t: t), *variants):
        try:
            changed = v.apply(track)
            if changed is None:
                continue
            res = analyze_track(changed, label.exercise, smoothing).result
            out.append(judge(variant_label(label, v), res, v.name, v.skip_checks, v.skip_faults))
        except Exception as exc:  # one broken variant must not hide the others
            out.append(Judgement(label.file, label.exercise, v.name, False,
                                 error=f"{type(exc).__name__}: {exc}"))
    return out


# ---- the whole set ------------------------------------------------------------------------
@dataclass
class ExerciseTally:
    exercise: str
    held: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        return self.held / self.total if self.total else 1.0


def tally(judgements: Iterable[Judgement]) -> dict[str, ExerciseTally]:
    """Per exercise: variant runs that held / variant runs (the original runs not counted)."""
    out: dict[str, ExerciseTally] = {}
    for j in judgements:
        if j.variant == "original":
            continue
        t = out.setdefault(j.exercise, ExerciseTally(j.exercise))
        t.total += 1
        t.held += int(j.held)
    return dict(sorted(out.items()))


def _track_for(label: ClipLabel, videos: Path, options: EstimatorOptions) -> PoseTrack:
    from formcheck.analysis.track import load_or_extract

    return load_or_extract(videos / label.file, options)


#: the layers an analysis of a track runs through (render, coach, batch and cli do not touch it)
ANALYSIS_LAYERS = ("core", "io", "exercises", "analysis")


def _source_digest() -> str:
    """Hash of the .py files of the imported formcheck's analysis layers and of this harness:
    a result cache keyed by it is invalid as soon as any analyzer, smoother or transform
    changes."""
    import formcheck

    root = Path(formcheck.__file__).resolve().parent
    h = hashlib.sha256(Path(__file__).read_bytes())
    folders = [root / d for d in ANALYSIS_LAYERS if (root / d).is_dir()] or [root]
    for p in sorted(f for d in folders for f in d.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _run_one(args: tuple[ClipLabel, str, EstimatorOptions]) -> list[dict[str, Any]]:
    label, videos, options = args
    track = _track_for(label, Path(videos), options)
    return [j.__dict__ for j in run_clip(label, track, options=options)]


def run_suite(labels: str | os.PathLike[str], videos: str | os.PathLike[str] | None = None,
              options: EstimatorOptions | None = None, exercises: list[str] | None = None,
              jobs: int = 1,
              cache_dir: str | os.PathLike[str] | None = None) -> list[Judgement]:
    """Every labelled clip and every variant, judged. With ``cache_dir`` the judgements are
    stored under a key of (the package's source, labels.toml, the landmark tracks), so a
    re-run with unchanged code and clips reads them back instead of re-analysing."""
    from formcheck.analysis.evaluate import load_labels
    from formcheck.io.estimator import EstimatorOptions

    labels = Path(labels)
    folder = Path(videos) if videos else labels.parent
    options = options or EstimatorOptions()
    clips = [c for c in load_labels(labels) if not exercises or c.exercise in exercises]
    cache_path = None
    if cache_dir is not None:
        key = hashlib.sha256()
        key.update(_source_digest().encode())
        key.update(labels.read_bytes())
        key.update(json.dumps(sorted(c.file for c in clips)).encode())
        key.update(repr(options).encode())
        for c in clips:  # the tracks themselves (cheap: stat of the clip files)
            st = (folder / c.file).stat()
            key.update(f"{c.file}:{st.st_size}:{st.st_mtime_ns}".encode())
        cache_path = Path(cache_dir) / f"robustness-{key.hexdigest()[:24]}.json"
        if cache_path.exists():
            try:
                return [Judgement(**d) for d in json.loads(cache_path.read_text())]
            except (ValueError, TypeError):
                cache_path.unlink(missing_ok=True)
    work = [(c, str(folder), options) for c in clips]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            chunks = list(pool.map(_run_one, work))
    else:
        chunks = [_run_one(w) for w in work]
    out = [Judgement(**d) for chunk in chunks for d in chunk]
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(".tmp")
        tmp.write_text(json.dumps([j.__dict__ for j in out]))
        os.replace(tmp, cache_path)
    return out


def format_report(judgements: list[Judgement]) -> str:
    """Markdown: per exercise held/total (with the original's agreement beside it) and every
    failing (clip, variant, what failed)."""
    originals = {j.clip: j for j in judgements if j.variant == "original"}
    tallies = tally(judgements)
    lines = ["| exercise | variant runs held | share | unchanged clips agreeing |",
             "|---|---|---|---|"]
    all_held = all_total = 0
    for ex, t in tallies.items():
        orig = [j for j in originals.values() if j.exercise == ex]
        lines.append(f"| {ex} | {t.held}/{t.total} | {t.share:.0%} | "
                     f"{sum(j.held for j in orig)}/{len(orig)} |")
        all_held += t.held
        all_total += t.total
    share = all_held / all_total if all_total else 1.0
    lines.append(f"| **all** | {all_held}/{all_total} | {share:.0%} | "
                 f"{sum(j.held for j in originals.values())}/{len(originals)} |")
    by_variant: dict[str, list[int]] = {}
    for j in judgements:
        if j.variant != "original":
            c = by_variant.setdefault(j.variant, [0, 0])
            c[0] += int(j.held)
            c[1] += 1
    lines += ["", "| variant | held/total |", "|---|---|"]
    lines += [f"| {v} | {h}/{n} |" for v, (h, n) in by_variant.items()]
    fails = [j for j in judgements if not j.held]
    lines += ["", f"Failing runs ({len(fails)}; `original` = the unchanged clip):", "",
              "| clip | variant | what failed |", "|---|---|---|"]
    for j in sorted(fails, key=lambda j: (j.exercise, j.clip, j.variant != "original")):
        flag = " (unchanged clip fails too)" if j.variant != "original" and \
            not originals.get(j.clip, j).held else ""
        lines.append(f"| {j.clip} | {j.variant} | {j.what_failed()}{flag} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    p = argparse.ArgumentParser(
        prog="python -m formcheck.analysis.robustness",
        description="Landmark-level metamorphic robustness of the analyzers on the labelled "
                    "clips (mirror, roll, zoom, crop, half rate, speed, jitter).")
    p.add_argument("--labels", required=True, help="labels.toml")
    p.add_argument("--videos", help="folder of the clips (default: beside labels)")
    p.add_argument("--exercise", action="append", help="only this exercise (repeatable)")
    p.add_argument("--model", choices=["lite", "full", "heavy"], default="full")
    p.add_argument("--model-fps", type=float, metavar="FPS",
                   help="landmarks of the model on about this many frames per second (as "
                   "analyze's default for recorded video, 15); default every frame")
    p.add_argument("--track", action="store_true",
                   help="landmarks of the model tracking one person (as analyze --track)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--cache", metavar="DIR", help="reuse judgements computed by the same code")
    p.add_argument("--min-share", type=float, default=0.0,
                   help="exit 1 when an exercise's held share is below this (0-1)")
    args = p.parse_args(argv)
    from formcheck.io.estimator import EstimatorOptions

    js = run_suite(args.labels, args.videos,
                   EstimatorOptions(model=args.model, model_fps=args.model_fps,
                                    num_poses=1 if args.track else 2),
                   args.exercise, jobs=args.jobs, cache_dir=args.cache)
    print(format_report(js))
    low = [t for t in tally(js).values() if t.share < args.min_share]
    if low:
        print("below --min-share: " + ", ".join(f"{t.exercise} {t.share:.0%}" for t in low),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
