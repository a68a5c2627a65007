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
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from ingestion import paths

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
_SOURCE_DIRS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")
_SOURCE_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")


def dbt_on_path() -> None:
    """dagster-dbt runs the `dbt` it finds on PATH: make it the one installed beside this
    Python (a venv used without activation has no `.venv/bin` on PATH)."""
    bindir = str(Path(sys.executable).parent)
    on_path = shutil.which("dbt") is not None and os.environ.get("PATH", "").startswith(bindir)
    if not on_path and Path(bindir, "dbt").exists():
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


def dbt_cli() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project())


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
