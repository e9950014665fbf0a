"""One provision through ARM faults, scanned for secrets while it runs, then its host keys,
exposure and local files checked, then a swapped host key refused. One VM for all of it."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.lab.client import LabClient

PRIVATE_REPO = "https://github.com/azlin-lab/private-hello"
# Every resource type azlin's create writes, as the lab's faults name them.
CREATED_TYPES = (
    "Microsoft.Resources/resourceGroups",
    "Microsoft.Network/virtualNetworks",
    "Microsoft.Network/virtualNetworks/subnets",
    "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Compute/virtualMachines",
)
TRANSIENT = ("429", "500", "503")
SEEDED_ARTIFACTS = 12
VM_SAMPLER = (
    "for i in $(seq 3000); do sudo sh -c 'cat /proc/[0-9]*/cmdline' 2>/dev/null | tr '\\0' ' ';"
    " echo; sleep 0.2; done"
)


@dataclass
class Scan:
    """Secrets looked for, and where they were found."""

    needles: tuple[str, ...]
    places: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)

    def look(self, place: str, text: str) -> None:
        self.places.add(place)
        self.hits.extend(f"{place}: {needle[:6]}…" for needle in self.needles if needle in text)


@dataclass
class Provisioned:
    name: str
    group: str
    home: Path
    env: dict[str, str]
    result: subprocess.CompletedProcess[str]
    address: str
    scan: Scan
    first_seq: int
    host_samples: int
    vm_samples: int


def azlin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azlin", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=900,
    )


def on_vm(home: Path, address: str, command: str) -> subprocess.CompletedProcess[str]:
    """A look from outside azlin: plain ssh with azlin's key, trusting nothing it pinned."""
    return subprocess.run(
        ["ssh", "-i", str(home / ".ssh" / "azlin_key"), "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", f"azureuser@{address}", command],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False, timeout=120,
    )  # fmt: skip


