"""`make bench`: where the time of a provision goes, and azlin beside the plain tools.

Every figure is a median of several runs or a ratio within this one run; machines here are
noisy, so compare figures only with others printed by the same run. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import compileall
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.artifacts import RunTimes, runs_of  # noqa: E402
from bench.interactive import attach_seconds  # noqa: E402
from tests.lab.client import LabClient, start_lab  # noqa: E402
from tests.lab.config import LabConfig  # noqa: E402
from tests.tool_sets import SMALL_TOOL_SET  # noqa: E402

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
AAD_HOST = "login.microsoftonline.com"
ARM_HOST = "management.azure.com"


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


def compare(label: str, ours: float, theirs: float, their_label: str) -> float:
    row(label, f"{ours:7.3f} s   {their_label} {theirs:7.3f} s   ratio {ours / theirs:5.2f}")
    return ours / theirs


class Bench:
    def __init__(self, lab: LabClient, runs: int) -> None:
        self.lab = lab
        self.runs = runs
        self.home = Path(tempfile.mkdtemp(prefix="azlin-bench-"))
        self.group = f"bench-{secrets.token_hex(3)}"
        # The benchmark's own gallery, so its cleanup deletes no one else's images.
        self.gallery = ("--gallery-resource-group", f"{self.group}-images")
        self.targets: list[tuple[str, str, bool]] = []
        self.env = {
            **os.environ,
            **lab.env,
            "HOME": str(self.home),
            "XDG_STATE_HOME": str(self.home / ".local/state"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
        }

    @property
    def state(self) -> Path:
        return self.home / ".local/state/azlin"

    def target(self, label: str, figure: str, met: bool) -> None:
        self.targets.append((label, figure, met))

    def azlin(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*AZLIN, *args],
            env=env or self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )

    def provision(
        self, name: str, *extra: str, env: dict[str, str] | None = None
    ) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.perf_counter()
        result = self.azlin(
            "-v", "provision", "--name", name, "-g", self.group, "--repo", REPO_URL,
            "--no-attach", "--allow-from", ALLOW_FROM, *extra, env=env,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"provision {name} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return elapsed, result

    def address(self, result: subprocess.CompletedProcess[str]) -> str:
        found = re.search(r"^IP address:\s+(\S+)$", result.stdout, re.M)
        assert found, result.stdout
        return found[1]

    def cleanup(self) -> None:
        for group in (self.group, self.gallery[1]):
            self.lab.arm("DELETE", f"/resourcegroups/{group}?api-version=2022-09-01")
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


def provision_phases(bench: Bench, title: str, name: str, *extra: str) -> tuple[str, float, float]:
    """Returns the VM's address, azlin's own time (wall minus downloads and SSH wait) and the
    whole provision's wall time."""
    print(f"\n{title}")
    seq = bench.lab.last_request_seq()
    started = time.time()
    elapsed, result = bench.provision(name, *extra)
    log = bench.lab.requests_since(seq)
    arm = [e for e in log if e["host"] == ARM_HOST and f"/{bench.group}/" in e["path"].lower()]
    phase_rows(result.stderr, started, arm)
    waited = re.search(r"SSH answered after (\d+\.\d)s", result.stderr)
    ssh_wait = float(waited[1]) if waited else 0.0
    row("  of which waiting for SSH", f"{ssh_wait:7.1f} s")
    row("whole provision (wall)", f"{elapsed:7.1f} s")
    row(
        "ARM requests of the VM's group (count / server time)",
        f"{len(arm):4d} / {sum(e['duration_ms'] for e in arm) / 1000:6.1f} s",
    )
    row(
        "AAD token requests (whole lab, other clients too)",
        f"{sum(e['host'] == AAD_HOST for e in log):4d}",
    )
    runs = runs_of(bench.state, name)
    role_rows(runs)
    downloads = sum(run.downloads for run in runs)
    own = elapsed - downloads - ssh_wait
    row("azlin's own time (wall - downloads - SSH wait)", f"{own:7.1f} s")
    return bench.address(result), own, elapsed


