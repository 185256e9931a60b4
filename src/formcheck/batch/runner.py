"""Score many clips: ``formcheck batch INPUTS... --exercise ID|auto --out DIR [--jobs N]``.

Each clip goes through the same analysis as ``formcheck analyze`` (in a worker process), and
gets the same JSON document (``DIR/<clip>.json``). ``DIR/scores.csv`` has one row per clip,
sorted by clip name, with the form score (:mod:`formcheck.analysis.score`); ``DIR/report.html`` is a
self-contained summary. A clip that cannot be read becomes an ``error`` row; the rest still
score.

Resuming: each clip's result is recorded under ``DIR/.formcheck-batch/`` with a key made of
the clip's bytes, the model file's bytes, the formcheck version and the analysis options. A
re-run skips every clip whose key is unchanged and whose JSON is still there, so an
interrupted batch picks up where it stopped; error rows are retried (cheap for a broken file,
and a crashed worker gets another chance). Output files hold no timestamps and floats are
rounded, so re-runs are byte-identical. The key does not cover formcheck's code between
releases: after changing the code without a version bump, use a fresh ``--out``.

Backends: ``local`` (a ``ProcessPoolExecutor`` with the spawn start method; one worker with
the full model keeps about one core busy) and ``dask`` (:mod:`formcheck.batch.dask_backend`).
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from formcheck.analysis.score import form_score
from formcheck.batch.jobs import Backend, BatchError, ClipOptions, ClipOutcome, Job, score_one, short_error
from formcheck.io.files import file_sha256
from formcheck.io.outputs import (
    OutputError,
    check_not_input,
    check_output_dir,
    name_max,
    write_atomic,
)

VIDEO_EXTS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".gif", ".wmv")
STATE_DIR = ".formcheck-batch"
STATE_VERSION = 1
AUTO = "auto"


@dataclass
class BatchSummary:
    rows: list[dict[str, Any]] = field(default_factory=list)
    scored: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    out: Path = Path(".")


# ---- inputs --------------------------------------------------------------------------------

def collect_inputs(inputs: Iterable[str]) -> list[Path]:
    """Files, folders (their video files, recursively) and glob patterns -> sorted unique files.

    A file named explicitly is taken whatever its extension (so a broken file becomes an error
    row); folders and globs contribute files with a video extension. A name that matches
    nothing is a :class:`BatchError`.
    """
    found: dict[str, Path] = {}
    for spec in inputs:
        p = Path(spec).expanduser()
        if p.is_file():
            found.setdefault(str(p.resolve()), p)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in VIDEO_EXTS:
                    found.setdefault(str(f.resolve()), f)
        elif glob.has_magic(spec):
            hits = [Path(h) for h in sorted(glob.glob(os.path.expanduser(spec), recursive=True))]
            hits = [h for h in hits if h.is_file() and h.suffix.lower() in VIDEO_EXTS]
            if not hits:
                raise BatchError(f"no video files match {spec}")
            for h in hits:
                found.setdefault(str(h.resolve()), h)
        else:
            raise BatchError(f"no such file or folder: {spec}")
    return sorted(found.values(), key=lambda q: (q.name, str(q.resolve())))


def clip_names(paths: list[Path]) -> list[str]:
    """Output names: the file name's stem, with a short path hash where two stems collide."""
    stems = [p.stem for p in paths]
    out = []
    for p, stem in zip(paths, stems):
        if stems.count(stem) > 1:
            digest = hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:8]
            stem = f"{stem}-{digest}"
        out.append(stem)
    return out


def modelfile_sha256(options: ClipOptions) -> str:
    from formcheck.io.model_download import resolve_model

    return file_sha256(resolve_model(options.model, options.model_path))


