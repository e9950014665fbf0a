"""What azlin asks ansible-runner to do, compared exactly; secrets only in the environment."""

from __future__ import annotations

import sys
from pathlib import Path

from azlin.ansible.inventory import inventory_document
from azlin.ansible.runner import PlaybookRun, runner_arguments
from azlin.ssh.options import SshTarget


def test_runner_arguments_are_exact(tmp_path: Path) -> None:
    run = PlaybookRun(
        playbook="configure.yml",
        extravars={"github_repo_repositories": ["https://github.com/o/r"]},
        inventory=tmp_path / "inventory.json",
        tags=("github_repo",),
        verbosity=2,
        secrets={"AZLIN_GITHUB_TOKEN": "s3cret"},
    )
    content = Path("/opt/azlin")
    arguments = runner_arguments(run, tmp_path / "data", content, {"PATH": "/usr/bin"})
    assert arguments == {
        "private_data_dir": str(tmp_path / "data"),
        "project_dir": "/opt/azlin/playbooks",
        "playbook": "configure.yml",
        "extravars": {"github_repo_repositories": ["https://github.com/o/r"]},
        "envvars": {
            "ANSIBLE_CONFIG": "/opt/azlin/ansible.cfg",
            "PATH": f"{Path(sys.executable).parent}:/usr/bin",
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "data" / "facts"),
            "AZLIN_GITHUB_TOKEN": "s3cret",
        },
        "quiet": True,
        "suppress_env_files": True,
        "rotate_artifacts": 10,
        "inventory": str(tmp_path / "inventory.json"),
        "tags": "github_repo",
        "verbosity": 2,
    }


def test_secrets_never_reach_argv_material(tmp_path: Path) -> None:
    run = PlaybookRun(playbook="create.yml", secrets={"AZURE_SECRET": "s3cret"})
    arguments = runner_arguments(run, tmp_path, Path("/opt/azlin"), {})
    assert "s3cret" not in repr(arguments["extravars"])
    assert "s3cret" not in repr(run)


def test_inventory_document() -> None:
    target = SshTarget("10.0.0.5", "azureuser", Path("/h/.ssh/azlin_key"), Path("/s/known_hosts"))
    host = inventory_document("dev", target)["azlin_vms"]["hosts"]["dev"]  # type: ignore[index]
    assert host["ansible_host"] == "10.0.0.5"
    assert host["ansible_user"] == "azureuser"
    assert host["ansible_ssh_private_key_file"] == "/h/.ssh/azlin_key"
    assert "-o UserKnownHostsFile=/s/known_hosts" in host["ansible_ssh_common_args"]
    assert "-o StrictHostKeyChecking=yes" in host["ansible_ssh_common_args"]
    assert "-i" not in host["ansible_ssh_common_args"].split()


def test_check_mode_asks_ansible_for_check_and_diff(tmp_path: Path) -> None:
    run = PlaybookRun(playbook="configure.yml", check=True)
    arguments = runner_arguments(run, tmp_path, Path("/opt/azlin"), {})
    assert arguments["cmdline"] == "--check --diff"
    assert "cmdline" not in runner_arguments(PlaybookRun("configure.yml"), tmp_path, tmp_path, {})
