"""The CRM contact snapshot (dbt_project/snapshots): `dbt build` took one version per contact,
and snapshotting the same data again adds none (check strategy on the three attributes)."""

from __future__ import annotations

import pytest

from tests.dbt.helpers import Build, failures, query, run_dbt

pytestmark = pytest.mark.timeout(600)

VERSIONS = ("select count(*), count(distinct contact_id), count(*) filter "
            "(where dbt_valid_to is null) from snapshots.crm_contacts_snapshot")


def test_snapshot_is_one_version_per_contact_and_a_rerun_adds_none(dbt_build: Build):
    assert dbt_build.result.success, failures(dbt_build.result)
    [(contacts,)] = query(dbt_build.data_dir,
                          "select count(distinct contact_id) from staging.stg_crm__contacts")
    [before] = query(dbt_build.data_dir, VERSIONS)
    assert before == (contacts, contacts, contacts) and contacts > 0
    again = run_dbt(["snapshot", "--select", "crm_contacts_snapshot"], dbt_build.data_dir,
                    dbt_build.target)
    assert again.success, failures(again)
    [after] = query(dbt_build.data_dir, VERSIONS)
    assert after == before
