"""The tmux and vnc_desktop roles and `azlin gui` on one lab VM: real Ansible, real ssh, a real
TigerVNC server spoken to in RFB, and the client side searched for the one-time password.

The VM is a lab test host made directly (not through the ARM emulator) and given an azlin
record: `azlin gui` needs SSH to a known VM, not Azure, and this keeps `azlin provision` and
the dev_tools role out of these timings.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from azlin.records import VmRecord, save_record
from tests.e2e.test_everyday import user_env
from tests.lab.client import LabClient
from tests.lab.config import LabConfig
from tests.lab.hosts.image import ensure_image
from tests.lab.hosts.machine import TestHosts

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN = "azureuser"
# Outside the emulator's public IPs (.10-.199), the lab's host tests (.200-.209) and the
# role tests' VM (.230).
VM_ADDRESS = "10.231.0.232"
VM_NAME = "gui-vm"
VNC_UNIT = "azlin-vnc@1.service"
CONVERGE = """\
# Apply the tmux and vnc_desktop roles, as the gui test converges them.
- name: Converge
  hosts: azlin_vms
  gather_facts: true
  gather_subset: [min]
  roles:
    - role: tmux
    - role: vnc_desktop
"""


@dataclass(frozen=True)
class GuiVm:
    home: Path
    env: dict[str, str]

    @property
    def key(self) -> Path:
        return self.home / ".ssh" / "azlin_key"

    @property
    def state(self) -> Path:
        return self.home / ".local" / "state" / "azlin"

    def ssh_argv(self, *options: str) -> list[str]:
        return ["ssh", *options, "-i", str(self.key), "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={self.state / 'known_hosts'}",
                "-o", "LogLevel=ERROR", f"{ADMIN}@{VM_ADDRESS}"]  # fmt: skip

    def ssh(self, command: str) -> subprocess.CompletedProcess[str]:
        """`ssh vm COMMAND`: no terminal, no login shell."""
        return subprocess.run(
            [*self.ssh_argv(), command], capture_output=True, text=True, timeout=60, check=False
        )

    def playbook(
        self, playbook: Path, password: str, *args: str
    ) -> subprocess.CompletedProcess[str]:
        """Plain ansible-playbook with the project's ansible.cfg and azlin's inventory."""
        env = {**self.env, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")}
        env["AZLIN_VNC_PASSWORD"] = password
        inventory = self.state / "runs" / VM_NAME / "inventory.json"
        argv = [str(REPO_ROOT / ".venv/bin/ansible-playbook"), "-i", str(inventory),
                str(playbook), *args]  # fmt: skip
        return subprocess.run(
            argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
        )


@pytest.fixture(scope="module")
def vm(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuiVm]:
    if os.geteuid() != 0:
        pytest.skip("test VMs need root")
    home = tmp_path_factory.mktemp("gui") / "home"
    home.mkdir(mode=0o700)
    (home / ".ssh").mkdir(mode=0o700)
    key = home / ".ssh" / "azlin_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    state = Path(tempfile.mkdtemp(prefix="azlin-gui-", dir="/var/tmp"))
    state.chmod(0o755)
    config = LabConfig(state_dir=state)
    hosts = TestHosts(config, ensure_image(config), lab.config.ca_cert.read_bytes(), {})
    hosts.create(VM_NAME, VM_ADDRESS, ADMIN, [key.with_suffix(".pub").read_text()])
    vm = GuiVm(home, user_env(lab, home))
    vm.state.mkdir(parents=True, mode=0o700)
    keys = "".join(f"{VM_ADDRESS} {line}\n" for line in hosts.host_public_keys(VM_NAME))
    (vm.state / "known_hosts").write_text(keys)
    save_record(VmRecord(VM_NAME, "gui-rg", "eastus", "lab", VM_ADDRESS, ADMIN), vm.state / "vms")
    try:
        yield vm
    finally:
        hosts.delete_all()
        subprocess.run(["rm", "-rf", "--one-file-system", str(state)], check=True)


@pytest.fixture(scope="module")
def converged(vm: GuiVm, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The two roles applied once; returns the password they were given."""
    from azlin.ansible.inventory import write_inventory
    from azlin.ssh.options import SshTarget

    target = SshTarget(VM_ADDRESS, ADMIN, vm.key, vm.state / "known_hosts")
    write_inventory(vm.state / "runs" / VM_NAME / "inventory.json", VM_NAME, target)
    playbook = tmp_path_factory.mktemp("converge") / "converge.yml"
    playbook.write_text(CONVERGE)
    password = secrets.token_urlsafe(6)[:8]
    started = time.monotonic()
    first = vm.playbook(playbook, password)
    print(f"first converge: {time.monotonic() - started:.1f}s")
    assert first.returncode == 0, first.stdout[-3000:]
    started = time.monotonic()
    second = vm.playbook(playbook, password)
    print(f"second converge: {time.monotonic() - started:.1f}s")
    assert second.returncode == 0, second.stdout[-3000:]
    assert re.search(r"\bchanged=0\b", second.stdout), second.stdout[-3000:]
    return password