def phase_rows(stderr: str, started: float, arm: list[dict[str, object]]) -> None:
    """Each step's wall time and the ARM requests made while it ran (1 s resolution)."""
    clock = started
    for step, seconds in STEP_LINE.findall(stderr):
        end = clock + float(seconds)
        inside = [e for e in arm if clock - 1 <= _epoch(str(e["time"])) <= end]
        row(step, f"{float(seconds):7.1f} s   ARM {len(inside):3d}")
        clock = end


def role_rows(runs: Sequence[RunTimes]) -> None:
    for run in runs:
        row(f"  run of {Path(run.playbook).name}", f"{run.wall:7.1f} s")
        for role, seconds in sorted(run.roles.items()):
            label = "clone (github_repo)" if role == "github_repo" else f"role {role}"
            row(f"    {label}", f"{seconds:7.1f} s")
        row("    Ansible outside tasks (start-up, facts, plan)", f"{run.outside_tasks:7.1f} s")
        row("    of the tasks: package and archive downloads", f"{run.downloads:7.1f} s")


def _epoch(text: str) -> float:
    return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone


def startup_section(bench: Bench) -> None:
    print("\nStart-up")
    baseline = median_seconds([PYTHON, "-c", "pass"], bench.env, bench.runs)
    helped = median_seconds([*AZLIN, "--help"], bench.env, bench.runs)
    compare("azlin --help", helped, baseline, "python -c pass")
    compare(
        "azlin list",
        median_seconds([*AZLIN, "list"], bench.env, bench.runs),
        baseline,
        "python -c pass",
    )
    bench.target("azlin --help <= 0.3 s", f"{helped:.3f} s", helped <= 0.3)


def plain_ssh(bench: Bench, address: str, *remote: str, tty: bool = False) -> list[str]:
    key = bench.home / ".ssh" / "azlin_key"
    return [
        "ssh", "-t" if tty else "-T", "-i", str(key), "-o", "BatchMode=yes",
        "-o", f"UserKnownHostsFile={bench.state / 'known_hosts'}",
        "-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR", f"azureuser@{address}", *remote,
    ]  # fmt: skip


def connect_section(bench: Bench, name: str, address: str) -> None:
    print("\nConnect")
    ours = median_seconds([*AZLIN, "connect", name, "--", "true"], bench.env, bench.runs)
    theirs = median_seconds(plain_ssh(bench, address, "true"), bench.env, bench.runs)
    ratio = compare("azlin connect NAME -- true", ours, theirs, "ssh")
    bench.target("connect <= 1.3x ssh", f"{ratio:.2f}x", ratio <= 1.3)
    attached = statistics.median(
        attach_seconds([*AZLIN, "connect", name], bench.env) for _ in range(3)
    )
    plain = statistics.median(
        attach_seconds(
            plain_ssh(bench, address, "tmux", "new-session", "-A", "-s", "azlin", tty=True),
            bench.env,
        )
        for _ in range(3)
    )
    compare("tmux attach: azlin connect NAME", attached, plain, "ssh -t tmux")