def job_key(path: str | os.PathLike[str], options: ClipOptions, model_hash: str) -> str:
    """Content key of one clip's result: clip bytes + model bytes + version + options."""
    from formcheck import __version__

    try:
        clip_hash = file_sha256(path)
    except OSError as exc:  # unreadable: key on the error, so it is retried once readable
        clip_hash = f"unreadable:{type(exc).__name__}"
    opts = {k: v for k, v in asdict(options).items() if k != "model_path"}
    payload = json.dumps(
        {"v": STATE_VERSION, "clip": clip_hash, "model": model_hash, "formcheck": __version__,
         "options": opts},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# ---- rows and files --------------------------------------------------------------------------

BASE_COLUMNS = [
    "clip", "exercise", "status", "form_score", "reps", "good_reps", "holds", "hold_s",
    "hold_good_s", "duration_s", "coverage", "fault_ids",
]
FAULT_PREFIX = "fault_s:"


def row_from_doc(clip: str, doc: dict[str, Any]) -> dict[str, Any]:
    fs = form_score(doc)
    reps = doc.get("reps") or []
    holds = doc.get("holds") or []
    return {
        "clip": clip,
        "exercise": doc.get("exercise", ""),
        "status": "ok" if doc.get("frames_with_pose") else "no_pose",
        "form_score": fs.score,
        "reps": len(reps),
        "good_reps": sum(1 for r in reps if r.get("good", True)),
        "holds": len(holds),
        "hold_s": round(sum(h["end_s"] - h["start_s"] for h in holds), 3),
        "hold_good_s": round(sum(h["good_s"] for h in holds), 3),
        "duration_s": doc.get("duration_s", 0.0),
        "coverage": doc.get("coverage", 0.0),
        "fault_ids": " ".join(doc.get("fault_ids") or []),
        "faults": fs.fault_s,
        "error": "",
    }


def error_row(clip: str, exercise: str, error: str) -> dict[str, Any]:
    return {"clip": clip, "exercise": "" if exercise == AUTO else exercise, "status": "error",
            "form_score": None, "reps": None, "good_reps": None, "holds": None, "hold_s": None,
            "hold_good_s": None, "duration_s": None, "coverage": None, "fault_ids": "",
            "faults": {}, "error": error}


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if v == v else "nan"
    return str(v)


#: first characters that make a spreadsheet read a cell as a formula (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> str:
    """A CSV cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    text = _fmt(v)
    if isinstance(v, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def scores_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text: base columns, one ``fault_s:<check>`` column per check seen, then error."""
    checks = sorted({c for r in rows for c in r["faults"]})
    header = BASE_COLUMNS + [FAULT_PREFIX + c for c in checks] + ["error"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in sorted(rows, key=lambda r: r["clip"]):
        vals = [_cell(r[c]) for c in BASE_COLUMNS]
        if r["status"] == "error":
            vals += ["" for _ in checks]
        else:
            vals += [_fmt(float(r["faults"].get(c, 0.0))) for c in checks]
        w.writerow(vals + [_cell(r["error"])])
    return buf.getvalue()


def document_text(doc: dict[str, Any]) -> str:
    """Exactly the bytes ``formcheck analyze --json`` writes."""
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def _state_path(out: Path, clip: str) -> Path:
    return out / STATE_DIR / f"{clip}.json"


def _load_state(out: Path, job: Job, need_html: bool = False) -> dict[str, Any] | None:
    p = _state_path(out, job.clip)
    try:
        state = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    if state.get("key") != job.key:
        return None
    row = state.get("row")
    if not isinstance(row, dict):
        return None
    if row.get("status") == "error":
        return None  # errors are retried: the cause (a crashed worker, a fix) may be gone
    if not (out / f"{job.clip}.json").is_file():
        return None  # the document was deleted: score again
    if need_html and not (out / f"{job.clip}.html").is_file():
        return None
    return row


def _save_outcome(out: Path, job: Job, outcome: ClipOutcome, exercise: str) -> dict[str, Any]:
    # the state first, the documents last: a clip counts as done (``_load_state``) only once
    # its JSON is there, so a stop between the writes re-scores it rather than lose its row
    if outcome.doc is not None:
        row = row_from_doc(job.clip, outcome.doc)
    else:
        row = error_row(job.clip, exercise, outcome.error or "unknown error")
    write_atomic(_state_path(out, job.clip),
                 json.dumps({"key": job.key, "path": job.path, "row": row}, sort_keys=True))
    if outcome.doc is not None:
        if outcome.html is not None:
            write_atomic(out / f"{job.clip}.html", outcome.html)
        write_atomic(out / f"{job.clip}.json", document_text(outcome.doc))
    return row


# ---- running ------------------------------------------------------------------------------

#: what a pool runs for one job: (worker function, clip, path, options, clip_reports)
WorkerCall = tuple[Callable[..., ClipOutcome], str, str, ClipOptions, bool]


def plan_jobs(paths: list[Path], options: ClipOptions) -> list[Job]:
    model_hash = modelfile_sha256(options)
    return [Job(name, str(p), job_key(p, options, model_hash))
            for name, p in zip(clip_names(paths), paths)]


def _run_pool(jobs: list[Job], workers: int, call: Callable[[Job], WorkerCall],
              done: Callable[[Job, ClipOutcome], None]) -> list[Job]:
    """Run ``jobs`` in one pool; returns the jobs lost to a crashed worker (not ``done``)."""
    by_clip = {j.clip: j for j in jobs}
    lost: list[Job] = []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                               initializer=_worker_init)
    try:
        futs: dict[Future[ClipOutcome], str] = {}
        for j in jobs:
            worker_fn, *args = call(j)
            futs[pool.submit(worker_fn, *args)] = j.clip
        for fut in as_completed(futs):
            job = by_clip[futs[fut]]
            try:
                outcome = fut.result()
            except BrokenProcessPool:  # a worker died (e.g. a decoder crash): which clip is unknown
                lost.append(job)
                continue
            except Exception as exc:  # e.g. a result that cannot be sent back
                outcome = ClipOutcome(job.clip, error=short_error(exc, job.path))
            done(job, outcome)
    except BaseException:
        # interrupted (Ctrl-C) or failed: stop now rather than finish every queued clip; what
        # finished is already recorded, so the next run resumes from there. Python < 3.14 has
        # no public way to stop running workers, hence the private ``_processes``.
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        for proc in procs:  # gone before we return: no worker may outlive the command
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
        raise
    pool.shutdown()
    return sorted(lost, key=lambda j: j.clip)


def _worker_init() -> None:
    """In each worker: leave Ctrl-C to the parent, which stops the workers itself (a worker
    that took the terminal's SIGINT would print its own traceback)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_local(jobs: list[Job], options: ClipOptions, workers: int,
               done: Callable[[Job, ClipOutcome], None], clip_reports: bool = False,
               worker: Callable[..., ClipOutcome] = score_one) -> None:
    """Score ``jobs`` in spawned worker processes, calling ``done`` as each finishes.

    A worker that dies (a native crash in a decoder, killed for memory) breaks the whole pool
    and every clip still in it; those clips are then run again one per process, so only the
    clip that crashes becomes an error row.
    """
    def call(j: Job) -> WorkerCall:
        return (worker, j.clip, j.path, options, clip_reports)

    lost = _run_pool(jobs, workers, call, done)
    for job in lost:
        if _run_pool([job], 1, call, done):
            done(job, ClipOutcome(job.clip, error="worker crashed (the process died while "
                                  "scoring this clip)"))


def run_local(jobs: list[Job], options: ClipOptions, workers: int, scheduler: str | None,
              done: Callable[[Job, ClipOutcome], None], clip_reports: bool = False) -> None:
    """The ``local`` backend: a process pool of at most ``workers`` (``scheduler`` unused)."""
    _run_local(jobs, options, min(workers, len(jobs)), done, clip_reports)


def run_dask(jobs: list[Job], options: ClipOptions, workers: int, scheduler: str | None,
             done: Callable[[Job, ClipOutcome], None], clip_reports: bool = False) -> None:
    """The ``dask`` backend (:mod:`formcheck.batch.dask_backend`, imported only when used)."""
    from formcheck.batch.dask_backend import run_dask as run

    run(jobs, options, workers, scheduler, done, clip_reports)


#: ``--backend`` name -> backend; each scores jobs and calls ``done(job, outcome)`` as each
#: finishes (the :class:`formcheck.batch.jobs.Backend` interface)
BACKENDS: dict[str, Backend] = {"local": run_local, "dask": run_dask}


def _check_options(options: ClipOptions, jobs: int, backend: str) -> None:
    if jobs < 1:
        raise BatchError("--jobs must be at least 1")
    if backend not in BACKENDS:
        raise BatchError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if options.exercise != AUTO:
        from formcheck.core.checks import validate_exercise

        try:
            validate_exercise(options.exercise)
        except ValueError as exc:
            raise BatchError(str(exc)) from None


def _out_folder(out: str | os.PathLike[str]) -> Path:
    """The output folder, created if missing; BatchError when it cannot be."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create {out}: {exc.strerror or exc}") from None
    return out


