"""Reaching a VM by name over SSH: its target from the local record, and, when SSH fails,
why (asking Azure only then, so the common case costs no Azure round trip)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from azlin.errors import AzlinError, ConnectionLostError, ReadinessError, VmNotRunningError
from azlin.paths import known_hosts_file, ssh_dir
from azlin.records import VmRecord, find_record, load_record
from azlin.ssh.keys import KEY_NAME
from azlin.ssh.options import SshTarget
from azlin.ssh.session import attach, port_open

if TYPE_CHECKING:
    from azure.mgmt.compute.models import VirtualMachine

    from azlin.azure.clients import AzureClients

logger = logging.getLogger(__name__)

STABLE_SESSION_SECONDS = 60


def locate_in_azure(
    name: str, group: str | None, env: Mapping[str, str]
) -> tuple[AzureClients, VirtualMachine]:
    """The VM as Azure holds it: in `group`, else in its recorded group, else found by name."""
    from azlin.azure.clients import azure_clients
    from azlin.azure.vms import find_vm

    record = find_record(name)
    clients = azure_clients(env)
    return clients, find_vm(clients, name, group, record.resource_group if record else None)


def ssh_target(record: VmRecord) -> SshTarget:
    key = ssh_dir() / KEY_NAME
    return SshTarget(record.public_ip, record.admin_user, key, known_hosts_file(), record.name)


def target_for(name: str) -> tuple[VmRecord, SshTarget]:
    """The record and SSH target of a VM provisioned from this machine (UnknownVmError if none)."""
    record = load_record(name)
    return record, ssh_target(record)


def unreachable_error(record: VmRecord, env: Mapping[str, str]) -> AzlinError:
    """The error to show when SSH to the VM failed: "not running" when Azure says so."""
    state = _power_state(record, env)
    if state is not None and state != "running":
        return not_running(record.name, state)
    return ReadinessError(
        f"Could not connect to {record.name} at {record.public_ip}"
        + (" although Azure reports it running" if state else "")
        + f"; check it with `azlin status {record.name}` and retry."
    )


def require_running(record: VmRecord, env: Mapping[str, str]) -> None:
    state = _power_state(record, env, quiet=False)
    if state != "running":
        raise not_running(record.name, state or "unknown")


def not_running(name: str, state: str) -> VmNotRunningError:
    return VmNotRunningError(f"VM {name} is {state}; start it with `azlin start {name}`.")


def _power_state(record: VmRecord, env: Mapping[str, str], *, quiet: bool = True) -> str | None:
    from azlin.azure.clients import azure_clients, azure_errors
    from azlin.azure.vms import find_vm, power_state

    try:
        clients = azure_clients(env)
        vm = find_vm(clients, record.name, record.resource_group)
        with azure_errors(f"reading the power state of {record.name}"):
            return power_state(clients, vm)
    except AzlinError:
        if not quiet:
            raise
        # Explaining a failure must not hide it behind a second one.
        logger.debug("Could not read the power state of %s", record.name, exc_info=True)
        return None


def attach_with_reconnect(
    record: VmRecord,
    target: SshTarget,
    session: str,
    *,
    x11: bool,
    reconnect: Callable[[int], bool],
    env: Mapping[str, str],
) -> int:
    """Attach to tmux; when the connection drops, ask `reconnect(attempt)` whether to attach
    again (tmux kept the session, so reattaching loses nothing). Returns ssh's exit code."""
    attempt = 0
    while True:
        if not port_open(target.host):
            raise unreachable_error(record, env)
        started = time.monotonic()
        try:
            return attach(target, session, x11=x11)
        except ConnectionLostError:
            # A session that lasted a while was a working one: count drops afresh after it.
            attempt = 1 if time.monotonic() - started > STABLE_SESSION_SECONDS else attempt + 1
            if not reconnect(attempt):
                raise unreachable_error(record, env) from None
