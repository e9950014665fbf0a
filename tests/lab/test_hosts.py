"""The lab's test VMs, for real: booted systemd, sshd, sudo, tmux, apt through squid, faults.

Needs root (namespaces, mounts, nspawn). Addresses .200-.250 keep out of the emulator's way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import trustme

from tests.lab.config import LabConfig
from tests.lab.hosts import network
from tests.lab.hosts.apt_proxy import AptProxy
from tests.lab.hosts.image import ensure_image, image_dir
from tests.lab.hosts.machine import TestHosts
from tests.lab.hosts.provision import APT_PROXY_FILE

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="test VMs need root")

ADMIN = "azureuser"
# Fetch through the proxy a name squid must refuse without looking it up (.invalid never resolves).
FETCH = 'import urllib.request as u; u.urlopen("http://example.invalid/", timeout=10)'
HOSTS_ENTRIES = {"github.com": "10.231.0.1", "api.github.com": "10.231.0.1"}


@pytest.fixture(scope="session")
def lab_config() -> Iterator[LabConfig]:
    # Not under pytest's tmp folder: squid runs as "proxy" and must reach its state folder.
    state = Path(tempfile.mkdtemp(prefix="azlin-lab-test-", dir="/var/tmp"))
    state.chmod(0o755)
    yield LabConfig(state_dir=state)
    subprocess.run(["rm", "-rf", "--one-file-system", str(state)], check=True)


@pytest.fixture(scope="session")
def bridge(lab_config: LabConfig) -> Iterator[None]:
    was_up = network.bridge_exists(lab_config)  # a running lab's bridge is left as it was
    network.bridge_up(lab_config)
    yield
    if not was_up:
        network.bridge_down(lab_config)


@pytest.fixture(scope="session")
def apt_proxy(lab_config: LabConfig, bridge: None) -> Iterator[AptProxy]:
    if _listening(str(lab_config.bridge_address), lab_config.apt_proxy_port):
        # A running lab's squid holds the port: use it (and read its log) rather than fight it.
        yield AptProxy(LabConfig())
        return
    proxy = AptProxy(lab_config)
    proxy.start()
    yield proxy
    proxy.stop()


def _listening(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def hosts(lab_config: LabConfig, bridge: None) -> Iterator[TestHosts]:
    ca = trustme.CA(organization_name="azlin lab test")
    machines = TestHosts(lab_config, ensure_image(lab_config), ca.cert_pem.bytes(), HOSTS_ENTRIES)
    yield machines
    machines.delete_all()


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def ssh(key: Path, address: str, command: str, *options: str) -> subprocess.CompletedProcess[str]:
    argv = ["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=3", "-o", "LogLevel=ERROR", *options,
            f"{ADMIN}@{address}", command]  # fmt: skip
    return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=300)


def wait_ssh(key: Path, address: str, timeout: float = 30.0) -> float:
    """Seconds until sshd lets the admin user in."""
    started = time.monotonic()
    error = ""
    while time.monotonic() - started < timeout:
        result = ssh(key, address, "true")
        if result.returncode == 0:
            return time.monotonic() - started
        error = result.stderr.strip()
        time.sleep(0.1)
    raise TimeoutError(f"no SSH on {address} after {timeout} s: {error}")


def create(hosts: TestHosts, key: Path, vm_id: str, address: str) -> None:
    hosts.create(vm_id, address, ADMIN, [key.with_suffix(".pub").read_text()])


def port_open(address: str, port: int = 22) -> bool:
    try:
        socket.create_connection((address, port), timeout=1).close()
        return True
    except OSError:
        return False


def port_opens(address: str, timeout: float = 10.0) -> bool:
    """Whether the port answers within timeout (a restored link takes a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(address):
            return True
        time.sleep(0.1)
    return False


def test_image_is_cached_by_recipe(lab_config: LabConfig) -> None:
    root = ensure_image(lab_config)
    assert root == image_dir(lab_config) / "rootfs"
    # Every lab boots the same image: its own apt proxy is in its own layer.
    assert image_dir(LabConfig(apt_proxy_port=3129, bridge="azlab9")) == image_dir(lab_config)
    assert (root / "etc/machine-id").read_text() == ""
    assert not list((root / "etc/ssh").glob("ssh_host_*"))
    assert not (root / APT_PROXY_FILE).exists()


def test_each_lab_layer_points_apt_at_its_own_proxy(hosts: TestHosts, ssh_key: Path) -> None:
    create(hosts, ssh_key, "layer-vm", "10.231.0.209")
    rc, out, _ = hosts.run_in_vm("layer-vm", ["cat", f"/{APT_PROXY_FILE}"])
    assert (rc, out) == (0, 'Acquire::http::Proxy "http://10.231.0.1:3128";\n')
    hosts.delete("layer-vm")


def test_vm_is_provisioned_like_azure(hosts: TestHosts, ssh_key: Path) -> None:
    started = time.monotonic()
    vm_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/dev-box"
    create(hosts, ssh_key, vm_id, "10.231.0.200")
    created = time.monotonic() - started
    answering = wait_ssh(ssh_key, "10.231.0.200")
    print(f"create {created:.2f} s, then sshd answered after {answering:.2f} s")
    assert created < 10

    result = ssh(ssh_key, "10.231.0.200", "sudo -n id -un && hostname && id -Gn")
    assert result.stdout.split("\n")[:2] == ["root", "dev-box"]
    assert "sudo" in result.stdout.split("\n")[2].split()
    assert (
        "10.231.0.1 api.github.com github.com"
        in ssh(ssh_key, "10.231.0.200", "cat /etc/hosts").stdout.splitlines()
    )
    assert (
        "BEGIN CERTIFICATE"
        in ssh(ssh_key, "10.231.0.200", "cat /etc/ssl/certs/azlin-lab-ca.pem").stdout
    )
    rc, out, _ = hosts.run_in_vm(vm_id, ["sshd", "-T"])
    assert rc == 0 and "passwordauthentication no" in out.splitlines()
    refused = ssh(ssh_key, "10.231.0.200", "true", "-o", "PreferredAuthentications=password")
    assert refused.returncode == 255 and "Permission denied" in refused.stderr


def test_tmux_over_ssh_with_a_terminal(hosts: TestHosts, ssh_key: Path) -> None:
    create(hosts, ssh_key, "tmux-vm", "10.231.0.201")
    wait_ssh(ssh_key, "10.231.0.201")
    result = ssh(ssh_key, "10.231.0.201", "tmux new -d -s x && tmux ls", "-tt")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("x: 1 windows")


def test_apt_goes_through_the_caching_proxy(
    hosts: TestHosts, ssh_key: Path, apt_proxy: AptProxy
) -> None:
    for vm_id, address in (("apt-a", "10.231.0.202"), ("apt-b", "10.231.0.203")):
        create(hosts, ssh_key, vm_id, address)
        wait_ssh(ssh_key, address)
        update = ssh(ssh_key, address, "sudo -n apt-get update")
        assert update.returncode == 0, update.stdout + update.stderr
        fetch = ssh(ssh_key, address, "cd /tmp && apt-get download hello && ls hello_*.deb")
        assert fetch.returncode == 0, fetch.stderr
    refused = ssh(ssh_key, "10.231.0.203", f"http_proxy={apt_proxy.url} python3 -c '{FETCH}'")
    assert "HTTP Error 403" in refused.stderr  # only Debian's archive gets through
    deb_fetches = [e for e in apt_proxy.entries() if e.url.endswith(".deb") and "/hello" in e.url]
    assert [e.client for e in deb_fetches][-2:] == ["10.231.0.202", "10.231.0.203"]
    assert deb_fetches[-1].is_hit, deb_fetches


def test_power_off_keeps_the_disk(hosts: TestHosts, ssh_key: Path) -> None:
    create(hosts, ssh_key, "restart-vm", "10.231.0.204")
    wait_ssh(ssh_key, "10.231.0.204")
    keys_before = hosts.host_key_fingerprints("restart-vm")
    assert ssh(ssh_key, "10.231.0.204", "echo kept > ~/note && sync").returncode == 0

    hosts.power_off("restart-vm")
    assert not hosts.is_running("restart-vm")
    assert not port_open("10.231.0.204")
    hosts.start("restart-vm")
    wait_ssh(ssh_key, "10.231.0.204")

    assert ssh(ssh_key, "10.231.0.204", "cat ~/note").stdout == "kept\n"
    assert hosts.host_key_fingerprints("restart-vm") == keys_before


def test_host_keys_match_what_sshd_presents(hosts: TestHosts, ssh_key: Path) -> None:
    create(hosts, ssh_key, "keys-vm", "10.231.0.205")
    wait_ssh(ssh_key, "10.231.0.205")
    scanned = subprocess.run(
        ["ssh-keyscan", "-t", "ed25519", "10.231.0.205"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert " ".join(scanned[1:3]) in hosts.host_public_keys("keys-vm")


def test_fault_hooks(hosts: TestHosts, ssh_key: Path) -> None:
    create(hosts, ssh_key, "fault-vm", "10.231.0.206")
    wait_ssh(ssh_key, "10.231.0.206")
    link = hosts.link("fault-vm")

    network.set_link(link, up=False)
    assert not port_open("10.231.0.206")
    network.set_link(link, up=True)
    assert port_opens("10.231.0.206")

    network.set_loss(link, 100)
    assert not port_open("10.231.0.206")
    network.clear_faults(link)
    assert port_opens("10.231.0.206")

    network.set_rate_limit(link, 256)
    qdisc = subprocess.run(["tc", "qdisc", "show", "dev", link.host_veth], check=True,
                           capture_output=True, text=True).stdout  # fmt: skip
    assert "tbf" in qdisc and "256Kbit" in qdisc
    assert port_opens("10.231.0.206")
    network.clear_faults(link)

    hosts.hold_dpkg_lock("fault-vm", 30)
    install = ssh(ssh_key, "10.231.0.206", "sudo -n apt-get install -y hello")
    assert install.returncode == 100 and "Could not get lock" in install.stderr

    hosts.stop_sshd("fault-vm")
    assert not port_open("10.231.0.206")
    assert hosts.is_running("fault-vm")


def test_delete_leaves_nothing(hosts: TestHosts, ssh_key: Path, lab_config: LabConfig) -> None:
    create(hosts, ssh_key, "gone-vm", "10.231.0.207")
    hosts.delete("gone-vm")
    assert "gone-vm" not in hosts.vm_ids()
    assert "azlab-h207" not in network.lab_namespaces()
    assert not (lab_config.state_dir / "hosts" / "azlab-h207").exists()
    assert "azlab-h207" not in Path("/proc/self/mountinfo").read_text()
    assert subprocess.run(["pgrep", "-f", "machine=azlab-h207"], check=False).returncode == 1


def test_a_new_instance_cleans_up_a_dead_ones_vms(
    hosts: TestHosts, ssh_key: Path, lab_config: LabConfig
) -> None:
    create(hosts, ssh_key, "orphan-vm", "10.231.0.208")
    # What the emulator sees after a crash: only the state folder tells what runs.
    successor = TestHosts(lab_config, ensure_image(lab_config), b"", HOSTS_ENTRIES)
    assert successor.is_running("orphan-vm")
    successor.delete("orphan-vm")
    assert "orphan-vm" not in hosts.vm_ids()
    assert "azlab-h208" not in network.lab_namespaces()
    assert subprocess.run(["pgrep", "-f", "machine=azlab-h208"], check=False).returncode == 1


def test_eight_vms_at_once(hosts: TestHosts, ssh_key: Path, lab_config: LabConfig) -> None:
    addresses = [f"10.231.0.{n}" for n in range(210, 218)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda a: create(hosts, ssh_key, f"many-{a}", a), addresses))
    for address in addresses:
        wait_ssh(ssh_key, address, timeout=60)
    print(f"8 VMs created and answering SSH in {time.monotonic() - started:.1f} s")

    count = len(hosts.vm_ids())
    started = time.monotonic()
    hosts.delete_all()
    print(f"delete_all of {count} VMs in {time.monotonic() - started:.1f} s")
    assert hosts.vm_ids() == []
    # Only this test's names: other tests on the machine may have VMs of their own.
    made = {f"azlab-h{a.rsplit('.', 1)[1]}" for a in addresses}
    assert made.isdisjoint(network.lab_namespaces())
    assert str(lab_config.state_dir) not in Path("/proc/self/mountinfo").read_text()
