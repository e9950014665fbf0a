"""azure_rm_virtualmachine's own documented example, run unmodified against the emulator.

The task is read from the EXAMPLES of the installed collection at test time; only the values of
its options change (names, a size and an image the lab sells, a real key), never its keys.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.lab.in_process import VENV_BIN, RunningLab, recap, run_playbook, serve_emulator

MODULE = (
    Path(yaml.__file__).parents[1]
    / "ansible_collections/azure/azcollection/plugins/modules/azure_rm_virtualmachine.py"
)
EXAMPLE = "Create a VM with OS and multiple data managed disks"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOb upstream@example"
GROUP = "rg-upstream"
# The example's placeholders and the values the lab gives them.
VALUES = {
    "resource_group": GROUP,
    "name": "testvm001",
    "vm_size": "Standard_D4s_v3",
    "admin_username": "azureuser",
    "key_data": KEY,
    "path": "/home/azureuser/.ssh/authorized_keys",
    "offer": "ubuntu-24_04-lts",
    "publisher": "Canonical",
    "sku": "server",
}
# What the example takes for granted: the group, a virtual network and the existing disk.
PREREQUISITES = f"""\
- name: Create the resource group
  azure.azcollection.azure_rm_resourcegroup:
    name: {GROUP}
    location: eastus
- name: Create the virtual network the VM's NIC is made in
  azure.azcollection.azure_rm_virtualnetwork:
    resource_group: {GROUP}
    name: vnet
    address_prefixes_cidr: [10.20.0.0/16]
- name: Create its subnet
  azure.azcollection.azure_rm_subnet:
    resource_group: {GROUP}
    virtual_network_name: vnet
    name: default
    address_prefix_cidr: 10.20.1.0/24
- name: Create the existing data disk the example attaches
  azure.azcollection.azure_rm_manageddisk:
    resource_group: {GROUP}
    name: myDisk
    disk_size_gb: 32
    storage_account_type: Standard_LRS
"""


def upstream_task() -> dict[str, Any]:
    documentation = MODULE.read_text()
    examples = documentation.split("EXAMPLES = '''", 1)[1].split("'''", 1)[0]
    tasks = yaml.safe_load(examples)
    return next(task for task in tasks if task["name"] == EXAMPLE)


def expected_luns(task: dict[str, Any]) -> list[int]:
    return [disk["lun"] for disk in task["azure_rm_virtualmachine"].get("data_disks", [])]


def with_lab_values(task: dict[str, Any], subscription: str) -> dict[str, Any]:
    """The task with each placeholder value replaced; every key stays as published."""
    filled = copy.deepcopy(task)

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: VALUES.get(k, fill(v)) if not isinstance(v, dict | list) else fill(v)
                    for k, v in node.items()}  # fmt: skip
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, str) and "/subscriptions/" in node:
            return node.replace("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", subscription).replace(
                "myResourceGroup", GROUP
            )
        return node

    filled["azure_rm_virtualmachine"] = fill(filled["azure_rm_virtualmachine"])
    return filled


def key_paths(node: Any, prefix: str = "") -> set[str]:
    if isinstance(node, dict):
        return {
            p for k, v in node.items() for p in {f"{prefix}/{k}"} | key_paths(v, f"{prefix}/{k}")
        }
    if isinstance(node, list):
        return {p for i, v in enumerate(node) for p in key_paths(v, f"{prefix}[{i}]")}
    return set()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with serve_emulator(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.mark.skipif(not (VENV_BIN / "ansible-playbook").exists(), reason="ansible is not installed")
def test_the_documented_example_converges_twice(lab: RunningLab, tmp_path: Path) -> None:
    published = upstream_task()
    task = with_lab_values(published, lab.credentials.subscription_id)
    assert key_paths(task) == key_paths(published)  # only values were changed
    play = [{
        "name": "Run azure_rm_virtualmachine's documented example",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        # The examples name modules by their short names, as in a play that lists the collection.
        "collections": ["azure.azcollection"],
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [*yaml.safe_load(PREREQUISITES), task],
    }]  # fmt: skip
    playbook = tmp_path / "upstream_example.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))

    first = recap(run_playbook(lab, str(playbook)))
    assert "changed=5" in first and "failed=0" in first, first
    created = [call for call in lab.backend.calls if call[0] == "create"]
    assert [call[3:] for call in created] == [("azureuser", [KEY], "testvm001")]
    # The example's data disks (one it made before, one new) reach the machine too.
    luns = [call[2] for call in lab.backend.calls if call[0] == "attach_disk"]
    assert luns == expected_luns(task), lab.backend.calls
    second = recap(run_playbook(lab, str(playbook)))
    assert "changed=0" in second and "failed=0" in second, second
