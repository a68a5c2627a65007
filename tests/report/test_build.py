"""report/build.py without a browser: the error when nothing is published yet, and an
empty published mart drawn as an empty chart rather than failing the run."""

import duckdb
import pytest

from report import figures, shape
from report.build import build_report


def test_missing_published_file_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no published marts at .*published\.duckdb.*"
                                                r"nightly"):
        build_report(tmp_path)


def test_empty_experiments_mart_gives_an_annotated_empty_chart():
    con = duckdb.connect()
    rows = con.execute(
        "select 'e' as experiment_id, 'E' as experiment_name, 'control' as variant, "
        "true as is_control, 0.1 as conversion_rate, null::double as absolute_lift, "
        "null::double as absolute_lift_ci_low, null::double as absolute_lift_ci_high, "
        "null::double as p_value, null::boolean as is_significant").df()
    fig = figures.experiments(shape.experiment_lifts(rows))
    assert not fig.data
    assert fig.layout.annotations[0].text == "no data in the published marts"
