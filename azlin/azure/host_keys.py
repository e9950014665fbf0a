"""A VM's SSH host keys, read out of band through Run Command.

Azure has no API for a VM's host key. Its agent can run a script as root and return the output
over ARM, a channel authenticated by Azure rather than by the network path to the VM, so keys read
that way can be trusted on first contact.
"""

from __future__ import annotations

import logging
import re

from azlin.azure.clients import AzureClients, azure_errors
from azlin.errors import ReadinessError

logger = logging.getLogger(__name__)

# Only the public halves; each line is `TYPE BASE64 [COMMENT]`.
READ_KEYS_SCRIPT = ["cat /etc/ssh/ssh_host_*_key.pub"]
_KEY_LINE = re.compile(r"^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) ([A-Za-z0-9+/]+={0,3})(?:\s|$)")


def read_host_keys(clients: AzureClients, resource_group: str, vm_name: str) -> list[str]:
    """The VM's host public keys as `TYPE BASE64` lines; ReadinessError when none came back."""
    from azure.mgmt.compute.models import RunCommandInput

    command = RunCommandInput(command_id="RunShellScript", script=READ_KEYS_SCRIPT)
    with azure_errors(f"reading the host keys of {vm_name} through Run Command"):
        poller = clients.compute.virtual_machines.begin_run_command(
            resource_group, vm_name, command
        )
        result = poller.result()
    message = "\n".join(str(status.message or "") for status in result.value or [])
    keys = parse_host_keys(message)
    if not keys:
        raise ReadinessError(
            f"Run Command on {vm_name} returned no SSH host key, so azlin cannot check whom it "
            f"connects to; check that sshd is installed on the VM and run `azlin provision "
            f"--name {vm_name}` again."
        )
    logger.debug("Read %d host keys of %s", len(keys), vm_name)
    return keys


def parse_host_keys(message: str) -> list[str]:
    """Keys from the agent's report (`Enable succeeded: [stdout] ... [stderr] ...`)."""
    stdout = message.split("[stdout]", 1)[-1].split("[stderr]", 1)[0]
    found = (_KEY_LINE.match(line.strip()) for line in stdout.splitlines())
    return [f"{match[1]} {match[2]}" for match in found if match]
