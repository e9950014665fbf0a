"""Baked images end to end: a configured VM becomes a gallery image; a VM made from it needs
nothing from dev_tools and is its own machine (own host keys)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.client import LabClient
from tests.tool_sets import with_small_tool_set

GALLERY_GROUP = "azlin-images"


def azlin(env: dict[str, str], *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azlin", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=timeout,
    )


def host_keys(address: str) -> set[str]:
    """The keys the VM's sshd presents, as `type base64` lines."""
    scanned = subprocess.run(
        ["ssh-keyscan", "-T", "10", address], capture_output=True, text=True, check=False
    )
    return {" ".join(line.split()[1:3]) for line in scanned.stdout.splitlines() if line.strip()}


def changed_tasks(home: Path, vm_name: str, playbook: str) -> list[tuple[str, str]]:
    """(role, task) of every change the VM's runs of playbook made, from ansible-runner's events."""
    events = home.glob(f".local/state/azlin/**/{vm_name}/artifacts/*/job_events/*.json")
    found = []
    for path in events:
        event = json.loads(path.read_text())
        data = event.get("event_data", {})
        ok = event.get("event") == "runner_on_ok" and data.get("res", {}).get("changed")
        if ok and data.get("playbook", "").endswith(playbook):
            found.append((data.get("role", ""), data.get("task", "")))
    return found


@pytest.fixture(scope="module")
def lab(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> LabClient:
    """The lab with the small tool set: baking and starting from the image are under test."""
    return with_small_tool_set(lab, tmp_path_factory.mktemp("tools"))


@pytest.fixture
def lab_env(lab: LabClient) -> dict[str, str]:
    return {**os.environ, **lab.env}


def test_bake_an_image_then_provision_from_it(
    lab: LabClient, lab_env: dict[str, str], isolated_home: Path
) -> None:
    suffix = secrets.token_hex(3)
    source, image, baked = f"bake-src-{suffix}", f"dev-{suffix}", f"baked-{suffix}"
    made = azlin(lab_env, "provision", "--name", source, "--no-attach")
    assert made.returncode == 0, made.stderr
    address = re.search(r"^IP address:\s+(\S+)$", made.stdout, re.M)
    assert address, made.stdout
    source_keys = host_keys(address[1])
    assert source_keys

    built = azlin(lab_env, "image", "build", image, "--from-vm", source, "-y")
    assert built.returncode == 0, built.stderr
    assert re.search(rf"^Image:\s+{image}$", built.stdout, re.M), built.stdout
    assert [r["id"] for r in lab.resources() if source in r["id"]] == []

    listed = azlin(lab_env, "image", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert [(i["name"], i["versions"]) for i in json.loads(listed.stdout)] == [(image, 1)]

    from_image = azlin(lab_env, "provision", "--name", baked, "--image", image, "--no-attach")
    assert from_image.returncode == 0, from_image.stderr
    new_address = re.search(r"^IP address:\s+(\S+)$", from_image.stdout, re.M)
    assert new_address, from_image.stdout
    changes = changed_tasks(isolated_home, baked, "configure.yml")
    assert [task for role, task in changes if role == "dev_tools"] == []
    new_keys = host_keys(new_address[1])
    assert new_keys and not new_keys & source_keys

    assert azlin(lab_env, "destroy", baked, "-y").returncode == 0
    deleted = azlin(lab_env, "image", "delete", image, "-y")
    assert deleted.returncode == 0, deleted.stderr
    assert [r["id"] for r in lab.resources() if f"/images/{image}" in r["id"]] == []


def test_unknown_image_is_refused_before_any_write(lab: LabClient, lab_env: dict[str, str]) -> None:
    before = lab.last_request_seq()
    result = azlin(lab_env, "provision", "--name", "never", "--image", "no-such-image")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: No image 'no-such-image'")
    assert lab.arm_writes_since(before) == []
