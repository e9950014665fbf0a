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
