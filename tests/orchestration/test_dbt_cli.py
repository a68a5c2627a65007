"""`DbtCli` (orchestration/project.py) overrides two private members of dagster-dbt's
`DbtCliResource`: fail loudly when an upgrade renames them (the overrides would silently stop
saving time) or when the version it reports is not the one `dbt --version` gives."""

import inspect
import re
import subprocess

from dagster_dbt import DbtCliResource

from orchestration.project import DbtCli, dbt_cli, dbt_on_path, local_dbt

OVERRIDDEN = ("_cli_version", "_initialize_dbt_core_adapter")


def test_dagster_dbt_still_calls_what_we_override():
    source = inspect.getsource(DbtCliResource.cli)
    for name in OVERRIDDEN:
        assert name in vars(DbtCliResource), name
        assert f"self.{name}" in source, name
        assert name in vars(DbtCli), name


def test_the_version_is_the_one_dbt_reports_without_running_it():
    dbt_on_path()
    resource = dbt_cli()
    assert isinstance(resource, DbtCli) and resource._runs_local_dbt()
    reported = subprocess.run([str(local_dbt()), "--version"], capture_output=True, text=True,
                              check=True).stdout
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", reported)
    assert installed, reported
    assert str(resource._cli_version) == installed.group(1)
    assert resource._cli_version.major < 2  # dbt Core: dagster-dbt streams its events


def test_another_dbt_executable_is_asked_for_its_version(tmp_path):
    fake = tmp_path / "dbt"
    fake.write_text("#!/bin/sh\necho 'Core:\n  - installed: 9.8.7'\n")
    fake.chmod(0o755)
    resource = DbtCli(project_dir=str(dbt_cli().project_dir), dbt_executable=str(fake))
    assert not resource._runs_local_dbt()
    assert str(resource._cli_version) == "9.8.7"
