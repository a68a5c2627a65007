"""Run a job of the code location in this process and summarise what it did (`cxm demo`,
tests). The job is the one the schedule runs, from the same `Definitions`."""

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from ingestion import paths

REPO_DAGSTER_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"


def dagster_home(base: str | Path | None = None) -> Path:
    """`$DAGSTER_HOME` if set, else `$CXM_DATA_DIR/dagster_home` (with the repository's
    dagster.yaml), so `DAGSTER_HOME=… dagster dev` shows the runs made here."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = paths.data_dir(base) / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if REPO_DAGSTER_YAML.exists() and not (home / "dagster.yaml").exists():
        shutil.copyfile(REPO_DAGSTER_YAML, home / "dagster.yaml")
    return home


@dataclass
class RunSummary:
    success: bool
    run_id: str
    raw_rows: dict[str, int] = field(default_factory=dict)  # raw asset -> rows in the table
    materialized: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)  # "asset:check (severity)"
    failed_steps: list[str] = field(default_factory=list)
    step_errors: dict[str, str] = field(default_factory=dict)  # step -> innermost error
    published: dict | None = None  # metadata of the `published` materialisation

    def marts(self) -> list[str]:
        from orchestration.dbt_models import PUBLIC_SCHEMAS
        return [k for k in self.materialized if k.split("/")[0] in PUBLIC_SCHEMAS]

    def render(self) -> str:
        raw = [k for k in self.raw_rows]
        lines = [f"Dagster run {self.run_id[:8]}: {'SUCCESS' if self.success else 'FAILED'}",
                 f"  raw tables ({len(raw)}):"]
        for key in sorted(raw):
            lines.append(f"    {key:<40}{self.raw_rows[key]:>12,} rows")
        models = [k for k in self.materialized if k not in self.raw_rows
                  and k != "published" and not k.startswith("exposures/")]
        marts = self.marts()
        lines.append(f"  dbt models built: {len(models)}; public marts: "
                     f"{', '.join(marts) if marts else 'none yet'}")
        errors = [c for c in self.checks_failed if c.endswith("(ERROR)")]
        warns = [c for c in self.checks_failed if c not in errors]
        lines.append(f"  checks: {self.checks_passed} passed, {len(errors)} failed, "
                     f"{len(warns)} warned")
        for label, items in (("failed", errors), ("warned", warns)):
            for item in items[:8]:
                lines.append(f"    {label}: {item}")
            if len(items) > 8:
                lines.append(f"    … and {len(items) - 8} more")
        if self.failed_steps:
            lines.append(f"  failed steps: {', '.join(self.failed_steps)}")
            for step, error in self.step_errors.items():
                lines.append(f"    {step}: {error}")
        if self.published:
            lines.append(f"  published: {self.published['path']} "
                         f"(schemas: {', '.join(self.published['schemas']) or 'none yet'}; "
                         f"{self.published['tables']} tables)")
        else:
            lines.append("  published: not updated (the previous published.duckdb stays)")
        return "\n".join(lines)


def root_error(error: Any) -> str:
    """First line of the innermost cause of a Dagster `SerializableErrorInfo` (dlt wraps a
    source's own error, which names source, endpoint and status, in PipelineStepFailed)."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = (error.message or "").strip().splitlines()
    if not lines:
        return error.cls_name or "unknown error"
    return re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", lines[0])[:300]  # ApiError, not a.b.ApiError


def summarize(result: dg.ExecuteInProcessResult) -> RunSummary:
    from orchestration.raw_assets import raw_tables

    raw_keys = {t.key for tables in raw_tables().values() for t in tables}
    summary = RunSummary(result.success, result.run_id)
    for event in result.all_events:
        if event.is_step_failure:
            summary.failed_steps.append(event.step_key or "?")
            if event.step_failure_data.error is not None:
                summary.step_errors[event.step_key or "?"] = root_error(
                    event.step_failure_data.error)
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.step_materialization_data.materialization
            key = mat.asset_key.to_user_string()
            summary.materialized.append(key)
            meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
            if mat.asset_key in raw_keys:
                summary.raw_rows[key] = int(meta.get("dagster/row_count", 0))
            if key == "published":
                summary.published = meta
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.asset_check_evaluation_data
            if evaluation.passed:
                summary.checks_passed += 1
            else:
                summary.checks_failed.append(
                    f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} "
                    f"({evaluation.severity.value})")
    return summary


def run_job(job_name: str = "nightly", instance: dg.DagsterInstance | None = None,
            log_level: str = "DEBUG", wait: float = 0.0) -> dg.ExecuteInProcessResult:
    """Execute `job_name` of the code location in this process (raise_on_error=False: the
    result tells what failed; the previous published.duckdb stays when a step failed).
    Without `instance`, the run is recorded in `dagster_home()`, its event writes without
    the per-event fsyncs (orchestration/sqlite_instance.py).

    The run holds the data directory's writer lock (ingestion/lock.py): while another
    process writes it, this one waits up to `wait` seconds, then raises `WarehouseBusy`."""
    from ingestion.lock import writer_lock
    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    with writer_lock(wait=wait, what=f"job {job_name}"):
        if instance is None:
            from orchestration.sqlite_instance import sqlite_event_writes

            home = dagster_home()
            with sqlite_event_writes(home), \
                    dg.DagsterInstance.from_config(str(home)) as persistent:
                return job.execute_in_process(instance=persistent, raise_on_error=False,
                                              run_config=run_config)
        return job.execute_in_process(instance=instance, raise_on_error=False,
                                      run_config=run_config)
