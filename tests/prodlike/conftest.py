"""One production-like run (bench/prodlike) shared by the slow tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.prodlike.stack import Settings, Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = Settings.from_environment()
    if settings is None:
        pytest.skip("The production-like run needs TEST_DATABASE_URL and REDIS_URL (CI sets both)")
    with Stack(settings, tmp_path_factory.mktemp("prodlike")) as running:
        yield running
