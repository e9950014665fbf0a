"""Every test runs as a user with an empty home: nothing touches the machine's real ~/.ssh,
~/.azure or ~/.config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.client import LabClient, start_lab, stop_lab
from tests.lab.config import LabConfig


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    for variable, folder in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(variable, str(home / folder))
    for variable in (
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_SECRET",
        "AZURE_TENANT",
        "AZURE_TENANT_ID",
        "AZURE_SUBSCRIPTION_ID",
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "AZLIN_NOTIFY_COMMAND",
        "AZLIN_VM_NAME",
        "AZLIN_RESOURCE_GROUP",
    ):
        monkeypatch.delenv(variable, raising=False)
    yield home


@pytest.fixture(scope="session")
def lab() -> Iterator[LabClient]:
    """The running lab; started for this test session when it was not running already."""
    client, started_here = start_lab(LabConfig())
    yield client
    if started_here:
        stop_lab()
