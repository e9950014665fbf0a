"""`azlin provision`: the nine steps from an empty machine to a tmux prompt on a ready VM."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from azlin.ansible.inventory import write_inventory
from azlin.ansible.runner import PlaybookResult, PlaybookRun, run_playbook
from azlin.azure.credentials import AzureCredentials, resolve_credentials
from azlin.console import Console, StepWarning
from azlin.errors import HostKeyMismatchError, ProvisioningError, ReadinessError
from azlin.github.token import local_gh_token, needs_local_gh, token_from_environment
from azlin.images.resolve import with_image_reference
from azlin.notify import NotificationFailed, Outcome, notifier_argv, send
from azlin.paths import ansible_content_dir, home_dir, known_hosts_file, runs_dir
from azlin.provisioning.exposure import ssh_source
from azlin.provisioning.extensions import check_extensions, run_extensions
from azlin.provisioning.failures import (
    create_failure_message,
    not_ready_cleanup,
    not_ready_message,
)
from azlin.provisioning.placement import fitted
from azlin.provisioning.prerequisites import check_prerequisites, required_programs
from azlin.provisioning.repos import role_entries
from azlin.provisioning.request import ProvisionRequest
from azlin.provisioning.resume import RESUMED, ResumePoint, existing_vm, resume_point
from azlin.records import VmRecord, save_record
from azlin.ssh.keys import KeyPair, ensure_key_pair
from azlin.ssh.known_hosts import pin_host_keys
from azlin.ssh.options import SshTarget
from azlin.ssh.readiness import wait_until_ready
from azlin.ssh.session import DEFAULT_SESSION, attach, ensure_session, stdin_is_terminal
from azlin.steplog import step_record
from azlin.vm_names import remember as remember_vm_names

GITHUB_TOKEN_VARIABLE = "AZLIN_GITHUB_TOKEN"  # noqa: S105 - a variable name, not a secret
# The roles of configure.yml that make a VM ready, before GitHub: /home on its data disk first
# (a no-op without one), so what the others write into /home lands there.
READY_ROLES = ("home_disk", "dev_tools", "tmux")


@dataclass(frozen=True)
class PlaybookContext:
    """What every playbook run of one provision shares."""

    vm_name: str
    content_dir: Path
    verbosity: int
    console: Console

    def run(self, run: PlaybookRun) -> PlaybookResult:
        data_dir = runs_dir() / self.vm_name
        return run_playbook(run, data_dir, self.content_dir, self._output)

    def _output(self, line: str) -> None:
        if self.verbosity > 0:
            self.console.detail(line)


def provision(request: ProvisionRequest, console: Console, env: Mapping[str, str]) -> int:
    """Run every step; returns the exit code of the final tmux attach (0 when not attached)."""
    # Settled before the first step, like every other input: a refusal leaves no record behind.
    home_dir()
    check_extensions(request.extensions, ansible_content_dir(), env)
    allowed_source = ssh_source(request.allow_from, env, console)
    resume = resume_point(request)
    with step_record(request.vm_name, "provision", console):
        target = prepare_vm(request, allowed_source, console, env, resume)
    return hand_over(console, request, target)


def prepare_vm(
    request: ProvisionRequest,
    allowed_source: str,
    console: Console,
    env: Mapping[str, str],
    resume: ResumePoint | None = None,
) -> SshTarget:
    """Steps 1 to 9 up to a waiting tmux session; what `azlin logs` records."""
    wants_github = bool(request.repos)
    with console.step("Prerequisites"):
        needs_az = "AZURE_CLIENT_ID" not in env
        check_prerequisites(
            required_programs(needs_az=needs_az, needs_gh=needs_local_gh(env, wants_github))
        )
    with console.step("Azure authentication"):
        credentials = resolve_credentials(env)
        request = with_image_reference(request, env)
    with console.step("SSH key"):
        keys, created = ensure_key_pair()
        console.detail(f"{'Created' if created else 'Reusing'} {keys.private}")
    context = PlaybookContext(request.vm_name, ansible_content_dir(), console.verbosity, console)
    resume = resume or ResumePoint()
    record = existing_vm(resume, request, env, console)
    if record is None:
        with console.step("VM provisioning"):
            request = fitted(request, env, console)
            record = create_vm(request, credentials, keys, allowed_source, context)
    target = SshTarget(
        record.public_ip, request.admin_user, keys.private, known_hosts_file(), record.name
    )
    inventory = write_inventory(
        runs_dir() / request.vm_name / "inventory.json", record.name, target
    )
    if resume.done("Wait for ready"):
        console.skipped("Wait for ready", RESUMED)
    else:
        with console.step("Wait for ready"):
            pin_vm_host_keys(request, target, env, context.console)
            configure_vm(request, target, inventory, context)
    if resume.done("GitHub setup"):
        console.skipped("GitHub setup", RESUMED)
    else:
        github_setup(request, inventory, context, env)
    run_extensions(request.vm_name, request.extensions, inventory, context.run, context.console)
    notify(console, request, f"azlin: VM {record.name} is ready at {record.public_ip}")
    with console.step("VM details"):
        show_details(console, record)
    with console.step("SSH connection"):
        ensure_session(target, DEFAULT_SESSION)
    return target


def create_vm(
    request: ProvisionRequest,
    credentials: AzureCredentials,
    keys: KeyPair,
    allowed_source: str,
    context: PlaybookContext,
) -> VmRecord:
    """Step 4: the azure_vm role creates (or converges) every resource; a failure cleans up."""
    run = PlaybookRun(
        playbook="create.yml",
        extravars={
            "azure_vm_name": request.vm_name,
            "azure_vm_resource_group": request.resource_group,
            "azure_vm_location": request.region,
            "azure_vm_size": request.size,
            "azure_vm_admin_user": request.admin_user,
            "azure_vm_ssh_public_key": keys.public_text(),
            "azure_vm_ssh_allowed_source": allowed_source,
            **({"azure_vm_image": request.image_reference} if request.image_reference else {}),
            "azure_vm_extra_tags": dict(request.tags),
            "azure_vm_auto_shutdown_time": request.auto_shutdown or "",
            "azure_vm_auto_shutdown_time_zone": request.auto_shutdown_tz,
            "azure_vm_data_disk_size_gb": request.home_disk_gb,
        },
        verbosity=context.verbosity,
        secrets=credentials.ansible_environment(),
    )
    result = context.run(run)
    if not result.ok:
        raise ProvisioningError(
            create_failure_message(request, _first_failure(result)),
            cleanup_hint=_cleanup_hint(request, result),
        )
    address = str(result.stats_data.get("azure_vm_public_ip") or "")
    if not address:
        raise ProvisioningError(
            f"VM {request.vm_name} was created but Azure reported no public IP address; "
            f"inspect it with `azlin destroy {request.vm_name} --dry-run` or in the portal."
        )
    record = VmRecord(
        request.vm_name,
        request.resource_group,
        request.region,
        request.size,
        address,
        request.admin_user,
        repos=tuple(repo.url for repo in request.repos),
        roles=request.extensions.roles,
        playbook=request.extensions.playbook,
        extra_vars=request.extensions.extra_vars,
    )
    save_record(record)
    remember_vm_names([record.name])
    return record


def pin_vm_host_keys(
    request: ProvisionRequest, target: SshTarget, env: Mapping[str, str], console: Console
) -> None:
    """Trust exactly the host keys Azure's agent reads on the VM; replaces any older pin."""
    from azlin.azure.clients import azure_clients
    from azlin.azure.host_keys import read_host_keys

    keys = read_host_keys(azure_clients(env), request.resource_group, request.vm_name)
    pin_host_keys(target.known_hosts, target.host, keys)
    console.detail(f"Pinned {len(keys)} host keys of {request.vm_name} read through Run Command")


