"""Test VMs: systemd-nspawn machines booted from the cached image through overlayfs.

Each VM lives in `state_dir/hosts/<name>/` (its overlay's upper layer is its disk) and in a
network namespace of the same name on the lab bridge; `<name>` is `azlab-h<host number>`
(`azlab-<instance>-h<n>` in a second lab), taken from the VM's address, so it is unique on the
machine and readable in `ip netns`.

The life cycle follows Azure's: create provisions and boots, power_off keeps the disk (and the
address), start boots the same disk again, delete removes everything. Readiness of sshd is the
caller's business, as with a real VM.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tests.lab.config import LabConfig
from tests.lab.hosts import disks, image_layers, network
from tests.lab.hosts.cgroups import in_cgroups, make_cgroups, remove_cgroups
from tests.lab.hosts.mounts import mounts_below, unmount_below
from tests.lab.hosts.provision import Provisioning, ensure_lab_layer, provision

log = logging.getLogger(__name__)

NSPAWN_PROPAGATE = Path("/run/systemd/nspawn/propagate")
INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")
INOTIFY_INSTANCES = 1024
VM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DPKG_LOCK_MARKER = "run/azlab-dpkg-lock-held"
# Held with fcntl record locks, the kind dpkg and apt take, so apt reports the lock as busy.
DPKG_LOCK_HOLDER = """\
import fcntl, pathlib, sys, time
held = [open(p, "a") for p in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")]
for f in held:
    fcntl.lockf(f, fcntl.LOCK_EX)
marker = pathlib.Path("/DPKG_LOCK_MARKER")
marker.touch()
time.sleep(float(sys.argv[1]))
marker.unlink()
""".replace("DPKG_LOCK_MARKER", DPKG_LOCK_MARKER)


@dataclass(frozen=True)
class VmRecord:
    """What the lab keeps about a VM in its folder, so any later process can manage it."""

    vm_id: str
    name: str
    address: str
    hostname: str
    admin_user: str
    # The captured image's layers (lowerdir syntax) the disk starts from; empty: the base image.
    image_layer: str = ""

    @property
    def link(self) -> network.VmLink:
        return network.VmLink(netns=self.name, address=ipaddress.IPv4Address(self.address))


def default_hostname(vm_id: str) -> str:
    """The VM name part of an ARM id (its last segment), made a valid host name."""
    last = vm_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return re.sub(r"[^a-z0-9-]", "-", last).strip("-")[:63] or "vm"


class TestHosts:
    """Creates, boots, stops and removes the lab's test VMs."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        config: LabConfig,
        image_root: Path,
        ca_cert_pem: bytes,
        hosts_entries: dict[str, str],
    ) -> None:
        self._config = config
        self._image_root = image_root
        self._ca_cert_pem = ca_cert_pem
        self._hosts_entries = dict(hosts_entries)
        self._root = config.state_dir / "hosts"
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._layer_lock = threading.Lock()

    # -- life cycle ---------------------------------------------------------------------------

    def create(
        self,
        vm_id: str,
        address: str,
        admin_user: str,
        authorized_keys: list[str],
        hostname: str | None = None,
        image_layer: str | None = None,
    ) -> None:
        """Provision a new VM's disk and boot it; returns once its systemd is up."""
        record = self._new_record(vm_id, address, admin_user, hostname)
        if image_layer is not None:
            record = replace(record, image_layer=image_layer)
        folder = self._folder(record)
        for layer in ("upper", "work", "merged"):
            (folder / layer).mkdir(parents=True)
        # Written whole and then renamed: VMs created in parallel read each other's records.
        (folder / ".vm.json").write_text(json.dumps(asdict(record), indent=2) + "\n")
        os.replace(folder / ".vm.json", folder / "vm.json")
        self._mount(record)
        request = Provisioning(
            hostname=record.hostname,
            admin_user=admin_user,
            authorized_keys=tuple(authorized_keys),
            hosts_entries=self._hosts_entries,
        )
        provision(folder / "merged", request)
        network.attach(self._config, record.link)
        self._boot(record)

    def start(self, vm_id: str) -> None:
        """Boot a powered-off VM from its kept disk, at its old address."""
        record = self._record(vm_id)
        if self.is_running(vm_id):
            return
        self._mount(record)
        network.attach(self._config, record.link)
        self._boot(record)
        disks.plug_all(self._folder(record), self._leader(record))

    def attach_disk(self, vm_id: str, lun: int, size_gb: int) -> None:
        """Give the running VM an empty data disk at lun, as /dev/disk/azure/scsi1/lunN."""
        record = self._record(vm_id)
        disks.attach(self._folder(record), self._leader(record), lun, size_gb)

    def power_off(self, vm_id: str) -> None:
        """Shut the VM down cleanly (as deallocation does) and keep its disk."""
        record = self._record(vm_id)
        self._stop(record)
        disks.detach_all(self._folder(record))
        unmount_below(self._folder(record))
        network.detach(record.link)

    def delete(self, vm_id: str) -> None:
        """Stop the VM and remove its disk, mounts and network namespace.

        A VM whose create failed (AllocationFailed) never had a machine; Azure deletes it all
        the same, so there is nothing to do here.
        """
        record = next((r for r in self._records() if r.vm_id == vm_id), None)
        if record is not None:
            self._delete(record)

    def delete_all(self) -> None:
        """Delete every VM in this lab's state folder, including a killed run's leftovers."""
        for record in self._records():
            self._delete(record)
        image_layers.delete_all(self._layers)

    def is_running(self, vm_id: str) -> bool:
        return self._nspawn_pid(self._record(vm_id)) is not None

    def vm_ids(self) -> list[str]:
        return [record.vm_id for record in self._records()]

    def link(self, vm_id: str) -> network.VmLink:
        """The VM's network pieces, for the fault hooks in the network module."""
        return self._record(vm_id).link

    # -- captured images -----------------------------------------------------------------------

    def capture(self, vm_id: str, image_id: str) -> None:
        """Keep a stopped VM's disk as the layer of an image (see image_layers)."""
        record = self._record(vm_id)
        if self.is_running(vm_id):
            raise RuntimeError(f"{vm_id} is running; stop it before capturing its disk")
        upper = self._folder(record) / "upper"
        image_layers.capture(upper, self._layers, image_id, record.image_layer)

    def image_layer(self, image_id: str) -> str:
        return image_layers.find(self._layers, image_id)

    def delete_image(self, image_id: str) -> None:
        image_layers.delete(self._layers, image_id)

    @property
    def _layers(self) -> Path:
        return self._config.state_dir / "layers"

    # -- out-of-band access (Run Command, fault injection) ------------------------------------

    def host_public_keys(self, vm_id: str) -> list[str]:
        """The VM's SSH host public keys, one OpenSSH line each (read from its disk)."""
        keys = sorted((self._folder(self._record(vm_id)) / "upper/etc/ssh").glob("*.pub"))
        return [" ".join(key.read_text().split()[:2]) for key in keys]

    def host_key_fingerprints(self, vm_id: str) -> dict[str, str]:
        """Key type to SHA256 fingerprint, as `ssh-keygen -l` prints it."""
        found = {}
        for line in self.host_public_keys(vm_id):
            key_type, blob = line.split()[:2]
            digest = hashlib.sha256(base64.b64decode(blob)).digest()
            found[key_type] = "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
        return found

    def run_in_vm(
        self, vm_id: str, argv: list[str], timeout: float = 120.0, stdin: bytes = b""
    ) -> tuple[int, str, str]:
        """Run argv as root inside the running VM, bypassing its network (like Run Command)."""
        leader = self._leader(self._record(vm_id))
        command = ["nsenter", f"--target={leader}", "--all", "--",
                   "/usr/bin/env", "-i", f"PATH={VM_PATH}", "HOME=/root", "LANG=C.UTF-8",
                   *argv]  # fmt: skip
        result = subprocess.run(
            command, check=False, input=stdin, capture_output=True, timeout=timeout
        )
        return result.returncode, result.stdout.decode(), result.stderr.decode()

    def stop_sshd(self, vm_id: str) -> None:
        """Fault: sshd stops answering while the VM keeps running."""
        rc, _, err = self.run_in_vm(vm_id, ["systemctl", "stop", "ssh.socket", "ssh.service"])
        if rc != 0:
            raise RuntimeError(f"could not stop sshd in {vm_id}: {err.strip()}")

    def hold_dpkg_lock(self, vm_id: str, seconds: float) -> None:
        """Fault: hold dpkg's locks for seconds, as a running unattended-upgrades would."""
        record = self._record(vm_id)
        argv = ["systemd-run", "--unit=azlab-hold-dpkg-lock", "--collect",
                "python3", "-c", DPKG_LOCK_HOLDER, str(seconds)]  # fmt: skip
        rc, _, err = self.run_in_vm(vm_id, argv)
        if rc != 0:
            raise RuntimeError(f"could not hold the dpkg lock in {vm_id}: {err.strip()}")
        marker = Path(f"/proc/{self._leader(record)}/root") / DPKG_LOCK_MARKER
        _wait_for(marker.exists, 10.0, "the dpkg lock holder to take the lock")

    # -- records and folders ------------------------------------------------------------------

    def _new_record(
        self, vm_id: str, address: str, admin_user: str, hostname: str | None
    ) -> VmRecord:
        ip = ipaddress.IPv4Address(address)
        index = int(ip) - int(self._config.subnet.network_address)
        name = f"{self._config.vm_prefix}h{index}"
        for other in self._records():
            if other.vm_id == vm_id or other.name == name:
                raise FileExistsError(f"{other.vm_id} already exists at {other.address}")
        return VmRecord(vm_id, name, str(ip), hostname or default_hostname(vm_id), admin_user)

    def _records(self) -> list[VmRecord]:
        if not self._root.is_dir():
            return []
        paths = sorted(self._root.glob("*/vm.json"))
        return [VmRecord(**json.loads(path.read_text())) for path in paths]

    def _record(self, vm_id: str) -> VmRecord:
        for record in self._records():
            if record.vm_id == vm_id:
                return record
        raise KeyError(f"no test VM {vm_id}")

    def _folder(self, record: VmRecord) -> Path:
        return self._root / record.name

    def _mount(self, record: VmRecord) -> None:
        folder = self._folder(record)
        if folder / "merged" in mounts_below(folder):
            return
        lower = f"{self._lab_layer()}:{self._image_root}"
        if record.image_layer:
            lower = f"{record.image_layer}:{lower}"
        options = f"lowerdir={lower},upperdir={folder / 'upper'},workdir={folder / 'work'}"
        subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o", options, str(folder / "merged")],
            check=True,
            capture_output=True,
        )

    def _lab_layer(self) -> Path:
        with self._layer_lock:  # VMs may be created from several threads at once
            return ensure_lab_layer(
                self._image_root,
                self._ca_cert_pem,
                self._config.apt_proxy_url,
                self._config.state_dir / "layers",
            )

    def _delete(self, record: VmRecord) -> None:
        self._stop(record)
        folder = self._folder(record)
        disks.detach_all(folder)
        unmount_below(folder)
        network.detach(record.link)
        shutil.rmtree(folder)
        log.info("deleted test VM %s", record.vm_id)

    # -- the nspawn process -------------------------------------------------------------------

    def _boot(self, record: VmRecord, timeout: float = 60.0) -> None:
        folder = self._folder(record)
        _remove_stale_propagation(record.name)
        _ensure_inotify_instances()
        cgroups = make_cgroups(record.name)
        argv = ["systemd-nspawn", "--boot", "--register=no", "--keep-unit",
                f"--network-namespace-path={record.link.netns_path}",
                f"--directory={folder / 'merged'}", f"--machine={record.name}",
                f"--hostname={record.hostname}", "--resolv-conf=off", "--timezone=off",
                "--link-journal=no", "--console=read-only"]  # fmt: skip
        with (folder / "console.log").open("ab") as console:
            process = subprocess.Popen(
                in_cgroups(cgroups, argv),
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for the tests must not reach the VMs
            )  # fmt: skip
        self._processes[record.name] = process
        (folder / "nspawn.pid").write_text(f"{process.pid}\n")
        started = time.monotonic()
        self._wait_systemd(record, process, timeout)
        log.info("booted %s in %.2f s", record.vm_id, time.monotonic() - started)

    def _wait_systemd(
        self, record: VmRecord, process: subprocess.Popen[bytes], timeout: float
    ) -> None:
        """Wait for the VM's PID 1 to open its control socket: systemd is up and booting."""

        def systemd_up() -> bool:
            if process.poll() is not None:
                log_path = self._folder(record) / "console.log"
                last = log_path.read_text(errors="replace").strip().splitlines()[-6:]
                why = " | ".join(last)
                raise RuntimeError(f"{record.vm_id} did not boot ({why}); see {log_path}")
            leader = _leader_of(process.pid)
            return leader is not None and Path(f"/proc/{leader}/root/run/systemd/private").exists()

        _wait_for(systemd_up, timeout, f"systemd in {record.vm_id}")

    def _nspawn_pid(self, record: VmRecord) -> int | None:
        """The VM's running nspawn process, ours or one a killed run left behind."""
        process = self._processes.get(record.name)
        if process is not None and process.poll() is None:
            return process.pid
        pid_file = self._folder(record) / "nspawn.pid"
        if not pid_file.exists():
            return None
        pid = int(pid_file.read_text())
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return None
        # The pid may have been reused since: only trust it if it is still this VM's nspawn.
        return pid if f"--machine={record.name}".encode() in cmdline else None

    def _leader(self, record: VmRecord) -> int:
        pid = self._nspawn_pid(record)
        leader = _leader_of(pid) if pid is not None else None
        if leader is None:
            raise RuntimeError(f"test VM {record.vm_id} is not running")
        return leader

    def _stop(self, record: VmRecord, timeout: float = 30.0) -> None:
        """SIGTERM makes nspawn ask the VM's systemd for a clean shutdown; kill if it hangs."""
        pid = self._nspawn_pid(record)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            if not _wait_exit(self._processes.get(record.name), pid, timeout):
                log.warning("%s did not shut down in %.0f s; killing it", record.vm_id, timeout)
                os.kill(pid, signal.SIGKILL)
                _wait_exit(self._processes.get(record.name), pid, 10.0)
        self._processes.pop(record.name, None)
        (self._folder(record) / "nspawn.pid").unlink(missing_ok=True)
        remove_cgroups(record.name)


