"""`ansible-galaxy collection build` packs the roles and playbooks, and nothing of the CLI's."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from tests.roles.conftest import REPO_ROOT


def test_the_collection_builds_with_the_roles_and_playbooks(tmp_path: Path) -> None:
    galaxy = str(REPO_ROOT / ".venv/bin/ansible-galaxy")
    build = [galaxy, "collection", "build", "--output-path", str(tmp_path), str(REPO_ROOT)]
    subprocess.run(build, check=True, capture_output=True)
    with tarfile.open(tmp_path / "azlin-devvm-0.1.0.tar.gz") as archive:
        names = set(archive.getnames())
    for wanted in (
        "meta/runtime.yml",
        "playbooks/configure.yml",
        "roles/dev_tools/tasks/main.yml",
        "roles/dev_tools/meta/argument_specs.yml",
        "roles/github_repo/tasks/clone.yml",
        "roles/azure_vm/tasks/main.yml",
    ):
        assert wanted in names
    assert not [n for n in names if n.split("/")[0] in {"azlin", "tests", ".venv", ".git"}]
    assert "playbooks/roles" not in names  # the link for plain runs stays out of the package
