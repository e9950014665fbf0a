"""What the ARM emulator asks of whatever stands behind its virtual machines."""

from __future__ import annotations

import ipaddress
from typing import Protocol


class VmBackend(Protocol):
    """Real machines behind Microsoft.Compute/virtualMachines.

    Every method blocks until the machine is in the asked state; the emulator calls them in a
    thread so that ARM keeps answering (and polling) meanwhile. An exception fails the ARM
    operation that asked for it, as a failed provisioning does on Azure.
    """

    def create(
        self,
        vm_id: str,
        address: ipaddress.IPv4Address,
        admin_user: str,
        authorized_keys: list[str],
        hostname: str,
        image_id: str | None = None,
    ) -> None:
        """Boot a machine reachable over SSH at `address` with `admin_user` and these keys.

        With `image_id`, its disk starts as the image `capture` kept under that id.
        """

    def capture(self, vm_id: str, image_id: str) -> None:
        """Keep the stopped machine's disk as an image that later machines can boot from."""

    def delete_image(self, image_id: str) -> None:
        """Forget a captured image; nothing happens if there is none."""

    def attach_disk(self, vm_id: str, lun: int, size_gb: int) -> None:
        """Give the running machine an empty data disk at lun (kept until it is deleted)."""

    def power_off(self, vm_id: str) -> None:
        """Stop the machine, keeping its disk."""

    def start(self, vm_id: str) -> None:
        """Boot a stopped machine again with the disk it had."""

    def delete(self, vm_id: str) -> None:
        """Stop the machine and remove everything it had."""

    def run_command(
        self, vm_id: str, script: str, arguments: list[str], environment: dict[str, str]
    ) -> tuple[int, str, str]:
        """Run a shell script as root inside the machine, not over its network (Run Command).

        Returns the exit status, stdout and stderr.
        """

    # -- fault hooks: what a test does to a machine that Azure would never do on request ----

    def set_link(self, vm_id: str, up: bool) -> None:
        """Cut (or restore) the machine's network cable."""

    def set_loss(self, vm_id: str, percent: int) -> None:
        """Drop about percent % of the machine's packets both ways; 0 stops dropping."""

    def set_sshd(self, vm_id: str, running: bool) -> None:
        """Stop (or start again) sshd inside the running machine."""

    def hold_dpkg_lock(self, vm_id: str, seconds: float) -> None:
        """Hold dpkg's lock inside the machine for seconds, as unattended-upgrades would."""
