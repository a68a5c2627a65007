"""Marketing CSV files -> raw_marketing.ad_spend / survey_responses / experiment_assignments."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dlt
import duckdb
import pytest

from ingestion.marketing.files import file_resources

T0 = time.time() - 3600

AD_SPEND = """date,platform,campaign_id,utm_campaign,impressions,clicks,spend,currency
2024-03-01,google_ads,c1,spring_sale,1000,50,12.5,EUR
2024-03-01,meta_ads,c1,spring_sale,2000,40,20.0,EUR
2024-03-02,google_ads,c1,spring_sale,1100,55,13.75,EUR
"""
SURVEYS = """response_id,survey,email,contact_id,score,comment,trigger,ticket_id,submitted_at
r1,nps,a@example.com,,9,"Great, thanks",relationship,,2024-03-01T10:00:00Z
r2,ces,,c42,6,,post_support,1234,2024-03-02T11:00:00Z
r3,nps,b@example.com,,ten,,relationship,,2024-03-03T12:00:00Z
r4,nps,c@example.com,,7,,post_purchase,,not a time
"""
EXPERIMENTS = """experiment_id,experiment_name,variant,anonymous_id,user_id,assigned_at
exp1,Checkout test,control,anon-1,,2024-03-01T00:00:00Z
exp1,Checkout test,treatment,anon-2,u2,2024-03-01T00:05:00Z
"""


def write(path: Path, text: str, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def env(tmp_path):
    db = str(tmp_path / "m.duckdb")
    root = tmp_path / "marketing"
    pipeline = dlt.pipeline("t_mkt_files", destination=dlt.destinations.duckdb(db),
                            dataset_name="raw_marketing", pipelines_dir=str(tmp_path / "p"))

    @dlt.source(name="marketing")
    def files_only():
        return file_resources(str(root))

    class Env:
        files = root

        def run(self):
            return pipeline.run(files_only())

        def sql(self, q):
            with duckdb.connect(db, read_only=True) as con:
                return con.sql(q).fetchall()

    return Env()


def test_counts_bad_cells_quarantined_and_rerun_adds_nothing(env):
    write(env.files / "ad_spend/2024-03.csv", AD_SPEND, T0)
    surveys = write(env.files / "surveys/2024-03.csv", SURVEYS, T0)
    write(env.files / "experiments/exp1.csv", EXPERIMENTS, T0)
    env.run()
    counts = {t: env.sql(f"select count(*) from raw_marketing.{t}")[0][0]
              for t in ("ad_spend", "survey_responses", "experiment_assignments")}
    assert counts == {"ad_spend": 3, "survey_responses": 2, "experiment_assignments": 2}
    assert env.sql("select response_id, score, ticket_id, comment, email, contact_id "
                   "from raw_marketing.survey_responses order by 1") == [
        ("r1", 9, None, "Great, thanks", "a@example.com", None),
        ("r2", 6, 1234, None, None, "c42")]
    q = env.sql("select table_name, record_key, field, reason, origin "
                "from raw_marketing._quarantine order by record_key")
    assert [(r[0], r[1], r[2], r[4]) for r in q] == [
        ("survey_responses", "r3", "score", str(surveys)),
        ("survey_responses", "r4", "submitted_at", str(surveys))]
    assert "not a valid bigint" in q[0][3] and "not a valid timestamp" in q[1][3]
    types = dict(env.sql("select column_name, data_type from information_schema.columns "
                         "where table_schema = 'raw_marketing' and table_name = 'ad_spend'"))
    assert (types["date"], types["impressions"], types["spend"]) == ("DATE", "BIGINT", "DOUBLE")
    assert "__source_file" not in types

    loads = env.sql("select count(*) from raw_marketing._dlt_loads")
    env.run()
    assert {t: env.sql(f"select count(*) from raw_marketing.{t}")[0][0]
            for t in counts} == counts
    assert env.sql("select count(*) from raw_marketing._quarantine") == [(2,)]
    assert env.sql("select count(distinct _dlt_load_id) from raw_marketing.ad_spend") == [(1,)]
    assert env.sql("select count(*) from raw_marketing._dlt_loads") >= loads


def test_new_and_corrected_files_merge_on_the_key(env):
    write(env.files / "ad_spend/2024-03-01.csv", AD_SPEND, T0)
    env.run()
    # a re-delivered file corrects one day's spend; a new file adds another day, columns
    # in another order
    write(env.files / "ad_spend/2024-03-01.csv",
          AD_SPEND.replace("2024-03-02,google_ads,c1,spring_sale,1100,55,13.75",
                           "2024-03-02,google_ads,c1,spring_sale,1100,55,99.0"), T0 + 60)
    write(env.files / "ad_spend/2024-03-03.csv",
          "platform,campaign_id,date,spend\nlinkedin_ads,c7,2024-03-03,5\n", T0 + 60)
    env.run()
    assert env.sql("select cast(date as varchar), platform, campaign_id, spend "
                   "from raw_marketing.ad_spend order by 1, 2") == [
        ("2024-03-01", "google_ads", "c1", 12.5),
        ("2024-03-01", "meta_ads", "c1", 20.0),
        ("2024-03-02", "google_ads", "c1", 99.0),
        ("2024-03-03", "linkedin_ads", "c7", 5.0)]


def test_unparsable_csv_is_reported_by_name(env):
    write(env.files / "experiments/good.csv", EXPERIMENTS, T0)
    bad = write(env.files / "experiments/bad.csv",
                'experiment_id,variant\n"unterminated,control\nx,y,z,w\n', T0)
    env.run()
    assert env.sql("select count(*) from raw_marketing.experiment_assignments") == [(2,)]
    assert env.sql("select record_key, field from raw_marketing._quarantine") == [
        (str(bad), "file")]
