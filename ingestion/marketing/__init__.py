"""Marketing source: the email-service API (`api.py`) plus file exports (`files.py`)."""

from __future__ import annotations

from typing import Any

import dlt

from ingestion.common.incremental import BATCH_ROWS
from ingestion.marketing.api import api_resources
from ingestion.marketing.files import file_resources


@dlt.source(name="marketing", section="marketing")
def marketing_source(
    base_url: str | None = dlt.config.value,
    access_token: str | None = dlt.secrets.value,
    page_size: int = 100,
    exports_path: str | None = None,
    files_url: str | None = None,
    start_date: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Any:
    """Email API resources (campaigns, profiles, email_events, coupons, coupon_redemptions)
    plus the file resources (ad_spend, survey_responses, experiment_assignments).

    Config (`sources.marketing.*` / `SOURCES__MARKETING__*`): base_url, access_token (secret),
    page_size (JSON:API `page[size]`, default 100), exports_path (read the API tables from an
    export folder instead), files_url (fsspec URL of the ad/survey/experiment files; default
    `$CXM_DATA_DIR/landing/marketing`), start_date (first-run lower bound, ISO), batch_rows."""
    return [*api_resources(base_url, access_token, page_size, exports_path, start_date,
                           batch_rows),
            *file_resources(files_url)]


__all__ = ["marketing_source"]