def _ensure_inotify_instances() -> None:
    """Raise the host's inotify instance limit to what a dozen VMs' systemds need.

    Each VM's systemd, journald, logind and dbus take inotify instances from root's shared
    limit (128 by default); past it a booting systemd dies with "Failed to allocate manager
    object".
    """
    if int(INOTIFY_LIMIT.read_text()) < INOTIFY_INSTANCES:
        INOTIFY_LIMIT.write_text(f"{INOTIFY_INSTANCES}\n")


def _remove_stale_propagation(machine: str) -> None:
    """Remove what an earlier nspawn of this name left in /run and would make this one fail.

    nspawn refuses to boot when its propagation folder is left over and /run is not a tmpfs
    (as on this host): "Attempted to remove disk file system under ...".
    """
    stale = NSPAWN_PROPAGATE / machine
    if stale.exists():
        unmount_below(stale)
        shutil.rmtree(stale)


def _leader_of(nspawn_pid: int) -> int | None:
    """The VM's PID 1 as the host sees it: nspawn's child that is PID 1 in its own namespace."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields.get("PPid") == str(nspawn_pid) and fields.get("NSpid", "").split()[-1:] == ["1"]:
            return int(status.parent.name)
    return None


def _wait_exit(process: subprocess.Popen[bytes] | None, pid: int, timeout: float) -> bool:
    if process is not None:  # our child: wait() also reaps it
        try:
            process.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    return _wait_for_quiet(lambda: _gone(pid), timeout)


def _gone(pid: int) -> bool:
    """Whether pid has exited; a zombie has (its parent, maybe not us, has yet to reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return "\nState:\tZ" in status


def _wait_for_quiet(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    if not _wait_for_quiet(condition, timeout):
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
