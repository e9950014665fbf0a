"""Run Command on a VM (`POST .../virtualMachines/{vm}/runCommand`, commandId RunShellScript).

Azure's VM agent runs the script as root and reports both streams in one message; the lab runs
it inside the test VM without going through its network, as the agent does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from tests.lab.arm.backend import VmBackend
from tests.lab.arm.errors import ArmError

SHELL_SCRIPT = "RunShellScript"
# Azure's Linux Run Command keeps the last 4096 bytes of each stream.
OUTPUT_LIMIT = 4096


@dataclass(frozen=True)
class RunRequest:
    script: str
    arguments: list[str]
    environment: dict[str, str]


def parse_run_command(body: dict[str, Any]) -> RunRequest:
    """The script and parameters of a RunCommandInput; ARM's 400 answers for a bad one."""
    command = str(body.get("commandId") or "")
    if command == "RunPowerShellScript":
        raise ArmError(
            400,
            "BadRequest",
            "Run command OS type 'Windows' does not match the target OS Linux.",
        )
    if command != SHELL_SCRIPT:
        raise ArmError(
            400,
            "InvalidParameter",
            f"The value '{command}' of parameter 'commandId' is not valid. The lab serves "
            f"'{SHELL_SCRIPT}' only.",
        )
    lines = body.get("script") or []
    if not isinstance(lines, list) or not lines:
        raise ArmError(400, "InvalidParameter", "Required parameter 'script' is missing (null).")
    parameters = body.get("parameters") or []
    # Named parameters reach the script as environment variables, unnamed ones as $1, $2...
    named = {str(p["name"]): str(p.get("value", "")) for p in parameters if p.get("name")}
    positional = [str(p.get("value", "")) for p in parameters if not p.get("name")]
    return RunRequest("\n".join(str(line) for line in lines), positional, named)


def tail(text: str) -> str:
    data = text.encode()
    return data[-OUTPUT_LIMIT:].decode(errors="replace")


def result_body(status: int, stdout: str, stderr: str) -> dict[str, Any]:
    """RunCommandResult as the Linux agent reports it, for a success and for a failure."""
    streams = f"\n[stdout]\n{tail(stdout)}\n[stderr]\n{tail(stderr)}"
    if status == 0:
        entry = {
            "code": "ProvisioningState/succeeded",
            "level": "Info",
            "displayStatus": "Provisioning succeeded",
            "message": f"Enable succeeded: {streams}",
        }
    else:
        entry = {
            "code": "ProvisioningState/failed",
            "level": "Error",
            "displayStatus": "Provisioning failed",
            "message": "Enable failed: failed to execute command: command terminated with "
            f"exit status={status}{streams}",
        }
    return {"value": [entry]}


async def run_command(backend: VmBackend, vm_id: str, request: RunRequest) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    status, stdout, stderr = await loop.run_in_executor(
        None, backend.run_command, vm_id, request.script, request.arguments, request.environment
    )
    return result_body(status, stdout, stderr)