def run_batch(
    inputs: Iterable[str],
    out: str | os.PathLike[str],
    options: ClipOptions,
    jobs: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
    progress: bool = False,
    report: bool = True,
    clip_reports: bool = False,
) -> BatchSummary:
    """Score every clip in ``inputs`` into ``out``; returns what was scored and skipped.

    ``report``: write ``out/report.html`` (summary of all clips); ``clip_reports``: also an
    HTML report per clip (``out/<clip>.html``, as ``analyze --report``).
    """
    _check_options(options, jobs, backend)
    paths = collect_inputs(inputs)
    if not paths:
        raise BatchError("no clips to score")
    _check_out(Path(out), paths, clip_names(paths))
    out = _out_folder(out)
    summary = BatchSummary(out=out)
    rows: dict[str, dict[str, Any]] = {}
    todo = _plan(out, paths, options, clip_reports, summary, rows)
    bar = _progress_bar(len(todo)) if progress and todo else None

    def done(job: Job, outcome: ClipOutcome) -> None:
        rows[job.clip] = _save_outcome(out, job, outcome, options.exercise)
        summary.scored.append(job.clip)
        if bar is not None:
            bar.set_postfix_str(job.clip, refresh=False)
            bar.update(1)

    try:
        if todo:
            BACKENDS[backend](todo, options, jobs, scheduler, done, clip_reports)
    finally:
        if bar is not None:
            bar.close()
        # whatever finished is recorded (state files); the summary files reflect it, also a
        # clip whose files were written when a stop cut its bookkeeping short
        _recover_rows(out, todo, rows, clip_reports)
        summary.rows = [rows[c] for c in sorted(rows)]
        write_atomic(out / "scores.csv", scores_csv(summary.rows))
    summary.errors = [r["clip"] for r in summary.rows if r["status"] == "error"]
    summary.scored.sort()
    summary.skipped.sort()
    if report:
        _write_report(out, summary)
    return summary


