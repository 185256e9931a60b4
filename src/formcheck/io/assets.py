"""Filling the project's ``models/`` and ``sample_videos/`` folders (``formcheck fetch``).

Each folder has a ``MANIFEST.tsv``: one row per file with its size, SHA-256 and where it
comes from. The binaries stay out of git. :func:`fetch` makes a folder match its manifest:

1. a file already there with the manifest's SHA-256 is left alone (one with other bytes, e.g.
   the official model downloaded earlier, is kept too unless a shared copy can replace it
   or ``force`` is given);
2. else, if a copy is found in the shared folder (``../shared/<folder>`` in this workspace,
   or ``$FORMCHECK_SHARED/<folder>``), it is copied after its SHA-256 is checked;
3. else it is downloaded from the row's ``url`` (the official model address, or the clip's
   public source repository on GitHub). GIF sources are converted to H.264 mp4 (PyAV) with
   the GIF's own frame timing.

Every write is atomic (temporary file, then ``os.replace``); a failed file leaves nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

from formcheck.core.errors import FormcheckError
from formcheck.io.files import file_sha256, write_atomic
from formcheck.io.models import PROJECT_ROOT

#: manifest columns, in order
COLUMNS = ("file", "bytes", "sha256", "url", "url_sha256", "convert", "source", "license")
FOLDERS = ("models", "sample_videos")


class AssetError(FormcheckError):
    """A file could not be fetched or verified. The message is user-facing."""


@dataclass(frozen=True)
class Asset:
    """One row of a MANIFEST.tsv.

    ``sha256``/``bytes`` describe the file as it should be in the folder (the workspace copy).
    ``url_sha256`` is the hash of what ``url`` serves when known ("" when the publisher gives
    none: the download is then checked by content instead). ``convert`` is "" or "gif->mp4".
    """

    file: str
    bytes: int
    sha256: str
    url: str
    url_sha256: str = ""
    convert: str = ""
    source: str = ""
    license: str = ""


def read_manifest(path: str | os.PathLike[str]) -> list[Asset]:
    path = Path(path)
    if not path.is_file():
        raise AssetError(f"no manifest at {path}")
    rows = []
    with open(path, newline="") as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    if reader.fieldnames is None or list(reader.fieldnames) != list(COLUMNS):
        raise AssetError(f"{path}: header must be {' '.join(COLUMNS)}")
    for i, r in enumerate(reader, start=2):
        try:
            rows.append(Asset(r["file"], int(r["bytes"]), r["sha256"].lower(), r["url"],
                              r["url_sha256"].lower(), r["convert"], r["source"], r["license"]))
        except (TypeError, ValueError) as exc:
            raise AssetError(f"{path}: bad row {i} ({exc})") from None
    return rows


def write_manifest(path: str | os.PathLike[str], assets: list[Asset], comment: str = "") -> None:
    buf = io.StringIO()
    buf.writelines(f"# {line}\n" for line in comment.splitlines())
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(COLUMNS)
    for a in assets:
        w.writerow([a.file, a.bytes, a.sha256, a.url, a.url_sha256, a.convert, a.source,
                    a.license])
    write_atomic(path, buf.getvalue())


def shared_root() -> Path:
    env = os.environ.get("FORMCHECK_SHARED")
    return Path(env).expanduser() if env else PROJECT_ROOT.parent / "shared"


def copy_verified(src: Path, dest: Path, sha256: str) -> None:
    """Copy ``src`` to ``dest`` atomically if its SHA-256 is ``sha256``; else AssetError."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            while block := fin.read(1 << 20):
                h.update(block)
                fout.write(block)
        if h.hexdigest() != sha256:
            raise AssetError(
                f"{src} has SHA-256 {h.hexdigest()}, the manifest says {sha256}; not copied"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def gif_to_mp4(src: str | os.PathLike[str], dest: str | os.PathLike[str], crf: int = 18) -> int:
    """Convert an animated GIF to H.264 mp4 keeping each frame's own display time.

    GIF frame delays vary (a pose held longer shows longer), so timestamps are copied from
    the GIF (variable frame rate), not resampled. Odd sizes are padded by one edge pixel
    (yuv420p needs even sizes). Written atomically; returns the number of frames.
    """
    import av
    import numpy as np

    dest = Path(dest)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".mp4", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    n = 0
    try:
        with av.open(str(src)) as inp:
            if not inp.streams.video:
                raise AssetError(f"{src} has no pictures")
            s_in = inp.streams.video[0]
            tb = s_in.time_base or Fraction(1, 100)
            with av.open(str(tmp), mode="w") as out:
                s_out = None
                last_pts = -1
                for frame in inp.decode(s_in):
                    rgb = frame.to_ndarray(format="rgb24")
                    h, w = rgb.shape[:2]
                    if h % 2 or w % 2:
                        rgb = cast(Any, np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge"))
                    if s_out is None:
                        s_out = out.add_stream("libx264", rate=Fraction(100, 1))
                        s_out.width, s_out.height = rgb.shape[1], rgb.shape[0]
                        s_out.pix_fmt = "yuv420p"
                        s_out.codec_context.time_base = Fraction(1, 1000)
                        s_out.options = {"crf": str(crf)}
                    t_ms = int(round(float((frame.pts or 0) * tb) * 1000))
                    pts = max(t_ms, last_pts + 1)
                    last_pts = pts
                    vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                    vf.pts, vf.time_base = pts, Fraction(1, 1000)
                    for packet in s_out.encode(vf):
                        out.mux(packet)
                    n += 1
                if s_out is None:
                    raise AssetError(f"{src} has no frames")
                for packet in s_out.encode():
                    out.mux(packet)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except av.error.FFmpegError as exc:
        raise AssetError(f"cannot convert {Path(src).name} to mp4: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return n


@dataclass(frozen=True)
class FetchReport:
    file: str
    how: str  # "present" | "copied" | "downloaded" | "failed"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.how != "failed"


def fetch_one(asset: Asset, folder: Path, shared: Path | None, download: bool = True,
              progress: bool = True, force: bool = False) -> FetchReport:
    """Make ``folder/asset.file`` match the manifest row (see the module docstring)."""
    from formcheck.io.model_download import check_bundle, download_file
    from formcheck.io.models import ModelError

    dest = folder / asset.file
    have_shared = shared is not None and (shared / asset.file).is_file()
    if dest.is_file():
        digest = file_sha256(dest)
        if digest == asset.sha256:
            return FetchReport(asset.file, "present")
        if not (force or have_shared):
            # e.g. downloaded earlier from the official address (other bytes than the
            # workspace build): usable, so not fetched again unless asked
            return FetchReport(asset.file, "present",
                               f"SHA-256 {digest[:12]}... differs from the manifest "
                               "(use --force to fetch again)")
    if have_shared:
        assert shared is not None  # have_shared says so
        try:
            copy_verified(shared / asset.file, dest, asset.sha256)
        except (AssetError, OSError) as exc:
            return FetchReport(asset.file, "failed", str(exc))
        return FetchReport(asset.file, "copied", f"from {shared}")
    if not download:
        return FetchReport(asset.file, "failed", f"not in {shared} and downloads are off")
    if not asset.url:
        return FetchReport(asset.file, "failed", "no download address in the manifest")
    check = check_bundle if asset.file.endswith(".task") else None
    try:
        if asset.convert == "gif->mp4":
            with tempfile.TemporaryDirectory(dir=folder) as td:
                gif = Path(td) / (Path(asset.file).stem + ".gif")
                download_file(asset.url, gif, sha256=asset.url_sha256 or None,
                              progress=progress, error=AssetError)
                gif_to_mp4(gif, dest)
            note = "converted from GIF"
        elif asset.convert:
            # a cut, crop or WebP capture: the labelled copy is not a plain download
            return FetchReport(asset.file, "failed",
                               f"not reproducible by a download ({asset.convert}); "
                               "copy it from the workspace's shared/sample_videos")
        else:
            download_file(asset.url, dest, sha256=asset.url_sha256 or None,
                          progress=progress, check=check, error=AssetError)
            note = ""
    except (AssetError, ModelError, OSError) as exc:
        return FetchReport(asset.file, "failed", str(exc))
    digest = file_sha256(dest)
    if digest != asset.sha256:
        # e.g. the official model (its bytes differ from the workspace build) or a GIF
        # conversion (encoder output differs); the file is usable but not the manifest's.
        diff = f"SHA-256 {digest[:12]}... differs from the manifest's {asset.sha256[:12]}..."
        note = f"{note}; {diff}" if note else diff
    return FetchReport(asset.file, "downloaded", note)


def fetch(folder_name: str, root: Path | None = None, shared: Path | None = None,
          download: bool = True, progress: bool = True, force: bool = False,
          on_report: Callable[[FetchReport], None] | None = None) -> list[FetchReport]:
    """Fill ``<root>/<folder_name>`` from its MANIFEST.tsv. Returns one report per row."""
    if folder_name not in FOLDERS:
        raise ValueError(f"folder must be one of {', '.join(FOLDERS)}, not {folder_name!r}")
    root = root or PROJECT_ROOT
    folder = root / folder_name
    shared_dir = (shared or shared_root()) / folder_name
    reports = []
    for asset in read_manifest(folder / "MANIFEST.tsv"):
        r = fetch_one(asset, folder, shared_dir if shared_dir.is_dir() else None, download,
                      progress, force)
        reports.append(r)
        if on_report:
            on_report(r)
    return reports
