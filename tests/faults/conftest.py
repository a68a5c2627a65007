"""Session fixtures of the fault suite: one small generated company (copied per test with
shutil.copytree, never regenerated) and one clean run of the real job on it, the baseline
every fault's outcome is compared with."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingestion import paths
from ingestion.demo.generator import generate
from ingestion.demo.standin import StandInServer
from tests.faults.harness import (
    SCALE,
    SEED,
    TOKEN,
    Fingerprint,
    fingerprint,
    job_env,
    kill_started_jobs,
    start_job,
)


@dataclass
class CleanRun:
    base: Path
    fingerprint: Fingerprint

    @property
    def published(self) -> Path:
        return paths.published_path(self.base)


def copy_company(src: Path, parent: Path) -> Path:
    """A fresh copy of the generated company (vendor store, landing files, truth) to run on."""
    return Path(shutil.copytree(src, parent / "data"))


@pytest.fixture(scope="session")
def fault_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fault_company") / "data"
    generate(base, scale=SCALE, seed=SEED)
    return base


@pytest.fixture(scope="session")
def clean_run(fault_company: Path, tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    base = copy_company(fault_company, tmp_path_factory.mktemp("clean"))
    with StandInServer(base, token=TOKEN) as server:
        job = start_job(base, job_env(server.base_url, base), "clean")
        rc = job.wait()
    assert rc == 0, job.output()[-4000:]
    return CleanRun(base, fingerprint(paths.published_path(base)))


@pytest.fixture(scope="session", autouse=True)
def _no_job_outlives_the_session():
    yield
    kill_started_jobs()