def _plan(out: Path, paths: list[Path], options: ClipOptions, clip_reports: bool,
          summary: BatchSummary, rows: dict[str, dict[str, Any]]) -> list[Job]:
    """The jobs still to score. A clip already scored (its state file) is a skipped row, a
    clip whose result files cannot be named an error row."""
    todo: list[Job] = []
    for job in plan_jobs(paths, options):
        too_long = _name_too_long(out, job, options)
        if too_long is not None:  # its result files cannot be named: an error row
            rows[job.clip] = too_long
            summary.scored.append(job.clip)
            continue
        row = _load_state(out, job, need_html=clip_reports)
        if row is not None:
            rows[job.clip] = row
            summary.skipped.append(job.clip)
        else:
            todo.append(job)
    return todo


def _progress_bar(total: int) -> Any:
    """A tqdm bar over ``total`` clips on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, desc="clips", unit="clip", file=sys.stderr)


def _write_report(out: Path, summary: BatchSummary) -> None:
    """``out/report.html``: every clip's row, linked to its own report where there is one."""
    from formcheck.render.report import write_batch_report

    linked = {r["clip"] for r in summary.rows if os.path.isfile(out / f"{r['clip']}.html")}
    write_batch_report(out / "report.html", summary.rows, linked)


def _recover_rows(out: Path, todo: list[Job], rows: dict[str, dict[str, Any]], clip_reports: bool) -> None:
    """Rows of clips whose files were written when a stop cut their bookkeeping short."""
    for job in todo:
        if job.clip not in rows:
            row = _load_state(out, job, need_html=clip_reports)
            if row is not None:
                rows[job.clip] = row


def _name_too_long(out: Path, job: Job, options: ClipOptions) -> dict[str, Any] | None:
    """An error row when the clip's result files (``<clip>.json/.html``) cannot be named in
    ``out`` (the file system's name limit), else None."""
    limit = name_max(out)
    if len(os.fsencode(f"{job.clip}.html")) <= limit:
        return None
    return error_row(job.clip, options.exercise, (
        f"file name too long: the results of {Path(job.path).name} cannot be named in {out} "
        f"({len(os.fsencode(job.clip))} bytes; the limit is {limit})"))


