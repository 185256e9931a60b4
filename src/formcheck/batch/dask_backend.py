"""The batch on a Dask distributed cluster: ``formcheck batch ... --backend dask``.

Optional: ``pip install 'formcheck[dist]'``. Without ``--scheduler`` a local cluster of
``--jobs`` worker processes (one thread each) is started and stopped around the batch; with
``--scheduler tcp://HOST:8786`` the clips go to an existing cluster. Every worker runs the same
:func:`formcheck.batch.runner.score_one` as the local backend, so results are identical; the main
process writes all files. Workers must have formcheck installed, find the pose model, and
read the clips at the same paths (a shared file system).

Why Dask rather than Ray: a clip is a coarse, independent task of seconds that takes a path
and returns a small dict, which is exactly Dask's ``client.map`` + ``as_completed`` futures
(the same shape as ``concurrent.futures`` used by the local backend). ``dask[distributed]``
is a pure-Python install of a few MB that runs on every platform formcheck supports and
starts a local cluster in about a second inside a test; Ray brings a large native wheel, its
own object store and daemons, and platform/Python-version limits, none of which this
workload needs.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from formcheck.batch.jobs import BatchError, ClipOptions, ClipOutcome, Job, score_one, short_error

INSTALL_HINT = "the dask backend needs Dask distributed: pip install 'formcheck[dist]'"
#: how long to wait for a remote scheduler before giving up
CONNECT_TIMEOUT_S = 20


def _import_distributed() -> ModuleType:
    try:
        from dask import distributed
    except ImportError as exc:
        raise BatchError(INSTALL_HINT) from exc
    return distributed


def run_dask(
    jobs: list[Job],
    options: ClipOptions,
    workers: int,
    scheduler: str | None,
    done: Callable[[Job, ClipOutcome], None],
    clip_reports: bool = False,
) -> None:
    """Score ``jobs`` on a Dask cluster, calling ``done(job, outcome)`` as each finishes."""
    dd = _import_distributed()
    cluster = None
    try:
        if scheduler:
            try:
                client = dd.Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
            except (OSError, TimeoutError) as exc:
                raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            cluster = dd.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None)
            client = dd.Client(cluster)
        with client:
            by_key = {}
            futures = []
            for job in jobs:
                # the content key names the task, so a task is never confused with another clip
                fut = client.submit(score_one, job.clip, job.path, options, clip_reports,
                                    key=f"formcheck-{job.clip}-{job.key[:16]}", pure=False)
                by_key[fut.key] = job
                futures.append(fut)
            for fut in dd.as_completed(futures):
                job = by_key[fut.key]
                try:
                    outcome = fut.result()
                except Exception as exc:  # worker lost, unpicklable result...: an error row
                    outcome = ClipOutcome(job.clip, error=f"dask: {short_error(exc, job.path)}")
                done(job, outcome)
    finally:
        if cluster is not None:
            cluster.close()
