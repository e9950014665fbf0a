"""home_disk through molecule (converge, idempotence, verify) on a lab VM with a data disk:
what /home held before is on the disk, and a repair after a restart mounts it again."""

from __future__ import annotations

import pytest

from tests.roles.conftest import LabVm, RoleHosts, molecule, molecule_passed

pytestmark = pytest.mark.lab
# Beside the shared role VM (.230), outside the emulator's and the lab's own addresses.
DISK_VM_ADDRESS = "10.231.0.231"
# From the superblock: the lab's VMs run no udev, so findmnt shows no label.
LABEL_OF_HOME = "sudo blkid -p -o value -s LABEL $(findmnt -n -o SOURCE --mountpoint /home)"


@pytest.fixture(scope="module")
def disk_vm(role_hosts: RoleHosts) -> LabVm:
    vm = role_hosts.create("roles-disk-vm", DISK_VM_ADDRESS)
    role_hosts.hosts.attach_disk("roles-disk-vm", 0, 2)
    return vm


def test_home_moves_onto_the_data_disk_with_its_content(
    disk_vm: LabVm, role_hosts: RoleHosts
) -> None:
    before = disk_vm.ssh("echo mine > ~/notes.txt && findmnt -n --mountpoint /home; true")
    assert before.stdout == ""  # /home starts on the OS disk
    result = molecule("home_disk", disk_vm.molecule_env(), disk_vm.folder)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert molecule_passed(result) == [], result.stderr[-3000:]
    kept = disk_vm.ssh(f"cat ~/notes.txt && {LABEL_OF_HOME}")
    assert kept.stdout.split() == ["mine", "azlin-home"], kept.stderr

    # A container's systemd ignores fstab's device entries, so the lab cannot boot into the
    # mount (verify.yml checks the fstab line instead); it shows what a VM that lost its mount
    # gets from a repair: after a restart without it, the role mounts the disk again, and
    # what was on the disk is still there.
    role_hosts.hosts.power_off("roles-disk-vm")
    role_hosts.hosts.start("roles-disk-vm")
    disk_vm.wait_for_ssh()
    assert disk_vm.ssh("findmnt --mountpoint /home").returncode == 1
    repaired = molecule("home_disk", disk_vm.molecule_env(), disk_vm.folder, "converge")
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    rebooted = disk_vm.ssh(f"{LABEL_OF_HOME} && cat ~/notes.txt")
    assert rebooted.stdout.split() == ["azlin-home", "mine"], rebooted.stderr