def test_vnc_listens_on_loopback_only_and_answers_through_ssh(vm: GuiVm, converged: str) -> None:
    listening = vm.ssh("ss -Hltn 'sport = :5901'").stdout.split("\n")
    local = sorted(line.split()[3] for line in listening if line.strip())
    assert local == ["127.0.0.1:5901", "[::1]:5901"]
    with pytest.raises(OSError):
        socket.create_connection((VM_ADDRESS, 5901), timeout=3).close()

    shown = vm.ssh(
        f"stat -c '%a %s' ~/.vnc/passwd; stat -c %a ~/.vnc; systemctl is-active {VNC_UNIT}"
    )
    assert shown.stdout == "600 8\n700\nactive\n"

    port = _free_port()
    forward = subprocess.Popen(
        [*vm.ssh_argv("-N", "-L", f"127.0.0.1:{port}:localhost:5901")], stdin=subprocess.DEVNULL
    )
    try:
        banner = _wait_for_banner(port)
        assert re.fullmatch(rb"RFB 003\.00\d\n", banner)
        assert _vnc_auth(port, converged) is True
        assert _vnc_auth(port, "wrong-pw") is False
    finally:
        forward.terminate()
        forward.wait()


def test_teardown_stops_the_server_and_forgets_the_password(vm: GuiVm, converged: str) -> None:
    gone = vm.playbook(REPO_ROOT / "playbooks" / "gui.yml", "", "-e", "vnc_desktop_state=absent")
    assert gone.returncode == 0, gone.stdout[-3000:]
    shown = vm.ssh(f"systemctl is-active {VNC_UNIT}; ls ~/.vnc/passwd; ss -Hltn 'sport = :5901'")
    assert shown.stdout == "inactive\n"
    assert "No such file" in shown.stderr
    again = vm.playbook(REPO_ROOT / "playbooks" / "gui.yml", "", "-e", "vnc_desktop_state=absent")
    assert re.search(r"\bchanged=0\b", again.stdout), again.stdout[-3000:]


def test_tmux_without_and_with_a_terminal_finds_the_same_server(vm: GuiVm, converged: str) -> None:
    made = vm.ssh("tmux new-session -d -s t; tmux ls -F '#{session_name}'")
    assert made.returncode == 0, made.stderr
    assert "t" in made.stdout.split()
    typed = subprocess.run(
        [*vm.ssh_argv("-tt")],
        input="tmux ls -F 'seen:#{session_name}'; echo \"dir:$TMUX_TMPDIR\"; exit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "seen:t" in typed.stdout, typed.stdout
    assert f"dir:/home/{ADMIN}/.tmux-socket" in typed.stdout
    modes = vm.ssh("stat -c '%a %U' ~/.tmux-socket ~/.tmux-socket/tmux-$(id -u)")
    assert modes.stdout == f"700 {ADMIN}\n700 {ADMIN}\n"
    vm.ssh("tmux kill-server")


def test_gui_shows_the_desktop_until_told_to_stop(vm: GuiVm, converged: str) -> None:
    env = {k: v for k, v in vm.env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    started = time.monotonic()
    gui = subprocess.Popen(
        [sys.executable, "-m", "azlin", "gui", VM_NAME],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert gui.stdout is not None
        address = gui.stdout.readline()
        password = gui.stdout.readline()
        print(f"gui ready: {time.monotonic() - started:.1f}s")
        found = re.fullmatch(r"Address:\s+127\.0\.0\.1:(\d+)\n", address)
        assert found, (address, gui.stderr.read() if gui.poll() is not None else "")
        port = int(found[1])
        assert re.fullmatch(r"Password: [A-Za-z0-9]{8}\n", password)
        password = password.split()[1]
        assert re.fullmatch(rb"RFB 003\.00\d\n", _wait_for_banner(port))
        assert _vnc_auth(port, password) is True
        assert _files_containing(vm.home, password) == []
        tunnel = _tunnel_pids(port)
        assert len(tunnel) == 1
        gui.send_signal(signal.SIGTERM)
        _, errors = gui.communicate(timeout=120)
    finally:
        if gui.poll() is None:
            gui.kill()
    assert gui.returncode == 0, errors
    assert "✓ Stop the desktop" in errors, errors
    assert _tunnel_pids(port) == []
    assert _port_is_free(port)
    assert vm.ssh(f"systemctl is-active {VNC_UNIT}").stdout == "inactive\n"
    assert _files_containing(vm.home, password) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for_banner(port: int, timeout: float = 20) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                return connection.recv(12)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _vnc_auth(port: int, password: str) -> bool:
    """RFB 3.8 VNC authentication: DES of the server's challenge, keyed with the password."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.recv(12)
        connection.sendall(b"RFB 003.008\n")
        count = connection.recv(1)[0]
        assert 2 in connection.recv(count)  # VncAuth offered
        connection.sendall(bytes([2]))
        challenge = _read(connection, 16)
        # VNC keys DES with each password byte's bits reversed.
        key = bytes(int(f"{b:08b}"[::-1], 2) for b in password.encode().ljust(8, b"\0")[:8])
        encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # noqa: S305 - RFB's cipher
        connection.sendall(encryptor.update(challenge) + encryptor.finalize())
        return _read(connection, 4) == b"\0\0\0\0"


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _tunnel_pids(port: int) -> list[int]:
    """ssh processes forwarding this local port."""
    spec = f"127.0.0.1:{port}:localhost:5901"
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ssh") and spec.encode() in argv:
            found.append(int(entry.name))
    return found


def _files_containing(root: Path, text: str) -> list[Path]:
    """Regular files under root (HOME, azlin's state and runner artifacts) holding text."""
    needle = text.encode()
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes()
    ]
