"""`azlin gui`: start the VM's VNC desktop with a one-time password, forward it to a free local
port, show it, and stop it again when the user is done."""

from __future__ import annotations

import secrets
import shutil
import string
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from azlin.ansible.inventory import write_inventory
from azlin.ansible.runner import PlaybookRun, run_playbook
from azlin.console import Console, StepWarning
from azlin.errors import ConnectionLostError, ReadinessError
from azlin.paths import ansible_content_dir, runs_dir
from azlin.records import VmRecord
from azlin.ssh.tunnel import (
    LOCAL_HOST,
    Forward,
    free_local_port,
    interrupt_on_sigterm,
    open_tunnel,
    tunnel_command,
)
from azlin.vm_access import ssh_target, target_for, unreachable_error

# The vnc_desktop role reads the password from this variable of Ansible's environment.
PASSWORD_VARIABLE = "AZLIN_VNC_PASSWORD"  # noqa: S105 - a variable name, not a secret
# VNC authentication uses the first 8 characters of a password and ignores the rest.
PASSWORD_LENGTH = 8
PASSWORD_ALPHABET = string.ascii_letters + string.digits
# Display :1 of the vnc_desktop role, on the VM's loopback.
VNC_PORT = 5901
# Viewers that take the server on their command line and run until the user closes them.
VIEWERS = ("vncviewer", "xtigervncviewer", "remmina")


@dataclass(frozen=True)
class DesktopRequest:
    vm_name: str
    use_viewer: bool = True
    verbosity: int = 0


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def desktop_run(inventory: Path, *, present: bool, password: str, verbosity: int) -> PlaybookRun:
    """The gui playbook run that starts (with `password`) or stops the desktop."""
    return PlaybookRun(
        playbook="gui.yml",
        inventory=inventory,
        extravars={"vnc_desktop_state": "present" if present else "absent"},
        verbosity=verbosity,
        secrets={PASSWORD_VARIABLE: password} if present else {},
    )


def find_viewer(env: Mapping[str, str]) -> str | None:
    """The first viewer installed, when there is a screen to show it on."""
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return None
    return next((p for p in VIEWERS if shutil.which(p, path=env.get("PATH"))), None)


def viewer_command(program: str, port: int) -> list[str]:
    if program == "remmina":
        return [program, "-c", f"vnc://{LOCAL_HOST}:{port}"]
    # TigerVNC's viewers read HOST::PORT as a port (HOST:N would be display N).
    return [program, f"{LOCAL_HOST}::{port}"]


def run_desktop(request: DesktopRequest, console: Console, env: Mapping[str, str]) -> int:
    """Start the desktop, show it until the viewer closes or the user interrupts (Ctrl-C,
    SIGTERM), then stop it. Returns 0 after a normal end."""
    # No Azure round trip first, as for `connect`: a failed SSH asks Azure why.
    record, target = target_for(request.vm_name)
    inventory = write_inventory(runs_dir() / record.name / "inventory.json", record.name, target)
    password = new_password()
    try:
        with interrupt_on_sigterm():
            with console.step("Start the desktop"):
                _converge(record, inventory, request, console, env, password=password)
            _show(record, request, console, env, password)
    except KeyboardInterrupt:
        console.info("Interrupted; stopping the desktop.")
    finally:
        with console.step("Stop the desktop"):
            stop_desktop(record, inventory, request, console, env)
    return 0


def stop_desktop(
    record: VmRecord,
    inventory: Path,
    request: DesktopRequest,
    console: Console,
    env: Mapping[str, str],
) -> None:
    """Stop the VNC server and remove its password; a failure leaves it running and warns."""
    try:
        _converge(record, inventory, request, console, env, password="")
    except ReadinessError as error:
        raise StepWarning(
            f"{error.message} The desktop may still run; stop it with "
            f"`azlin gui {record.name} --stop`."
        ) from error


def stop_only(request: DesktopRequest, console: Console, env: Mapping[str, str]) -> None:
    """`azlin gui NAME --stop`: the teardown alone, after a session that could not run it."""
    record, target = target_for(request.vm_name)
    inventory = write_inventory(runs_dir() / record.name / "inventory.json", record.name, target)
    with console.step("Stop the desktop"):
        _converge(record, inventory, request, console, env, password="")


def _converge(
    record: VmRecord,
    inventory: Path,
    request: DesktopRequest,
    console: Console,
    env: Mapping[str, str],
    *,
    password: str,
) -> None:
    run = desktop_run(
        inventory, present=bool(password), password=password, verbosity=request.verbosity
    )
    result = run_playbook(run, runs_dir() / record.name, ansible_content_dir(), console.detail)
    if result.ok:
        return
    if result.status == "canceled":
        # ansible-runner cancels the run on Ctrl-C or SIGTERM: the user asked to stop.
        raise KeyboardInterrupt
    if any(failure.endswith("host unreachable") for failure in result.failures):
        raise unreachable_error(record, env)
    failure = result.failures[0] if result.failures else f"Ansible ended with {result.status}"
    action = "Starting" if password else "Stopping"
    raise ReadinessError(
        f"{action} the desktop on {record.name} failed: {failure}. Fix the cause and run "
        f"`azlin gui {record.name}` again."
    )


def _show(
    record: VmRecord,
    request: DesktopRequest,
    console: Console,
    env: Mapping[str, str],
    password: str,
) -> None:
    """Forward a free local port to the desktop; wait for the viewer to close, or for the
    user to interrupt when there is no viewer."""
    port = free_local_port()
    command = tunnel_command(ssh_target(record), [Forward(VNC_PORT, port)])
    try:
        with open_tunnel(command) as tunnel:
            console.data_fields({"Address": f"{LOCAL_HOST}:{port}", "Password": password})
            viewer = find_viewer(env) if request.use_viewer else None
            if viewer is not None:
                console.info(f"Starting {viewer}; closing it stops the desktop.")
                _view(viewer, port)
                return
            console.info(f"The desktop of {record.name} is ready; press Ctrl-C to stop it.")
            code = tunnel.wait()
    except ConnectionLostError:
        raise unreachable_error(record, env) from None
    raise ReadinessError(
        f"The tunnel to {record.name} closed (ssh exited {code}); run `azlin gui {record.name}` "
        "again."
    )


def _view(viewer: str, port: int) -> None:
    # The viewer's chatter goes to stderr with azlin's progress: stdout stays data only.
    subprocess.run(
        viewer_command(viewer, port), stdin=subprocess.DEVNULL, stdout=sys.stderr, check=False
    )
