"""`sqlite_event_writes`: Dagster's SQLite databases under the home skip the per-commit and
per-close fsyncs while the block runs, and what Dagster stores stays readable afterwards."""

import sqlite3
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from orchestration.sqlite_instance import sqlite_event_writes

FULL, NORMAL = 2, 1


def _wal_db(path: Path) -> sa.Engine:
    """An engine as Dagster's SQLite storages make one: NullPool, a new connection per use."""
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text("PRAGMA journal_mode=WAL"))
        conn.execute(sa.text("create table if not exists t (x integer)"))
        conn.commit()
    return engine


def _write_and_sync(engine: sa.Engine) -> int:
    """Insert a row and return the connection's `synchronous` level."""
    with engine.connect() as conn:
        conn.execute(sa.text("insert into t values (1)"))
        conn.commit()
        return conn.execute(sa.text("PRAGMA synchronous")).scalar_one()


def test_connections_under_home_are_tuned_and_the_wal_stays(tmp_path):
    home, other = tmp_path / "home", tmp_path / "other"
    home.mkdir()
    other.mkdir()
    inside, outside = _wal_db(home / "run.db"), _wal_db(other / "run.db")
    wal = home / "run.db-wal"
    with sqlite_event_writes(home):
        assert _write_and_sync(inside) == NORMAL
        assert _write_and_sync(outside) == FULL  # not under the home: left alone
        assert _write_and_sync(inside) == NORMAL
        # the closed connection was not the last one: no checkpoint, the WAL is still there
        assert wal.exists() and wal.stat().st_size > 0
    # the kept connection closed at the end: checkpointed into the database
    assert not wal.exists() or wal.stat().st_size == 0
    assert _write_and_sync(inside) == FULL  # the listener is gone
    con = sqlite3.connect(home / "run.db")
    assert con.execute("select count(*) from t").fetchone()[0] == 3
    con.close()


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="number")])
def number() -> dg.MaterializeResult:
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=True)])


def test_a_run_in_a_persistent_instance_reads_back_complete(tmp_path):
    job = dg.Definitions(assets=[number]).resolve_implicit_global_asset_job_def()
    with sqlite_event_writes(tmp_path), dg.DagsterInstance.from_config(str(tmp_path)) as inst:
        result = job.execute_in_process(instance=inst)
        written = len(inst.all_logs(result.run_id))
    assert result.success
    with dg.DagsterInstance.from_config(str(tmp_path)) as inst:
        run = inst.get_run_by_id(result.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        assert len(inst.all_logs(result.run_id)) == written > 0
        assert inst.get_latest_materialization_event(dg.AssetKey("number")) is not None
        check = inst.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("number"), "positive"), limit=1)
        assert check and check[0].run_id == result.run_id
