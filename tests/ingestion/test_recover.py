"""`recover`: what a killed run leaves in a dlt working folder is cleared before the next
run, which then extracts its own data (dlt's `run` alone would load the leftovers and skip
it)."""

import dlt
import duckdb

from ingestion.pipeline import recover


def _rows(ids):
    @dlt.resource(name="items", primary_key="id", write_disposition="merge")
    def items():
        yield [{"id": i, "v": f"v{i}"} for i in ids]
    return items()


def _pipeline(tmp_path):
    return dlt.pipeline("t_recover", destination=dlt.destinations.duckdb(
        str(tmp_path / "w.duckdb")), dataset_name="raw_t", pipelines_dir=str(tmp_path / "p"))


def _killed_after_normalize(tmp_path):
    pipeline = _pipeline(tmp_path)
    pipeline.extract(_rows([1, 2]))
    pipeline.normalize()  # killed here: a normalized package never loaded


def test_without_recover_dlt_discards_the_pending_package(tmp_path):
    """Why `recover` exists (dlt 1.31): the next run's `run` drops the pending rows."""
    _killed_after_normalize(tmp_path)
    _pipeline(tmp_path).run(_rows([3]))
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.sql("select id from raw_t.items order by id").fetchall() == [(3,)]


def test_pending_packages_are_loaded_and_abandoned_extracts_removed(tmp_path):
    _killed_after_normalize(tmp_path)
    abandoned = tmp_path / "p" / "t_recover" / "normalize" / "0badc0de" / "1.2" / "new_jobs"
    abandoned.mkdir(parents=True)
    (abandoned / "items.parquet").write_bytes(b"half")

    pipeline = _pipeline(tmp_path)  # the next run's process
    done = recover(pipeline)
    assert len(done) == 2 and "abandoned extract" in done[0] and "1 pending" in done[1], done
    assert not abandoned.parent.parent.exists()
    pipeline.run(_rows([3]))  # the new run extracts and loads its own rows
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.sql("select id from raw_t.items order by id").fetchall() == [(1,), (2,), (3,)]
    assert recover(pipeline) == []  # nothing left behind


def test_a_clean_folder_needs_nothing(tmp_path):
    pipeline = _pipeline(tmp_path)
    assert recover(pipeline) == []
    pipeline.run(_rows([1]))
    assert recover(pipeline) == []
