"""One lab VM shared by the role tests, reached with plain ansible-playbook over real SSH.

The VM is a test host of the running lab's kind (booted systemd, sshd, apt through the lab's
squid, the lab CA trusted, github.com pointing at the lab's stand-in), made directly rather
than through the ARM emulator: the roles are under test here, not `azlin provision`.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lab.artifacts.server import VARS_VARIABLE, start_artifact_server, vars_file
from tests.lab.client import LabClient
from tests.lab.config import GITHUB_HOSTS, LabConfig
from tests.lab.hosts.image import ensure_image
from tests.lab.hosts.machine import TestHosts

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN = "azureuser"
# Outside the emulator's public IPs (.10-.199) and the lab's own host tests (.200-.209).
VM_ADDRESS = "10.231.0.230"
SSH_TIMEOUT = 60.0
# The test VM is made afresh each session with new host keys.
NO_HOST_KEYS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"


@dataclass(frozen=True)
class LabVm:
    address: str
    key: Path
    lab_vars: Path
    env: dict[str, str]
    folder: Path

    def ssh(self, command: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        """`ssh vm COMMAND` as a user would type it: no terminal, no login shell."""
        argv = ["ssh", "-i", str(self.key), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                "-o", "LogLevel=ERROR", f"{ADMIN}@{self.address}", command]  # fmt: skip
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)

    def wait_for_ssh(self, timeout: float = SSH_TIMEOUT) -> None:
        """Until a login works: systemd starts sshd shortly after the VM boots."""
        deadline = time.monotonic() + timeout
        while self.ssh("true", timeout=10).returncode != 0:
            assert time.monotonic() < deadline, f"sshd on {self.address} did not answer"
            time.sleep(0.2)

    def molecule_env(self, **extra: str) -> dict[str, str]:
        """What the roles' molecule scenarios read to reach this VM (molecule.yml)."""
        return {
            **self.env,
            "AZLIN_LAB_VM_ADDRESS": self.address,
            "AZLIN_LAB_VM_KEY": str(self.key),
            VARS_VARIABLE: str(self.lab_vars),
            **extra,
        }

    def inventory(self) -> Path:
        """A hand-written inventory, as a team reusing the roles would keep one."""
        path = self.folder / "hosts.ini"
        path.write_text(
            "[azlin_vms]\n"
            f"labvm ansible_host={self.address} ansible_user={ADMIN} "
            f"ansible_ssh_private_key_file={self.key} "
            f"ansible_ssh_common_args='{NO_HOST_KEYS}'\n"
        )
        return path

    def playbook(
        self,
        playbook: Path,
        *args: str,
        cwd: Path = REPO_ROOT,
        timeout: int = 900,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Plain ansible-playbook with the lab's variables, from `cwd` (the project's
        ansible.cfg only when run from the project)."""
        env = {**self.env, **(extra_env or {})}
        if cwd == REPO_ROOT:
            env["ANSIBLE_CONFIG"] = str(REPO_ROOT / "ansible.cfg")
        argv = [str(REPO_ROOT / ".venv/bin/ansible-playbook"), "-i", str(self.inventory()),
                "-e", f"@{self.lab_vars}", str(playbook), *args]  # fmt: skip
        return subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )


def _listening(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def artifact_vars(lab: LabClient) -> Iterator[Path]:
    """The lab's dev_tools variables; served here when the running lab predates its server."""
    if VARS_VARIABLE in lab.env and _listening(
        str(lab.config.bridge_address), lab.config.artifact_port
    ):
        yield Path(lab.env[VARS_VARIABLE])
        return
    state = Path(tempfile.mkdtemp(prefix="azlin-artifacts-", dir="/var/tmp"))
    config = LabConfig(state_dir=state)
    loop = asyncio.new_event_loop()
    runner, _ = loop.run_until_complete(start_artifact_server(config))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield vars_file(config)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    subprocess.run(["rm", "-rf", "--one-file-system", str(state)], check=True)


