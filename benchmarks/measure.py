"""Measure a stage: wall seconds and peak RSS of the whole process tree.

Each stage runs in its own Python subprocess (`python -m benchmarks.stage <name> ...`) so the
peak memory of one stage is not the leftover of another; a sampler polls the RSS of the child
and all its descendants every 50 ms.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import psutil


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    result: dict


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def run_stage(args: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `python -m benchmarks.stage *args`; the stage prints one JSON line as its result."""
    cmd = [sys.executable, "-m", "benchmarks.stage", *args]
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
    proc = psutil.Process(child.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"stage {args} failed ({child.returncode}):\n{err[-4000:]}")
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    return Measured(seconds, peak / 2**20, json.loads(lines[-1]) if lines else {})
