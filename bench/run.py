"""`make bench`: where the time of a provision goes, and azlin beside the plain tools.

Every figure is a median of several runs or a ratio within this one run; machines here are
noisy, so compare figures only with others printed by the same run. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.lab.client import LabClient, start_lab  # noqa: E402
from tests.lab.config import LabConfig  # noqa: E402

PYTHON = sys.executable
AZLIN = [PYTHON, "-m", "azlin"]
REPO_URL = "https://github.com/azlin-lab/hello"
# The lab has no public-address echo service: the caller is the bridge address.
ALLOW_FROM = f"{LabConfig().bridge_address}/32"

# Published Azure timings (shared/azure-timings.md), applied by the emulator to each operation:
# a VM allocates and starts in under a minute; the network resources take seconds each.
AZURE_LIKE_LATENCY = {
    ("PUT", "Microsoft.Compute/virtualMachines"): 55.0,
    ("PUT", "Microsoft.Network/networkInterfaces"): 3.0,
    ("PUT", "Microsoft.Network/publicIPAddresses"): 3.0,
    ("PUT", "Microsoft.Network/networkSecurityGroups"): 3.0,
    ("PUT", "Microsoft.Network/virtualNetworks"): 3.0,
    ("PUT", "Microsoft.Network/virtualNetworks/subnets"): 2.0,
}
STEP_LINE = re.compile(r"^[✓✗⚠] (.+?) \((\d+\.\d)s\)", re.M)


def median_seconds(argv: Sequence[str], env: dict[str, str], runs: int) -> float:
    """A failed run would time the failure, not the work: it stops the benchmark instead."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return statistics.median(times)


def row(label: str, value: str) -> None:
    print(f"  {label:<52} {value}", flush=True)


def compare(label: str, ours: float, theirs: float, their_label: str) -> None:
    row(label, f"{ours:7.3f} s   {their_label} {theirs:7.3f} s   ratio {ours / theirs:5.2f}")


