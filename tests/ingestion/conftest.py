"""Fixtures of the API connector tests: the tiny vendor store and the stand-in APIs over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestion.demo.standin import StandInServer
from tests.demo.conftest import TOKEN, make_tiny_store


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_tiny_store(tmp_path / "data")


@pytest.fixture
def server(data: Path) -> Iterator[StandInServer]:
    with StandInServer(data, token=TOKEN) as srv:
        yield srv
