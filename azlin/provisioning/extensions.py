"""The user's own provisioning: extra roles, a playbook and variables, run after azlin's roles.

They run from a wrapper playbook that azlin writes beside each run's artifacts: it imports
`configure.yml`, then applies each role in a play of its own, then imports the user's
playbook. `azlin repair` runs the whole wrapper in one run; `azlin provision` runs it with the
`azlin_extensions` tag once its own steps are done. The wrapper holds paths and role names
only: variables reach Ansible as `-e` arguments, so a secret in a vars file stays in that file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azlin.errors import InvalidInputError, PrerequisiteError, ReadinessError

if TYPE_CHECKING:
    from azlin.ansible.runner import PlaybookResult, PlaybookRun
    from azlin.console import Console

EXTENSIONS_TAG = "azlin_extensions"
WRAPPER_NAME = "azlin-site.yml"
# A role name Ansible finds on its roles path, or NAMESPACE.COLLECTION.ROLE.
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][\w-]*)?$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ROLE_PLAY = "Apply your role "
# The play of playbooks/configure.yml: a failure there is azlin's, not the user's.
AZLIN_PLAY = "Configure the azlin VMs"
_SYNTAX_CHECK_SECONDS = 120


@dataclass(frozen=True)
class Extensions:
    """Roles (absolute folders or names), a playbook (absolute path) and `-e` values."""

    roles: tuple[str, ...] = ()
    playbook: str | None = None
    extra_vars: tuple[str, ...] = ()

    @property
    def has_plays(self) -> bool:
        return bool(self.roles or self.playbook)


def parse_extensions(
    roles: Iterable[str], playbook: str | None, extra_vars: Iterable[str]
) -> Extensions:
    """Each value checked on its own; paths made absolute so that repair finds them later."""
    return Extensions(
        roles=tuple(_parse_role(role) for role in roles),
        playbook=_parse_playbook(playbook) if playbook else None,
        extra_vars=tuple(_parse_extra_vars(value) for value in extra_vars),
    )


def check_extensions(
    extensions: Extensions, content_dir: Path, env: Mapping[str, str]
) -> Extensions:
    """Refuse a role Ansible cannot find or a playbook it cannot parse, before any change."""
    if extensions.has_plays or extensions.extra_vars:
        ansible_home = Path.home() / ".ansible"
        had_home = ansible_home.exists()
        with tempfile.TemporaryDirectory(prefix="azlin-syntax-") as scratch:
            wrapper = write_wrapper(extensions, Path(scratch), content_dir)
            # A refused input leaves nothing behind: not Ansible's ~/.ansible/tmp, nor the
            # empty ~/.ansible it makes on start, nor the fact cache folder ansible.cfg names.
            check_env = {
                **env,
                "ANSIBLE_LOCAL_TEMP": scratch,
                "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.memory",
            }
            try:
                _syntax_check(wrapper, extensions, content_dir, check_env)
            finally:
                if not had_home:
                    with contextlib.suppress(OSError):
                        ansible_home.rmdir()
    return extensions


def wrapper_plays(extensions: Extensions, content_dir: Path) -> list[dict[str, Any]]:
    """The wrapper playbook: azlin's configuration, then each role, then the user's playbook."""
    plays: list[dict[str, Any]] = [
        {
            "name": "Configure the VM with azlin's roles",
            "ansible.builtin.import_playbook": str(content_dir / "playbooks" / "configure.yml"),
        }
    ]
    for role in extensions.roles:
        plays.append(
            {
                "name": f"{_ROLE_PLAY}{role}",
                "hosts": "azlin_vms",
                "gather_facts": True,
                "tags": [EXTENSIONS_TAG],
                "roles": [{"role": role}],
            }
        )
    if extensions.playbook:
        plays.append(
            {
                "name": "Run your playbook",
                "ansible.builtin.import_playbook": extensions.playbook,
                "tags": [EXTENSIONS_TAG],
            }
        )
    return plays


def write_wrapper(extensions: Extensions, folder: Path, content_dir: Path) -> Path:
    """JSON, which Ansible reads as YAML: no YAML library needed to write it."""
    path = folder / WRAPPER_NAME
    path.write_text(json.dumps(wrapper_plays(extensions, content_dir), indent=2) + "\n")
    return path


def run_extensions(
    vm_name: str,
    extensions: Extensions,
    inventory: Path,
    run: Callable[[PlaybookRun], PlaybookResult],
    console: Console,
) -> None:
    """Provision's last configure step: the user's roles and playbook, after azlin's."""
    # TODO: provision runs this part as a run of its own (the wrapper, tag azlin_extensions)
    # rather than in one run with azlin's roles, because its steps have different outcomes
    # (tools: stop; GitHub: warn; yours: exit 5) and the runner reports a run as one outcome.
    # `azlin repair` does run it all in one run.
    if not extensions.has_plays:
        return
    from azlin.ansible.runner import PlaybookRun
    from azlin.paths import ansible_content_dir, private_dir, runs_dir

    with console.step("Your provisioning"):
        folder = private_dir(runs_dir() / vm_name)
        wrapper = write_wrapper(extensions, folder, ansible_content_dir())
        result = run(
            PlaybookRun(
                playbook=str(wrapper),
                inventory=inventory,
                tags=(EXTENSIONS_TAG,),
                verbosity=console.verbosity,
                user_vars=extensions.extra_vars,
            )
        )
        if not result.ok and is_users_failure(result.failed_plays):
            raise ReadinessError(
                failure_message(vm_name, extensions, result.failed_plays, result.failures)
            )
        if not result.ok:
            failure = result.failures[0] if result.failures else f"Ansible ended {result.status}"
            raise ReadinessError(
                f"Preparing {vm_name} for your provisioning failed: {failure}. Fix the cause "
                f"and run `azlin repair {vm_name}`."
            )