def repair_section(bench: Bench, name: str) -> None:
    print("\nNo-change repair (configure.yml, the full role set)")
    runs = max(3, bench.runs // 2)
    changed = bench.azlin("repair", name)
    row("tasks changed by a repair right after the provision", f"{len(changed.stdout.split()):4d}")
    tuned = median_seconds([*AZLIN, "repair", name], bench.env, runs)
    # Ansible's own defaults: an empty config file instead of the project's ansible.cfg.
    defaults = bench.home / "ansible-defaults.cfg"
    defaults.write_text("[defaults]\n", encoding="utf-8")
    untuned_env = {
        **bench.env,
        "ANSIBLE_CONFIG": str(defaults),
        "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
    }
    playbook = [
        str(Path(PYTHON).parent / "ansible-playbook"),
        "-i",
        str(bench.state / "runs" / name / "inventory.json"),
        str(REPO / "playbooks/configure.yml"),
    ]
    untuned = median_seconds(playbook, untuned_env, runs)
    ratio = compare("azlin repair NAME", tuned, untuned, "untuned ansible-playbook")
    bench.target("repair <= 20 s", f"{tuned:.1f} s", tuned <= 20)
    bench.target("repair <= 0.5x untuned", f"{ratio:.2f}x", ratio <= 0.5)


def bake_section(bench: Bench, source: str) -> str:
    """Captures the source VM (which this uses up) as an image; returns the image's name."""
    print("\nBaked image")
    image = f"bench-{secrets.token_hex(2)}"
    started = time.perf_counter()
    built = bench.azlin("image", "build", image, "--from-vm", source, "-y", *bench.gallery)
    if built.returncode != 0:
        sys.exit(f"image build failed ({built.returncode}):\n{built.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    row("azlin image build --from-vm (generalize, capture)", f"{seconds:7.1f} s")
    return image


def azure_like_section(bench: Bench, image: str | None) -> None:
    """Provisions under the published Azure timings: from the marketplace image (the whole
    tool set installed) and, when there is one, from the baked image."""
    set_latency(bench.lab, AZURE_LIKE_LATENCY)
    try:
        *_, marketplace = provision_phases(
            bench, "Provision, Azure-like ARM latency, marketplace image", "bench-azure"
        )
        bench.target(
            "Azure-like, marketplace image: shell <= 4 min", f"{marketplace:.1f} s",
            marketplace <= 240,
        )  # fmt: skip
        if image:
            *_, baked = provision_phases(
                bench, "Provision, Azure-like ARM latency, baked image", "bench-baked",
                "--image", image, *bench.gallery,
            )  # fmt: skip
            bench.target("Azure-like, baked image: shell <= 2 min", f"{baked:.1f} s", baked <= 120)
    finally:
        set_latency(bench.lab, dict.fromkeys(AZURE_LIKE_LATENCY, 0.0))


def fleet_section(bench: Bench, counts: Sequence[int]) -> None:
    # 8 VMs installing everything at once would measure this machine's two cores and disk,
    # not azlin; the single-VM provisions install all of it.
    print("\nSeveral VMs at once (provision --count N; small tool set: git, tmux, rsync)")
    variables = bench.home / "small-tools.yml"
    lab_vars = Path(bench.env["AZLIN_ANSIBLE_VARS"]).read_text(encoding="utf-8")
    variables.write_text(lab_vars + SMALL_TOOL_SET, encoding="utf-8")
    env = {**bench.env, "AZLIN_ANSIBLE_VARS": str(variables)}
    single = 0.0
    for count in counts:
        name = f"fleet{count}-{secrets.token_hex(2)}"
        elapsed, _ = bench.provision(name, "--count", str(count), env=env)
        single = single or elapsed
        row(f"{count} VM(s)", f"{elapsed:7.1f} s   ratio to 1 VM {elapsed / single:5.2f}")
        if count == 8:
            bench.target("8 VMs <= 1.5x one", f"{elapsed / single:.2f}x", elapsed / single <= 1.5)


def targets_section(bench: Bench) -> None:
    print("\nTargets")
    for label, figure, met in bench.targets:
        row(label, f"{figure:>10}   {'met' if met else 'NOT met'}")


def run(args: argparse.Namespace) -> None:
    # An installed azlin has its bytecode compiled by pip; a checkout gets it here, once.
    compileall.compile_dir(REPO / "azlin", quiet=1)
    lab, started_here = start_lab(LabConfig())
    bench = Bench(lab, args.runs)
    try:
        print(
            f"azlin benchmark — medians of {args.runs} runs where repeated; one lab, this machine"
        )
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        address, own, _ = provision_phases(bench, "Provision, zero ARM latency", "bench-zero")
        bench.target("azlin's own time in a provision <= 15 s", f"{own:.1f} s", own <= 15)
        startup_section(bench)
        connect_section(bench, "bench-zero", address)
        repair_section(bench, "bench-zero")
        image = bake_section(bench, "bench-zero") if args.image else None
        if args.azure_like:
            azure_like_section(bench, image)
        if args.fleet:
            fleet_section(bench, args.fleet)
        targets_section(bench)
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
    parser.add_argument(
        "--no-azure-like",
        dest="azure_like",
        action="store_false",
        help="skip the provisions under the Azure-like latency profile",
    )
    parser.add_argument(
        "--no-image",
        dest="image",
        action="store_false",
        help="skip baking the first VM into an image and provisioning from it",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
