"""`azlin provision --count N`: N VMs named NAME-1 ... NAME-N, made at once, configured together.

Each VM is created by its own run of the create playbook, all runs at once: each keeps the
azure_vm role's per-VM clean-up when its create fails, and the VMs' ARM operations overlap.
The tools are then installed by ONE configure run over every VM (Ansible's forks do them in
parallel), so Ansible's start-up and fact gathering are paid once, not N times.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from azlin.ansible.inventory import write_hosts_inventory
from azlin.ansible.runner import PlaybookRun
from azlin.azure.credentials import resolve_credentials
from azlin.console import Console
from azlin.errors import AzlinError, InvalidInputError, ProvisioningError, ReadinessError
from azlin.github.token import needs_local_gh
from azlin.images.resolve import with_image_reference
from azlin.paths import ansible_content_dir, home_dir, known_hosts_file, runs_dir
from azlin.provisioning.exposure import ssh_source
from azlin.provisioning.extensions import check_extensions
from azlin.provisioning.placement import fitted
from azlin.provisioning.prerequisites import check_prerequisites, required_programs
from azlin.provisioning.request import ProvisionRequest, check_vm_name
from azlin.records import VmRecord
from azlin.ssh.keys import ensure_key_pair
from azlin.ssh.known_hosts import pin_host_keys
from azlin.ssh.options import SshTarget
from azlin.ssh.readiness import wait_until_ready
from azlin.ssh.session import DEFAULT_SESSION, ensure_session
from azlin.vm_names import remember as remember_vm_names

MAX_COUNT = 50
# The fleet's shared runs (configure, GitHub) keep their artifacts here; '.' is never in a
# VM name, so this folder cannot be a VM's own.
FLEET_RUNS_SUFFIX = ".fleet"


def fleet_names(base: str, count: int) -> list[str]:
    """NAME-1 ... NAME-N, every one checked before anything is created."""
    if not 2 <= count <= MAX_COUNT:
        raise InvalidInputError(
            f"Invalid --count {count}: use 2 to {MAX_COUNT} (1 is the default)."
        )
    return [check_vm_name(f"{base}-{index}") for index in range(1, count + 1)]


def provision_fleet(
    request: ProvisionRequest, count: int, console: Console, env: Mapping[str, str]
) -> int:
    """Create, configure and start tmux on every VM; 0 when all are ready, else an error."""
    from azlin.provisioning.workflow import PlaybookContext, create_vm, notify

    # TODO: no step record is kept per member, so `azlin logs NAME-1` shows nothing for a
    # fleet; the runs' artifacts are kept under NAME.fleet and each NAME-i.
    names = fleet_names(request.vm_name, count)
    home_dir()
    check_extensions(request.extensions, ansible_content_dir(), env)
    allowed_source = ssh_source(request.allow_from, env, console)
    with console.step("Prerequisites"):
        needs_gh = needs_local_gh(env, bool(request.repos))
        check_prerequisites(
            required_programs(needs_az="AZURE_CLIENT_ID" not in env, needs_gh=needs_gh)
        )
    with console.step("Azure authentication"):
        credentials = resolve_credentials(env)
        request = with_image_reference(request, env)
    with console.step("SSH key"):
        keys, _ = ensure_key_pair()
    # Imported here, once: the concurrent runs must not race to import it.
    import ansible_runner  # noqa: F401

    with console.step(f"VM provisioning ({count} VMs at once)"):
        # TODO: the size and quota check counts one VM's vCPUs, not N; a fleet that does not
        # fit fails at Azure's QuotaExceeded for the last VMs instead of before any is made.
        base = fitted(request, env, console)
        requests = [dataclasses.replace(base, vm_name=name, attach=False) for name in names]

        def create(member: ProvisionRequest) -> VmRecord:
            context = PlaybookContext(
                member.vm_name, ansible_content_dir(), console.verbosity, console
            )
            return create_vm(member, credentials, keys, allowed_source, context)

        created = _each(create, requests)
        remember_vm_names([r.vm_name for r, o in zip(requests, created, strict=True) if _ok(o)])
    records = [o for o in created if isinstance(o, VmRecord)]
    targets = {
        r.name: SshTarget(r.public_ip, r.admin_user, keys.private, known_hosts_file(), r.name)
        for r in records
    }
    if targets:
        _configure(base, targets, console, env)
        ready = ", ".join(targets)
        notify(console, base, f"azlin: VMs {ready} are ready")
        show_fleet(console, records)
    failures = [(r.vm_name, o) for r, o in zip(requests, created, strict=True) if not _ok(o)]
    if failures:
        raise _fleet_error(failures, len(requests))
    return 0


def _configure(
    request: ProvisionRequest,
    targets: Mapping[str, SshTarget],
    console: Console,
    env: Mapping[str, str],
) -> None:
    from azlin.provisioning.workflow import READY_ROLES, PlaybookContext, github_setup

    fleet_id = request.vm_name + FLEET_RUNS_SUFFIX
    inventory = write_hosts_inventory(runs_dir() / fleet_id / "inventory.json", targets)
    context = PlaybookContext(fleet_id, ansible_content_dir(), console.verbosity, console)
    with console.step("Wait for ready"):
        pin_fleet_host_keys(request.resource_group, targets, env, console)
        waited = _each(lambda t: wait_until_ready(t, request.ready_timeout), list(targets.values()))
        _raise_first(waited)
        run = PlaybookRun(
            playbook="configure.yml",
            inventory=inventory,
            tags=READY_ROLES,
            verbosity=console.verbosity,
            user_vars=request.extensions.extra_vars,
        )
        result = context.run(run)
        if not result.ok:
            raise ReadinessError(
                f"Installing the developer tools failed: {result.failures[:1] or result.status}. "
                f"Fix the cause and run `azlin repair NAME` on each VM named in it."
            )
    # TODO: the tools and the clones are two ansible-runner runs (the clone failing only
    # warns); one run with the clone as its last play would save one Ansible start-up.
    github_setup(request, inventory, context, env)
    with console.step("SSH connection"):
        _raise_first(_each(lambda t: ensure_session(t, DEFAULT_SESSION), list(targets.values())))


def pin_fleet_host_keys(
    resource_group: str, targets: Mapping[str, SshTarget], env: Mapping[str, str], console: Console
) -> None:
    """Read every VM's host keys at once through Run Command; pin them one file write at a time."""
    from azlin.azure.clients import azure_clients
    from azlin.azure.host_keys import read_host_keys

    clients = azure_clients(env)
    read = _each(lambda name: read_host_keys(clients, resource_group, name), list(targets))
    _raise_first(read)
    for (name, target), keys in zip(targets.items(), read, strict=True):
        assert isinstance(keys, list)
        pin_host_keys(target.known_hosts, target.host, keys)
        console.detail(f"Pinned {len(keys)} host keys of {name} read through Run Command")


