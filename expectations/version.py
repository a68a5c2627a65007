"""Version of the suites defined in this package: bump it when an expectation changes, so
validation results in Dagster's check metadata say which rules judged the data."""

SUITE_VERSION = "2026-12-01.1"
