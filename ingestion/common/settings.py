"""dlt settings the project relies on, applied by every pipeline the project builds."""

from __future__ import annotations

import os

# Arrow items get `_dlt_load_id` too (dbt freshness and incremental models read it).
_DEFAULTS = {
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    "RUNTIME__LOG_LEVEL": "WARNING",
    # a loaded package's job files are a second copy of the rows (personal data included)
    # under pipelines/: delete them once loaded (cxm erase could not reach them otherwise)
    "LOAD__DELETE_COMPLETED_JOBS": "true",
}


def configure_dlt() -> None:
    for key, value in _DEFAULTS.items():
        os.environ.setdefault(key, value)