def configure_vm(
    request: ProvisionRequest, target: SshTarget, inventory: Path, context: PlaybookContext
) -> None:
    """Step 5: SSH answers with azlin's key, then the tool roles bring the VM to ready."""
    try:
        waited = wait_until_ready(target, request.ready_timeout)
    except HostKeyMismatchError:
        raise
    except ReadinessError as error:
        raise ReadinessError(
            not_ready_message(request, target.host, error.message),
            cleanup_hint=not_ready_cleanup(request),
        ) from error
    context.console.detail(f"SSH answered after {waited:.1f}s")
    run = PlaybookRun(
        playbook="configure.yml",
        inventory=inventory,
        tags=READY_ROLES,
        verbosity=context.verbosity,
        user_vars=request.extensions.extra_vars,
    )
    result = context.run(run)
    if not result.ok:
        raise ReadinessError(
            f"Installing the developer tools on {request.vm_name} failed: "
            f"{_first_failure(result)}. Fix the cause and run `azlin provision --name "
            f"{request.vm_name}` again: it resumes on the existing VM."
        )


def github_setup(
    request: ProvisionRequest, inventory: Path, context: PlaybookContext, env: Mapping[str, str]
) -> None:
    """Step 6: gh logs in on the VM (token on stdin) and clones each repo; failures only warn."""
    title = "GitHub setup"
    if not request.repos:
        context.console.skipped(title, "no --repo given")
        return
    with context.console.step(title):
        token = token_from_environment(env) or local_gh_token()
        secrets = {GITHUB_TOKEN_VARIABLE: token} if token else {}
        run = PlaybookRun(
            playbook="configure.yml",
            inventory=inventory,
            tags=("github_repo",),
            extravars={
                "github_repo_repositories": role_entries(request.repos),
                # azlin shows Ansible's output only with -v, so a device code would never reach
                # the user: without a token, public repositories are cloned with git instead.
                "github_repo_device_flow_enabled": False,
            },
            verbosity=context.verbosity,
            secrets=secrets,
            user_vars=request.extensions.extra_vars,
        )
        result = context.run(run)
        if not result.ok:
            raise StepWarning(f"{_first_failure(result)}; the VM is usable without it")
        if not token:
            raise StepWarning(
                "no GitHub token found, so public repositories were cloned without gh"
            )


