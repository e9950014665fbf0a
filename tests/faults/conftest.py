"""The fault suites provision with the small tool set: the tools are not what they test."""

from __future__ import annotations

import pytest

from tests.lab.client import LabClient
from tests.tool_sets import with_small_tool_set


@pytest.fixture(scope="session")
def lab(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> LabClient:
    return with_small_tool_set(lab, tmp_path_factory.mktemp("faults-tools"))
