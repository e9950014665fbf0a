"""Resuming a provision that was killed or failed: its finished steps are not run again.

What a run finished is what its step log (written after every step) says, and the VM is what
the local record says; a step is skipped only when both agree and Azure still shows the VM as
it was asked for. A run that succeeded is never resumed: running it again converges the VM.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from azlin.console import Console
from azlin.errors import AzlinError
from azlin.provisioning.request import ProvisionRequest
from azlin.records import VmRecord, find_record
from azlin.steplog import StepLog, load_step_log

log = logging.getLogger(__name__)

RESUMED = "finished by the interrupted run"
CREATE_STEP = "VM provisioning"


@dataclass(frozen=True)
class ResumePoint:
    """The steps an unfinished earlier provision of the same VM completed, and its record."""

    finished: frozenset[str] = frozenset()
    record: VmRecord | None = None

    def done(self, title: str) -> bool:
        return self.record is not None and title in self.finished


def resume_point(request: ProvisionRequest) -> ResumePoint:
    """Read before this run's own step log replaces the earlier one."""
    earlier = load_step_log(request.vm_name)
    record = find_record(request.vm_name)
    if earlier is None or record is None or not _unfinished_provision(earlier):
        return ResumePoint()
    if not _record_matches(record, request):
        log.info("Not resuming %s: the record differs from this request", request.vm_name)
        return ResumePoint()
    return ResumePoint(finished_steps(earlier), record)


def finished_steps(earlier: StepLog) -> frozenset[str]:
    """Steps that ended ok, or that the earlier run had itself skipped as already finished."""
    return frozenset(
        step.title
        for step in earlier.steps
        if step.outcome == "ok" or (step.outcome == "skipped" and step.message == RESUMED)
    )


def _unfinished_provision(earlier: StepLog) -> bool:
    return earlier.command == "provision" and earlier.outcome != "succeeded"


def _record_matches(record: VmRecord, request: ProvisionRequest) -> bool:
    wanted = (request.resource_group, request.region, request.size, request.admin_user)
    recorded = (record.resource_group, record.region, record.size, record.admin_user)
    return [v.lower() for v in wanted] == [v.lower() for v in recorded]


def existing_vm(
    point: ResumePoint, request: ProvisionRequest, env: Mapping[str, str], console: Console
) -> VmRecord | None:
    """The recorded VM when creation can be skipped: Azure shows it created and as requested."""
    if not point.done(CREATE_STEP) or point.record is None:
        return None
    try:
        as_requested = _vm_as_requested(request, env)
    except AzlinError as error:
        log.info("Not resuming %s: %s", request.vm_name, error.message)
        return None
    if not as_requested:
        console.detail(f"{request.vm_name} is not as requested in Azure; converging it")
        return None
    console.skipped(CREATE_STEP, RESUMED)
    return point.record


def _vm_as_requested(request: ProvisionRequest, env: Mapping[str, str]) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    from azlin.azure.clients import azure_clients, azure_errors

    clients = azure_clients(env)
    with azure_errors(f"reading VM {request.vm_name}"):
        try:
            vm = clients.compute.virtual_machines.get(request.resource_group, request.vm_name)
        except ResourceNotFoundError:
            return False
    size = vm.hardware_profile.vm_size if vm.hardware_profile else None
    return (
        vm.provisioning_state == "Succeeded"
        and str(size).lower() == request.size.lower()
        and vm.location.replace(" ", "").lower() == request.region.lower()
        and (vm.tags or {}).get("azlin-vm") == request.vm_name
    )