@dataclass(frozen=True)
class RoleHosts:
    """The test hosts of the role tests: one key, their own state folder, the lab's kind."""

    hosts: TestHosts
    key: Path
    lab_vars: Path
    env: dict[str, str]

    def create(self, name: str, address: str) -> LabVm:
        """A booted VM whose sshd answers (systemd starts it shortly after the boot)."""
        self.hosts.create(name, address, ADMIN, [self.key.with_suffix(".pub").read_text()])
        vm = LabVm(address, self.key, self.lab_vars, self.env, self.key.parent)
        vm.wait_for_ssh()
        return vm


@pytest.fixture(scope="session")
def role_hosts(
    lab: LabClient, artifact_vars: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RoleHosts]:
    if os.geteuid() != 0:
        pytest.skip("test VMs need root")
    key = tmp_path_factory.mktemp("roles-ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    state = Path(tempfile.mkdtemp(prefix="azlin-roles-", dir="/var/tmp"))
    state.chmod(0o755)
    config = LabConfig(state_dir=state)
    entries = {name: str(config.bridge_address) for name in GITHUB_HOSTS}
    hosts = TestHosts(config, ensure_image(config), lab.config.ca_cert.read_bytes(), entries)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(lab.env)
    try:
        yield RoleHosts(hosts, key, artifact_vars, env)
    finally:
        hosts.delete_all()
        subprocess.run(["rm", "-rf", "--one-file-system", str(state)], check=True)


@pytest.fixture(scope="session")
def lab_vm(role_hosts: RoleHosts) -> LabVm:
    return role_hosts.create("roles-vm", VM_ADDRESS)


def molecule(
    role: str, env: Mapping[str, str], folder: Path, command: str = "test"
) -> subprocess.CompletedProcess[str]:
    """`molecule COMMAND --report` in the role's folder (its default scenario), its state in
    `folder`; `env` carries what the scenario reads (see LabVm.molecule_env)."""
    run_env = {
        **env,
        # molecule runs ansible-config and ansible-playbook from PATH.
        "PATH": f"{REPO_ROOT / '.venv/bin'}:{env.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "MOLECULE_EPHEMERAL_DIRECTORY": str(folder / f"molecule-{role}"),
        # The tests read molecule's report and Ansible's recap.
        "NO_COLOR": "1",
        "ANSIBLE_NOCOLOR": "1",
    }
    argv = [str(REPO_ROOT / ".venv/bin/molecule"), command, "--report"]
    return subprocess.run(
        argv, cwd=REPO_ROOT / "roles" / role, env=run_env, capture_output=True, text=True,
        timeout=1800, check=False,
    )  # fmt: skip


def molecule_passed(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The actions of molecule's report that did not succeed (none: converge, idempotence and
    verify all ran and passed)."""
    report = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    wanted = ("converge", "idempotence", "verify")
    done = set(re.findall(r"(\w+): Executed: Successful", report))
    return [action for action in wanted if action not in done]


@dataclass(frozen=True)
class StandInRepo:
    """A public repository of the lab's GitHub stand-in, made for these tests alone."""

    url: str
    bare: Path

    def commit(self, work: Path, message: str) -> str:
        """Push a new commit to it, as someone else would; returns the commit's id."""
        if not work.exists():
            git("clone", "-q", str(self.bare), str(work))
        (work / "NOTES.md").write_text(message + "\n", encoding="utf-8")
        git("-C", str(work), "add", "NOTES.md")
        git("-C", str(work), "-c", "user.name=Tester", "-c", "user.email=t@example.invalid",
            "commit", "-q", "-m", message)  # fmt: skip
        git("-C", str(work), "push", "-q", "origin", "HEAD:main")
        return git("-C", str(work), "rev-parse", "HEAD")


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture(scope="session")
def stand_in_repo(
    lab: LabClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StandInRepo]:
    name = f"roles-{secrets.token_hex(3)}"
    bare = lab.config.state_dir / "github" / "azlin-lab" / f"{name}.git"
    git("init", "-q", "--bare", "--initial-branch=main", str(bare))
    repo = StandInRepo(f"https://github.com/azlin-lab/{name}", bare)
    work = tmp_path_factory.mktemp("stand-in") / name
    for number in range(1, 4):
        repo.commit(work, f"commit {number}")
    try:
        yield repo
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(bare)], check=True)


@pytest.fixture(scope="session")
def public_repo(stand_in_repo: StandInRepo) -> str:
    return stand_in_repo.url