def notify(console: Console, request: ProvisionRequest, message: str) -> None:
    """Step 7: the user's notification command, else notify-send; silent when neither."""
    outcome = Outcome("provision", request.vm_name, True, message)
    if notifier_argv(request.notify_command, outcome) is None:
        console.skipped("Notification", "no notify_command set and no notify-send installed")
        return
    with console.step("Notification"):
        try:
            send(request.notify_command, outcome)
        except NotificationFailed as failure:
            raise StepWarning(str(failure)) from failure


def show_details(console: Console, record: VmRecord) -> None:
    """Step 8."""
    console.data_fields(
        {
            "Name": record.name,
            "IP address": record.public_ip,
            "Size": record.size,
            "Region": record.region,
            "Resource group": record.resource_group,
            "Connect": f"azlin connect {record.name}",
        }
    )


def hand_over(console: Console, request: ProvisionRequest, target: SshTarget) -> int:
    """Step 9's end: attach with the user's terminal, or say how to attach later."""
    if request.attach and stdin_is_terminal():
        return attach(target, DEFAULT_SESSION)
    console.info(
        f"tmux session '{DEFAULT_SESSION}' is running; attach with: azlin connect {request.vm_name}"
    )
    return 0


def _first_failure(result: PlaybookResult) -> str:
    return result.failures[0] if result.failures else f"Ansible ended with {result.status}"


def _cleanup_hint(request: ProvisionRequest, result: PlaybookResult) -> str:
    cleaned = result.stats_data.get("azure_vm_cleanup")
    if cleaned == "removed":
        return "azlin removed the resources this run had created; nothing is left to clean up."
    return (
        f"Some resources may remain: remove them with `azlin destroy {request.vm_name} "
        f"-g {request.resource_group}`."
    )
