"""The dbt project as Dagster sees it: `DbtProject` plus the manifest it needs.

`@dbt_assets` reads `dbt_project/target/manifest.json` when the definitions load. `dagster dev`
re-parses on every load (`prepare_if_dev`); everywhere else (tests, CI, `cxm demo`, a
deployed code location) `ensure_manifest()` runs `dbt parse` when the manifest is missing or
older than any file of the project, so the asset graph always matches the models on disk.
`cxm parse` does the same explicitly (for a deployment image: parse at build time).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from ingestion import paths

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
_SOURCE_DIRS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")
_SOURCE_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")


def dbt_on_path() -> None:
    """dagster-dbt runs the `dbt` it finds on PATH: make it the one installed beside this
    Python (a venv used without activation has no `.venv/bin` on PATH)."""
    bindir = str(Path(sys.executable).parent)
    on_path = shutil.which("dbt") is not None and os.environ.get("PATH", "").startswith(bindir)
    if not on_path and local_dbt() is not None:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def prepare_environment() -> None:
    """What a dbt subprocess of a run needs: `dbt` on PATH and `CXM_DATA_DIR` absolute
    (profiles.yml reads it and dbt runs in dbt_project/, where a relative value would point
    somewhere else than here)."""
    dbt_on_path()
    os.environ["CXM_DATA_DIR"] = str(paths.data_dir())


@functools.cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def local_dbt() -> Path | None:
    """The `dbt` installed beside this Python, if there is one."""
    path = Path(sys.executable).parent / "dbt"
    return path if path.exists() else None


class DbtCli(DbtCliResource):
    """`DbtCliResource` without two fixed costs of every invocation that our runs do not use
    (measured in the demo's `dbt_models` step: ~9 s of 55 s on the loaded 2-core machine,
    docs/decisions.md 2026-12-02). It overrides two private members of dagster-dbt 0.29;
    tests/orchestration/test_dbt_cli.py fails when an upgrade renames them.

    - `_cli_version`: dagster-dbt runs `dbt --version` in a subprocess (dbt's CLI import, and
      a request to PyPI for the latest release) to tell dbt Core from dbt Fusion. When the
      dbt that runs is the one installed beside this Python (`prepare_environment` puts it
      first on PATH), the installed dbt-core's version is that answer.
    - `_initialize_dbt_core_adapter`: a dbt adapter opened in this process (the project, the
      profile and dbt's macros loaded) serves only `.fetch_row_counts()` and
      `.fetch_column_metadata()`, which no asset here calls (Dagster takes row counts from
      the GX checks and the published metadata). Without it dagster-dbt streams the events
      as before."""

    def _runs_local_dbt(self) -> bool:
        local = local_dbt()
        found = shutil.which(self.dbt_executable)
        return local is not None and found is not None and Path(found) == local

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        if self._runs_local_dbt():
            return version.parse(metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)  # type: ignore[attr-defined]

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_cli() -> DbtCliResource:
    return DbtCli(project_dir=dbt_project())


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _SOURCE_FILES:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for folder in _SOURCE_DIRS:
        for path in (project_dir / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = Path(project.manifest_path)
    return not manifest.exists() or \
        manifest.stat().st_mtime < _newest_source_mtime(Path(project.project_dir))


def parse(project: DbtProject | None = None) -> Path:
    """`dbt parse` into the project's target folder; returns the manifest path."""
    project = project or dbt_project()
    dbt_on_path()
    project.preparer.prepare(project)
    return Path(project.manifest_path)


PARTIAL_PARSE = "partial_parse.msgpack"


def keep_partial_parse(run_target: Path, project: DbtProject | None = None) -> bool:
    """Make the dbt state a run's `dbt build` saved (`<run_target>/partial_parse.msgpack`) the
    project's, which dagster-dbt copies into the next run's target folder.

    dagster-dbt gives every run a target folder of its own and seeds it from the project's
    target/, so without this every run starts from the state of the last `dbt parse`. dbt
    discards that state when the profile differs (the warehouse path, from `CXM_DATA_DIR`):
    each `cxm demo` with another data dir than the last parse's then parsed the whole project
    again inside its run (10-13 s). After one run, the next one with the same data dir parses
    only what changed. Replaced atomically (other processes may read it)."""
    project = project or dbt_project()
    source = Path(run_target) / PARTIAL_PARSE
    if not source.exists():
        return False
    destination = Path(project.project_dir) / project.target_path / PARTIAL_PARSE
    partial = destination.with_name(f".{PARTIAL_PARSE}.{os.getpid()}")
    shutil.copyfile(source, partial)
    os.replace(partial, destination)
    return True


def ensure_manifest(project: DbtProject | None = None) -> Path:
    """A manifest that matches the project on disk (parsed now if missing or stale)."""
    project = project or dbt_project()
    dbt_on_path()
    project.prepare_if_dev()  # `dagster dev`: always re-parse
    if manifest_is_stale(project):
        parse(project)
    return Path(project.manifest_path)