class Bench:
    def __init__(self, lab: LabClient, runs: int) -> None:
        self.lab = lab
        self.runs = runs
        self.home = Path(tempfile.mkdtemp(prefix="azlin-bench-"))
        self.group = f"bench-{secrets.token_hex(3)}"
        self.env = {
            **os.environ,
            **lab.env,
            "HOME": str(self.home),
            "XDG_STATE_HOME": str(self.home / ".local/state"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
        }

    def azlin(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*AZLIN, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )

    def provision(self, name: str) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.perf_counter()
        result = self.azlin(
            "-v",
            "provision",
            "--name",
            name,
            "-g",
            self.group,
            "--repo",
            REPO_URL,
            "--no-attach",
            "--allow-from",
            ALLOW_FROM,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"provision {name} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return elapsed, result

    def address(self, result: subprocess.CompletedProcess[str]) -> str:
        found = re.search(r"^IP address:\s+(\S+)$", result.stdout, re.M)
        assert found, result.stdout
        return found[1]

    def cleanup(self) -> None:
        self.lab.arm("DELETE", f"/resourcegroups/{self.group}?api-version=2022-09-01")
        shutil.rmtree(self.home, ignore_errors=True)


def set_latency(lab: LabClient, profile: dict[tuple[str, str], float]) -> None:
    import requests

    for (method, kind), seconds in profile.items():
        requests.post(
            f"{lab.control_url}/latency",
            json={"method": method, "type": kind, "seconds": seconds},
            verify=str(lab.config.ca_bundle),
            timeout=30,
            proxies={"https": ""},
        ).raise_for_status()


def provision_phases(bench: Bench, title: str, name: str) -> str:
    print(f"\n{title}")
    seq = bench.lab.last_request_seq()
    elapsed, result = bench.provision(name)
    arm = [e for e in bench.lab.requests_since(seq) if e["host"] == "management.azure.com"]
    for step, seconds in STEP_LINE.findall(result.stderr):
        row(step, f"{float(seconds):7.1f} s")
    waited = re.search(r"SSH answered after (\d+\.\d)s", result.stderr)
    if waited:
        row("  of which waiting for SSH", f"{float(waited[1]):7.1f} s")
    row("whole provision (wall)", f"{elapsed:7.1f} s")
    row(
        "ARM requests (count / summed server time)",
        f"{len(arm):4d} / {sum(e['duration_ms'] for e in arm) / 1000:6.1f} s",
    )
    return bench.address(result)


def startup_section(bench: Bench) -> None:
    print("\nStart-up")
    baseline = median_seconds([PYTHON, "-c", "pass"], bench.env, bench.runs)
    compare(
        "azlin --help",
        median_seconds([*AZLIN, "--help"], bench.env, bench.runs),
        baseline,
        "python -c pass",
    )
    compare(
        "azlin list",
        median_seconds([*AZLIN, "list"], bench.env, bench.runs),
        baseline,
        "python -c pass",
    )


def connect_section(bench: Bench, name: str, address: str) -> None:
    print("\nConnect")
    key = bench.home / ".ssh" / "azlin_key"
    plain = [
        "ssh",
        "-i",
        str(key),
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        f"azureuser@{address}",
        "true",
    ]
    compare(
        "azlin connect NAME -- true",
        median_seconds([*AZLIN, "connect", name, "--", "true"], bench.env, bench.runs),
        median_seconds(plain, bench.env, bench.runs),
        "ssh",
    )


def repair_section(bench: Bench, name: str) -> None:
    print("\nNo-change repair (configure.yml)")
    runs = max(3, bench.runs // 2)
    tuned = median_seconds([*AZLIN, "repair", name], bench.env, runs)
    # Ansible's own defaults: an empty config file instead of the project's ansible.cfg.
    defaults = bench.home / "ansible-defaults.cfg"
    defaults.write_text("[defaults]\n", encoding="utf-8")
    inventory = bench.home / ".local/state/azlin/runs" / name / "inventory.json"
    untuned_env = {
        **bench.env,
        "ANSIBLE_CONFIG": str(defaults),
        "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
    }
    playbook = [
        str(Path(PYTHON).parent / "ansible-playbook"),
        "-i",
        str(inventory),
        str(REPO / "playbooks/configure.yml"),
    ]
    untuned = median_seconds(playbook, untuned_env, runs)
    compare("azlin repair NAME", tuned, untuned, "untuned ansible-playbook")


def fleet_section(bench: Bench, counts: Sequence[int]) -> None:
    print("\nSeveral VMs at once (separate provisions in parallel)")
    single = 0.0
    for count in counts:
        names = [f"fleet{count}-{i}-{secrets.token_hex(2)}" for i in range(count)]
        started = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(bench.provision, names))
        elapsed = time.perf_counter() - started
        single = single or elapsed
        row(f"{count} VM(s)", f"{elapsed:7.1f} s   ratio to 1 VM {elapsed / single:5.2f}")


def run(args: argparse.Namespace) -> None:
    lab, started_here = start_lab(LabConfig())
    bench = Bench(lab, args.runs)
    try:
        print(
            f"azlin benchmark — medians of {args.runs} runs where repeated; one lab, this machine"
        )
        address = provision_phases(bench, "Provision, zero ARM latency", "bench-zero")
        startup_section(bench)
        connect_section(bench, "bench-zero", address)
        repair_section(bench, "bench-zero")
        set_latency(lab, AZURE_LIKE_LATENCY)
        try:
            provision_phases(bench, "Provision, Azure-like ARM latency", "bench-azure")
        finally:
            set_latency(lab, dict.fromkeys(AZURE_LIKE_LATENCY, 0.0))
        if args.fleet:
            fleet_section(bench, args.fleet)
    finally:
        bench.cleanup()
        if started_here:
            subprocess.run([PYTHON, "-m", "tests.lab", "down"], cwd=REPO, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="repetitions of the quick timings")
    parser.add_argument(
        "--fleet",
        type=int,
        nargs="*",
        default=[1, 4, 8],
        help="VM counts provisioned at once (none to skip)",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