def _check_out(out: Path, paths: list[Path], names: list[str]) -> None:
    """Before any work: --out must be a writable folder, and none of the files the batch
    writes there (summary, per-clip results, resume state) may be one of the inputs."""
    files = ["scores.csv", "report.html"]
    for name in names:
        files += [f"{name}.json", f"{name}.html", f"{STATE_DIR}/{name}.json"]
    try:
        check_output_dir(out, flag="--out", inputs=paths, files=[])
        for f in files:  # the length of a clip's names is checked per clip (an error row)
            check_not_input(out / f, paths, flag="--out", folder=out)
    except OutputError as exc:
        raise BatchError(str(exc)) from None


def format_batch_summary(summary: BatchSummary) -> str:
    lines = [f"{len(summary.rows)} clips: {len(summary.scored)} scored, "
             f"{len(summary.skipped)} already scored (skipped), {len(summary.errors)} errors"]
    for r in summary.rows:
        score = "-" if r["form_score"] is None else f"{r['form_score']:5.1f}"
        what = r["error"] if r["status"] == "error" else (
            f"{r['exercise']}, reps {r['reps']} ({r['good_reps']} good), "
            f"hold {r['hold_good_s']:.1f}/{r['hold_s']:.1f}s good, faults: {r['fault_ids'] or '-'}")
        lines.append(f"  {r['clip']:<24} {r['status']:<7} {score}  {what}")
    lines.append(f"results in {summary.out}/ (scores.csv, report.html, one JSON per clip)")
    return "\n".join(lines)


# ---- command line ------------------------------------------------------------------------------

def add_batch_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``batch`` subcommand's arguments (``sub``: argparse subparsers)."""
    from formcheck.core.checks import EXERCISE_IDS

    b = sub.add_parser(
        "batch", help="score many clips in parallel",
        description="Score many clips (files, folders, globs) in parallel worker processes: one "
        "JSON per clip (as analyze --json), scores.csv and report.html in --out. Clips already "
        "scored with the same clip, model, version and options are skipped (resume).")
    b.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, folders or globs")
    b.add_argument("--exercise", "-e", required=True, choices=[AUTO, *EXERCISE_IDS], metavar="ID",
                   help="exercise id, or auto to recognise it per clip: " + ", ".join(EXERCISE_IDS))
    b.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    b.add_argument("--jobs", "-j", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="worker processes (default: 2 or the number of CPUs if fewer; a worker "
                   "with the full model keeps about one core busy)")
    b.add_argument("--backend", choices=list(BACKENDS), default="local",
                   help="local worker processes, or Dask distributed (pip install "
                   "'formcheck[dist]')")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:8786); default: a local cluster")
    b.add_argument("--no-smoothing", action="store_true", help="disable landmark smoothing")
    b.add_argument("--no-report", action="store_true", help="do not write report.html")
    b.add_argument("--clip-reports", action="store_true",
                   help="also write an HTML report per clip (DIR/<clip>.html, as analyze --report)")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    b.add_argument("--model", choices=["lite", "full", "heavy"], default="full",
                   help="pose model variant (default: full)")
    b.add_argument("--model-path", metavar="FILE",
                   help="explicit pose_landmarker .task file (overrides --model lookup)")
    b.add_argument("--full-rate", action="store_true",
                   help="run the pose model on every frame (default: about 15 frames per "
                   "second of video, as analyze)")


def main_batch(args: argparse.Namespace) -> int:
    """``formcheck batch`` body: 0 when every clip scored, 1 when some clip is an error row."""
    if args.scheduler and args.backend != "dask":
        raise BatchError("--scheduler needs --backend dask")
    options = ClipOptions(exercise=args.exercise, model=args.model, model_path=args.model_path,
                          smoothing=not args.no_smoothing, full_rate=args.full_rate)
    summary = run_batch(args.inputs, args.out, options, jobs=args.jobs, backend=args.backend,
                        scheduler=args.scheduler, progress=not args.quiet and sys.stderr.isatty(),
                        report=not args.no_report, clip_reports=args.clip_reports)
    if not args.quiet:
        print(format_batch_summary(summary))
    return 1 if summary.errors else 0