def show_fleet(console: Console, records: Sequence[VmRecord]) -> None:
    """The VMs, and how to reach each: a fleet is never attached to."""
    console.data_table(
        ["NAME", "IP ADDRESS", "SIZE", "REGION", "CONNECT"],
        [[r.name, r.public_ip, r.size, r.region, f"azlin connect {r.name}"] for r in records],
    )
    names = " ".join(r.name for r in records)
    console.info(f"Run a command on all of them with: azlin batch {names} -- COMMAND")


def _each[T, R](work: Callable[[T], R], items: Sequence[T]) -> list[R | AzlinError]:
    """`work` on every item at once; an AzlinError is returned in that item's place."""

    def guarded(item: T) -> R | AzlinError:
        try:
            return work(item)
        except AzlinError as error:
            return error

    with ThreadPoolExecutor(max(1, len(items))) as pool:
        return list(pool.map(guarded, items))


def _ok(outcome: object) -> bool:
    return not isinstance(outcome, AzlinError)


def _raise_first(outcomes: Sequence[object]) -> None:
    for outcome in outcomes:
        if isinstance(outcome, AzlinError):
            raise outcome


def _fleet_error(failures: Sequence[tuple[str, object]], total: int) -> ProvisioningError:
    first_name, first = failures[0]
    names = ", ".join(name for name, _ in failures)
    assert isinstance(first, AzlinError)
    return ProvisioningError(
        f"{len(failures)} of {total} VMs were not created ({names}); {first_name}: "
        f"{first.message} Run the same command again to create the missing ones.",
        cleanup_hint=first.cleanup_hint,
    )
