"""Headless Chromium for the report tests: Debian's `chromium` package, installed by the test
set-up when missing (CI runs as root with the Debian registry), driven by Playwright's Python
package with `executable_path` — Playwright never downloads a browser here."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS_ENV = "CXM_TEST_ARTIFACTS"
REPO = Path(__file__).resolve().parents[2]


def artifacts_dir() -> Path:
    """Where tests leave files for people to look at: $CXM_TEST_ARTIFACTS, else
    `test-artifacts/` at the repository root (gitignored)."""
    folder = Path(os.environ.get(ARTIFACTS_ENV) or REPO / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _apt_install() -> subprocess.CompletedProcess:
    return subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def ensure_chromium() -> tuple[Path, float]:
    """/usr/bin/chromium, installing Debian's package first when it is missing (apt-get
    update only when the install fails on stale lists); and the seconds the install took."""
    if CHROMIUM.exists():
        return CHROMIUM, 0.0
    if shutil.which("apt-get") is None:
        raise RuntimeError(f"{CHROMIUM} is missing and there is no apt-get to install it")
    started = time.perf_counter()
    done = _apt_install()
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True, text=True, check=False)
        done = _apt_install()
    if done.returncode != 0 or not CHROMIUM.exists():
        raise RuntimeError("apt-get install chromium failed (root and the Debian registry "
                           f"are needed):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return CHROMIUM, time.perf_counter() - started