def is_users_failure(failed_plays: tuple[str, ...]) -> bool:
    """Whether a run failed in the user's roles or playbook rather than in azlin's play."""
    return bool(failed_plays) and failed_plays[0] not in {AZLIN_PLAY, ""}


def failure_message(
    vm_name: str, extensions: Extensions, plays: tuple[str, ...], failures: tuple[str, ...]
) -> str:
    """Name what failed (role or playbook, and the task); the VM is otherwise ready."""
    play = plays[0] if plays else ""
    where = failures[0] if failures else "Ansible stopped"
    if play.startswith(_ROLE_PLAY):
        culprit = f"your role {play.removeprefix(_ROLE_PLAY)}"
    elif extensions.playbook:
        culprit = f"your playbook {extensions.playbook}"
    else:
        culprit = "your provisioning"
    return (
        f"{culprit[0].upper()}{culprit[1:]} failed at task {where}. The VM is otherwise ready "
        f"(`azlin connect {vm_name}`); fix it and re-run it with `azlin repair {vm_name}`."
    )


def _parse_role(value: str) -> str:
    if os.sep in value or value.startswith((".", "~")):
        folder = Path(value).expanduser().resolve()
        if not (folder / "tasks").is_dir() and not (folder / "meta" / "main.yml").is_file():
            raise InvalidInputError(
                f"Invalid --role {value!r}: {folder} is not a role folder (it has no tasks/); "
                "give a role's folder or a role name on ANSIBLE_ROLES_PATH."
            )
        return str(folder)
    if not _ROLE_NAME.match(value):
        raise InvalidInputError(
            f"Invalid --role {value!r}: give a role's folder (with a /), a role name on "
            "ANSIBLE_ROLES_PATH, or NAMESPACE.COLLECTION.ROLE."
        )
    return value


def _parse_playbook(value: str) -> str:
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise InvalidInputError(
            f"Invalid --playbook {value!r}: no such file; give the path of a YAML playbook."
        )
    return str(path)


def _parse_extra_vars(value: str) -> str:
    if value.startswith("@"):
        return "@" + str(_vars_file(value[1:]))
    key, equals, _ = value.partition("=")
    if not equals or not _VARIABLE.match(key):
        raise InvalidInputError(
            f"Invalid --extra-vars {value!r}: use key=value (one variable) or @FILE.yml."
        )
    return value


def _vars_file(name: str) -> Path:
    # Its content is Ansible's to read: the syntax check refuses what Ansible would refuse.
    path = Path(name).expanduser().resolve()
    if not path.is_file():
        raise InvalidInputError(
            f"Invalid --extra-vars @{name}: no such file; give a YAML file of variables."
        )
    return path


def _syntax_check(
    wrapper: Path, extensions: Extensions, content_dir: Path, env: Mapping[str, str]
) -> None:
    from azlin.ansible.runner import ansible_environment

    argv = ["ansible-playbook", "--syntax-check", "-i", "localhost,", str(wrapper)]
    for value in extensions.extra_vars:
        argv += ["-e", value]
    run_env = {**env, **ansible_environment(content_dir, env)}
    try:
        done = subprocess.run(
            argv,
            env=run_env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=_SYNTAX_CHECK_SECONDS,
            check=False,
        )
    except FileNotFoundError as error:
        raise PrerequisiteError(
            "ansible-playbook was not found; install Ansible (pip install ansible) and run again."
        ) from error
    if done.returncode != 0:
        raise InvalidInputError(_syntax_error(done.stdout + done.stderr, wrapper))


def _syntax_error(output: str, wrapper: Path) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    message = next((line for line in lines if line.startswith("[ERROR]")), "")
    message = message.removeprefix("[ERROR]:").strip().rstrip(".") or "Ansible refused it"
    # The wrapper's temporary folder is on Ansible's role search path, but no place to look.
    folder = str(wrapper.parent)
    for searched in (f"{folder}/roles:", f":{folder}", folder):
        message = message.replace(searched, "")
    origin = next((line for line in lines if line.startswith("Origin: /")), "")
    where = origin.removeprefix("Origin: ")
    at = f" ({where})" if where and not where.startswith(folder) else ""
    advice = "fix it and run again"
    if "was not found in" in message:
        advice = "give the role's folder, or put it on ANSIBLE_ROLES_PATH"
    return f"Your roles or playbook cannot run: {message}{at}; {advice}."
