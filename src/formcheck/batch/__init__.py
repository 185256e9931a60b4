"""Batch scoring of many clips: jobs (one clip's work), the runner, and the backends that run
jobs (local process pool, Dask)."""
