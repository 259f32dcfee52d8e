"""Markers of this project's optional extras."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "embed: needs the embed extra (sentence-transformers and a packaged model)"
    )
