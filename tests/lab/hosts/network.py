"""The lab's network: one bridge on the host, one network namespace per test VM.

A VM reaches the host's bridge address and its neighbours on the bridge, nothing else: there is
no NAT, so anything a VM fetches from outside goes through the lab's proxies on the bridge.

Fault hooks: a link can be cut, the rate towards a VM capped (tbf) and packets to and from a VM
dropped at random (an nftables table of the lab's own). This kernel has no netem, so added
latency cannot be simulated; a rate cap is the nearest real slowness it offers.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.lab.config import LabConfig

log = logging.getLogger(__name__)

NETNS_PREFIX = "azlab-"
NETNS_DIR = Path("/run/netns")
FAULT_TABLE = "azlab_faults"  # nftables table that holds every lab fault rule


@dataclass(frozen=True)
class VmLink:
    """The network pieces of one VM: its namespace, the host end of its veth and its address."""

    netns: str
    address: ipaddress.IPv4Address

    @property
    def host_veth(self) -> str:
        # Interface names are limited to 15 characters; the namespace suffix is 8.
        return "azv" + self.netns.removeprefix(NETNS_PREFIX)

    @property
    def mac(self) -> str:
        # Fixed per address, as an Azure NIC's is: the host's neighbour cache stays right
        # when a VM boots again on a new veth.
        return "02:a2:" + ":".join(f"{octet:02x}" for octet in self.address.packed)

    @property
    def netns_path(self) -> Path:
        return NETNS_DIR / self.netns


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def _link_exists(name: str) -> bool:
    return _ip("link", "show", "dev", name, check=False).returncode == 0


def bridge_up(config: LabConfig) -> None:
    """Create the lab bridge with the host's lab address; harmless when it is already up."""
    if not _link_exists(config.bridge):
        _ip("link", "add", config.bridge, "type", "bridge")
    address = f"{config.bridge_address}/{config.subnet.prefixlen}"
    _ip("address", "replace", address, "dev", config.bridge)
    _ip("link", "set", config.bridge, "up")


def bridge_down(config: LabConfig) -> None:
    """Remove the lab bridge and the lab's fault rules; harmless when they are gone.

    Another lab may share the fault table: only this lab's rules go, and the table with the
    last of them.
    """
    own = re.compile(re.escape(config.vm_prefix) + r"h\d+")
    _delete_rules(lambda tag: own.fullmatch(tag) is not None)
    listing = _list_fault_table()
    if listing.returncode == 0 and " comment " not in listing.stdout:
        subprocess.run(
            ["nft", "delete", "table", "inet", FAULT_TABLE], check=False, capture_output=True
        )
    if _link_exists(config.bridge):
        _ip("link", "delete", config.bridge)


def bridge_exists(config: LabConfig) -> bool:
    return _link_exists(config.bridge)


def attach(config: LabConfig, link: VmLink) -> None:
    """Create the VM's namespace and a veth into it, addressed and routed via the bridge."""
    if link.address not in config.subnet or link.address == config.bridge_address:
        raise ValueError(f"{link.address} is not a VM address in {config.subnet}")
    detach(link)  # a leftover of a killed run would make every step below fail
    _ip("netns", "add", link.netns)
    _ip("link", "add", link.host_veth, "type", "veth", "peer", "name", "eth0",
        "address", link.mac, "netns", link.netns)  # fmt: skip
    _ip("link", "set", link.host_veth, "master", config.bridge, "up")
    inside = ("-n", link.netns)
    _ip(*inside, "address", "add", f"{link.address}/{config.subnet.prefixlen}", "dev", "eth0")
    _ip(*inside, "link", "set", "lo", "up")
    _ip(*inside, "link", "set", "eth0", "up")
    _ip(*inside, "route", "add", "default", "via", str(config.bridge_address))


def detach(link: VmLink) -> None:
    """Remove the VM's namespace (its veth goes with it) and its fault rules."""
    clear_faults(link)
    if _link_exists(link.host_veth):
        _ip("link", "delete", link.host_veth)
    if link.netns_path.exists():
        _ip("netns", "delete", link.netns)


def lab_namespaces() -> list[str]:
    """Names of every lab namespace present on the host, ours or a killed run's."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(NETNS_PREFIX))


def set_link(link: VmLink, up: bool, timeout: float = 5.0) -> None:
    """Cut or restore the VM's cable: the host end of its veth goes down or up.

    Returns once the kernel reports the new state, so that the next packet sees it.
    """
    _ip("link", "set", link.host_veth, "up" if up else "down")
    state = Path("/sys/class/net") / link.host_veth / "operstate"
    deadline = time.monotonic() + timeout
    while state.read_text().strip() != ("up" if up else "down"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{link.host_veth} did not go {'up' if up else 'down'}")
        time.sleep(0.02)


def set_rate_limit(link: VmLink, kbit: int) -> None:
    """Cap the rate of traffic towards the VM (a slow link); packets past the queue drop."""
    subprocess.run(
        ["tc", "qdisc", "replace", "dev", link.host_veth, "root", "tbf",
         "rate", f"{kbit}kbit", "burst", "16kb", "latency", "500ms"],
        check=True, capture_output=True,
    )  # fmt: skip


def set_loss(link: VmLink, percent: int) -> None:
    """Drop about percent % of the packets between the host and the VM, both ways."""
    if not 0 < percent <= 100:
        raise ValueError("loss must be between 1 and 100 percent")
    clear_faults(link)
    chance = "" if percent == 100 else f"numgen random mod 100 < {percent} "
    tag = f'comment "{link.netns}"'
    rules = [
        *_fault_chains(),
        f"add rule inet {FAULT_TABLE} input ip saddr {link.address} {chance}drop {tag}",
        f"add rule inet {FAULT_TABLE} output ip daddr {link.address} {chance}drop {tag}",
    ]
    result = subprocess.run(
        ["nft", "-f", "-"],
        check=False,
        input="\n".join(rules) + "\n",
        text=True,
        capture_output=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"nft refused the loss rules: {result.stderr.strip()}")


def _fault_chains() -> list[str]:
    return [
        f"add table inet {FAULT_TABLE}",
        f"add chain inet {FAULT_TABLE} input {{ type filter hook input priority -10; }}",
        f"add chain inet {FAULT_TABLE} output {{ type filter hook output priority -10; }}",
    ]


def clear_faults(link: VmLink) -> None:
    """Undo every fault on the VM's link: rate cap, packet loss and a cut cable."""
    if _link_exists(link.host_veth):
        subprocess.run(
            ["tc", "qdisc", "del", "dev", link.host_veth, "root"], check=False, capture_output=True
        )
        _ip("link", "set", link.host_veth, "up")
    _delete_loss_rules(link)


def _delete_loss_rules(link: VmLink) -> None:
    _delete_rules(lambda tag: tag == link.netns)


def _list_fault_table() -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nft", "-a", "list", "table", "inet", FAULT_TABLE],
                          check=False, capture_output=True, text=True)  # fmt: skip


def _delete_rules(tagged: Callable[[str], bool]) -> None:
    """Delete the fault rules whose comment (a VM's namespace name) passes tagged."""
    chain = ""
    for line in _list_fault_table().stdout.splitlines():
        words = line.split()
        comment = re.search(r'comment "([^"]*)"', line)
        if words[:1] == ["chain"]:
            chain = words[1]
        elif comment and tagged(comment.group(1)) and "handle" in words:
            handle = words[words.index("handle") + 1]
            subprocess.run(["nft", "delete", "rule", "inet", FAULT_TABLE, chain,
                            "handle", handle], check=True)  # fmt: skip
