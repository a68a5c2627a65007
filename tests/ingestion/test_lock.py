"""The data directory's writer lock between real processes: a second writer refuses (or
waits, then refuses) naming the holder, and a SIGKILLed holder leaves no stale lock."""

import logging
import signal
import subprocess
import sys
import time

import pytest

from ingestion.lock import WarehouseBusy, lock_path, writer_lock

HOLD = ("import sys, time; from ingestion.lock import writer_lock\n"
        "with writer_lock(sys.argv[1], what='holder test'):\n"
        "    print('held', flush=True); time.sleep(120)\n")


@pytest.fixture
def holder(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_writer_refuses_at_once_naming_the_holder(tmp_path, holder):
    started = time.monotonic()
    with pytest.raises(WarehouseBusy) as err, writer_lock(tmp_path):
        pass
    assert time.monotonic() - started < 1
    assert f"pid {holder.pid} (holder test)" in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_a_waiting_writer_logs_once_and_gives_up_after_the_bound(tmp_path, holder, caplog):
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(WarehouseBusy, match="0.6s"), \
            writer_lock(tmp_path, wait=0.6):
        pass
    assert time.monotonic() - started >= 0.6
    assert [r.getMessage() for r in caplog.records if "waiting up to 0.6s" in r.getMessage()] \
        and len(caplog.records) == 1


def test_a_killed_holder_leaves_no_stale_lock(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with writer_lock(tmp_path, wait=0) as path:  # at once
        assert path == lock_path(tmp_path)
        assert f"pid {holder.pid}" not in path.read_text()


def test_the_lock_is_free_again_after_the_block(tmp_path):
    with writer_lock(tmp_path):
        pass
    with writer_lock(tmp_path):
        pass


def test_cxm_ingest_refuses_with_exit_75_while_another_run_writes(tmp_path, holder, capsys):
    """(`cxm run` is tested with real job processes in tests/faults/test_chain.py.)"""
    from cxm_cli.main import BUSY_EXIT, main

    assert main(["--data-dir", str(tmp_path), "ingest", "--wait", "0.3"]) == BUSY_EXIT == 75
    err = capsys.readouterr().err
    assert f"another run is writing {tmp_path} (holder: pid {holder.pid}" in err
    assert "gave up after waiting 0.3s" in err
