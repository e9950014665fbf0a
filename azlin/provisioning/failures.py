"""What to do next when Azure refuses the VM itself: the cause named, the way out spelled."""

from __future__ import annotations

from azlin.provisioning.request import ProvisionRequest


def create_failure_message(request: ProvisionRequest, failure: str) -> str:
    """One line for a failed create: Azure's capacity refusals get their own next step."""
    where = f"{request.size} in {request.region}"
    advice = {
        "SkuNotAvailable": f"size {where} is not available to this subscription (SkuNotAvailable)"
        "; choose another --size or --region (`az vm list-skus -l REGION -o table` lists them)",
        "QuotaExceeded": f"the vCPU quota for {where} is used up (QuotaExceeded); request more "
        "quota (Azure portal, Quotas), stop or destroy other VMs, or choose a smaller --size or "
        "another --region",
        "AllocationFailed": f"Azure has no capacity for {where} right now (AllocationFailed); "
        "retry later, or choose another --size or --region",
    }
    for code, text in advice.items():
        if code in failure:
            return f"Creating VM {request.vm_name} failed: {text}."
    return f"Creating VM {request.vm_name} failed: {failure}."


def not_ready_message(request: ProvisionRequest, address: str, failure: str) -> str:
    """One line for a VM that was created but never answered on SSH: cause, then next steps."""
    name = request.vm_name
    return (
        f"VM {name} was created, but {_readiness_cause(address, failure)} within "
        f"{request.ready_timeout}s. Run `azlin provision --name {name} -g "
        f"{request.resource_group}` again to keep waiting (it resumes on the existing VM), "
        "or raise --ready-timeout."
    )


def not_ready_cleanup(request: ProvisionRequest) -> str:
    return (
        f"The VM is kept and still costs money; remove it and everything azlin made for it "
        f"with `azlin destroy {request.vm_name} -g {request.resource_group}`."
    )


def _readiness_cause(address: str, failure: str) -> str:
    if "refused" in failure.lower():
        return f"sshd on {address} did not answer (port 22 refused connections)"
    if "timed out" in failure.lower() or "did not accept" in failure:
        return f"nothing answered on {address} port 22 (no route, or a firewall drops it)"
    return f"SSH login to {address} did not succeed ({failure.rstrip('.')})"