def sample_host(scan: Scan, stop: threading.Event, counter: list[int]) -> None:
    """Every 0.2 s, every process's command line on this machine."""
    while not stop.is_set():
        for path in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                scan.look("host /proc/*/cmdline", path.read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
        counter[0] += 1
        stop.wait(0.2)


def sample_vm(scan: Scan, home: Path, stop: threading.Event, counter: list[int]) -> None:
    """Once the VM has an address, its processes' command lines every 0.2 s over ssh."""
    inventory = home / ".local/state/azlin/runs"
    while not stop.is_set():
        found = list(inventory.glob("*/inventory.json"))
        if found:
            address = re.search(r'"ansible_host": "([^"]+)"', found[0].read_text())
            if address:
                sampler = subprocess.Popen(
                    ["ssh", "-i", str(home / ".ssh/azlin_key"), "-o", "BatchMode=yes",
                     "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                     "-o", "LogLevel=ERROR", f"azureuser@{address[1]}", VM_SAMPLER],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                    text=True,
                )  # fmt: skip
                assert sampler.stdout is not None
                for line in sampler.stdout:
                    scan.look("VM /proc/*/cmdline", line)
                    counter[0] += 1
                    if stop.is_set():
                        break
                sampler.kill()
                sampler.wait()
        stop.wait(1)


def seed_old_artifacts(home: Path, name: str) -> Path:
    artifacts = home / ".local/state/azlin/runs" / name / "artifacts"
    for folder in reversed(artifacts.relative_to(home).parents):
        (home / folder).mkdir(mode=0o700, exist_ok=True)
    artifacts.mkdir(mode=0o700)
    for index in range(SEEDED_ARTIFACTS):
        folder = artifacts / f"seeded-{index:02d}"
        folder.mkdir()
        os.utime(folder, (1_000_000 + index, 1_000_000 + index))
    return artifacts


@pytest.fixture(scope="module")
def provisioned(lab: LabClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provisioned]:
    home = tmp_path_factory.mktemp("faults") / "home"
    home.mkdir(mode=0o700)
    env = {
        **os.environ,
        **lab.env,
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    name = f"flt-{secrets.token_hex(3)}"
    group = f"{name}-rg"
    seed_old_artifacts(home, name)
    scan = Scan((lab.env["GH_TOKEN"], lab.env["AZURE_CLIENT_SECRET"]))
    first_seq = lab.last_request_seq()
    for resource_type in CREATED_TYPES:
        for kind in TRANSIENT:
            lab.add_fault(method="PUT", type=resource_type, kind=kind, count=1, retry_after=1)
    stop = threading.Event()
    host_count, vm_count = [0], [0]
    threads = [
        threading.Thread(target=sample_host, args=(scan, stop, host_count), daemon=True),
        threading.Thread(target=sample_vm, args=(scan, home, stop, vm_count), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        result = azlin(
            env, "-vvv", "provision", "--name", name, "-g", group, "--repo", PRIVATE_REPO,
            "--no-attach",
        )  # fmt: skip
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    address = re.search(r"^IP address:\s+(\S+)$", result.stdout, re.M)
    assert result.returncode == 0 and address, result.stderr[-3000:]
    yield Provisioned(
        name, group, home, env, result, address[1], scan, first_seq, host_count[0], vm_count[0]
    )
    azlin(env, "destroy", name, "-g", group, "-y")


def test_transient_arm_faults_on_every_created_type_are_survived(
    lab: LabClient, provisioned: Provisioned
) -> None:
    log = [e for e in lab.requests_since(provisioned.first_seq) if e["method"] == "PUT"]
    mine = [e for e in log if f"/resourcegroups/{provisioned.group}" in e["path"].lower()]
    survived: dict[str, list[int]] = {}
    for entry in mine:
        # `.../providers/NS/type/name[/subtype/name]` names the type NS/type[/subtype].
        segments = entry["path"].split("?")[0].split("/providers/")[-1].split("/")
        kind = (
            "Microsoft.Resources/resourceGroups"
            if "/providers/" not in entry["path"]
            else "/".join([segments[0], *segments[1::2]])
        )
        survived.setdefault(kind, []).append(entry["status"])
    # Each type saw its faults and then a success: the SDK retried, nothing gave up.
    assert sorted(survived) == sorted(CREATED_TYPES), survived
    for kind, statuses in survived.items():
        assert {429, 500, 503} & set(statuses), (kind, statuses)
        assert statuses[-1] in (200, 201, 202), (kind, statuses)
    faults = sum(1 for s in survived.values() for code in s if code in (429, 500, 503))
    print(f"faults injected {len(CREATED_TYPES) * len(TRANSIENT)}, hit this run {faults}")


def test_no_secret_anywhere_during_or_after(lab: LabClient, provisioned: Provisioned) -> None:
    scan, home = provisioned.scan, provisioned.home
    scan.look("azlin stdout -vvv", provisioned.result.stdout)
    scan.look("azlin stderr -vvv", provisioned.result.stderr)
    for path in home.rglob("*"):
        if path.is_file():
            scan.look(
                f"HOME file {path.relative_to(home).parts[:4]}", path.read_text(errors="replace")
            )
    remote = on_vm(
        home,
        provisioned.address,
        "sudo sh -c 'cat /root/.*history /home/*/.*history 2>/dev/null; "
        "cat /home/azureuser/private-hello/.git/config'",
    )
    assert '[remote "origin"]' in remote.stdout, remote.stderr
    scan.look("VM shell history and .git/config", remote.stdout)
    assert provisioned.host_samples > 10 and provisioned.vm_samples > 10
    print(f"places scanned {len(scan.places)}; hits {len(scan.hits)}")
    assert scan.hits == []


def test_local_state_is_private_and_artifacts_rotate(provisioned: Provisioned) -> None:
    state = provisioned.home / ".local/state/azlin"
    runs = state / "runs" / provisioned.name
    for folder in (state, state / "runs", runs, provisioned.home / ".ssh"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert (provisioned.home / ".ssh/azlin_key").stat().st_mode & 0o777 == 0o600
    assert not list(runs.glob("env/*")), "runner env files are suppressed"
    artifacts = sorted(p.name for p in (runs / "artifacts").iterdir())
    assert len(artifacts) == 10
    assert sum(name.startswith("seeded-") for name in artifacts) == 10 - 3  # three runs


def test_ssh_only_from_the_allowed_source_and_no_passwords(
    lab: LabClient, provisioned: Provisioned
) -> None:
    nsg = lab.arm(
        "GET",
        f"/resourceGroups/{provisioned.group}/providers/Microsoft.Network/networkSecurityGroups/"
        f"{provisioned.name}-nsg?api-version=2024-05-01",
    )
    rules = nsg["properties"]["securityRules"]
    assert [r["properties"]["sourceAddressPrefix"] for r in rules] == [lab.env["AZLIN_ALLOW_FROM"]]
    sshd = on_vm(provisioned.home, provisioned.address, "sudo sshd -T")
    assert "passwordauthentication no" in sshd.stdout, sshd.stderr
    assert "kbdinteractiveauthentication no" in sshd.stdout


def test_host_keys_are_pinned_from_run_command_and_a_swap_is_refused(
    lab: LabClient, provisioned: Provisioned
) -> None:
    known = provisioned.home / ".local/state/azlin/known_hosts"
    pinned = known.read_text().splitlines()
    assert pinned and all(line.startswith(f"{provisioned.address} ") for line in pinned)
    served = on_vm(provisioned.home, provisioned.address, "cat /etc/ssh/ssh_host_*_key.pub")
    assert sorted(" ".join(k.split()[:2]) for k in served.stdout.splitlines()) == sorted(
        line.split(" ", 1)[1] for line in pinned
    )
    assert (
        "accept-new"
        not in (provisioned.home / ".local/state/azlin/runs")
        .joinpath(provisioned.name, "inventory.json")
        .read_text()
    )
    assert azlin(provisioned.env, "connect", provisioned.name, "--", "true").returncode == 0

    swap_host_keys(lab, provisioned)
    refused = azlin(provisioned.env, "connect", provisioned.name, "--", "true")
    assert refused.returncode == 5, refused.stderr
    assert "host key mismatch" in refused.stderr
    assert f"Refusing {provisioned.address}" in refused.stderr

    destroyed = azlin(provisioned.env, "destroy", provisioned.name, "-g", provisioned.group, "-y")
    assert destroyed.returncode == 0, destroyed.stderr
    assert provisioned.address not in known.read_text()


def swap_host_keys(lab: LabClient, provisioned: Provisioned) -> None:
    """New host keys made inside the VM, out of band, as a rebuilt machine would have."""
    body: dict[str, Any] = {
        "commandId": "RunShellScript",
        "script": [
            "rm -f /etc/ssh/ssh_host_*",
            "ssh-keygen -A",
            "systemctl restart ssh",
        ],
    }
    lab.arm(
        "POST",
        f"/resourceGroups/{provisioned.group}/providers/Microsoft.Compute/virtualMachines/"
        f"{provisioned.name}/runCommand?api-version=2024-07-01",
        body,
    )
    before = keyscan(provisioned.address)
    deadline = time.monotonic() + 60
    while keyscan(provisioned.address) in (before, "") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert keyscan(provisioned.address) not in (before, "")


def keyscan(address: str) -> str:
    return subprocess.run(
        ["ssh-keyscan", "-t", "ed25519", address],
        capture_output=True, text=True, check=False, timeout=30,
    ).stdout  # fmt: skip
