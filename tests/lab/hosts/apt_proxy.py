"""Debian's squid as the caching proxy through which test VMs reach the Debian mirror.

VMs have no route out of the lab; apt inside them is pointed at this proxy, which lets through
requests for Debian's archive hosts from the lab subnet only. Its cache lives under the lab's
cache folder and outlives a lab, so packages are fetched from the mirror once.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.lab.config import LabConfig

log = logging.getLogger(__name__)

ALLOWED_DOMAINS = ("deb.debian.org", "security.debian.org")
SQUID_USER = "proxy"  # Debian's squid drops root for this user; its files must be theirs
HIT_CODES = ("TCP_HIT", "TCP_MEM_HIT", "TCP_REFRESH_UNMODIFIED", "TCP_INM_HIT")


@dataclass(frozen=True)
class AccessEntry:
    """One line of squid's access log: what a client asked for and how squid served it."""

    client: str
    result: str
    url: str

    @property
    def is_hit(self) -> bool:
        return self.result.split("/")[0] in HIT_CODES


def _squid_conf(config: LabConfig, state: Path, cache: Path) -> str:
    # Packages never change under a name, so .deb files stay fresh for 90 days; the archive
    # indexes must be revalidated, or apt would see an old Release next to new packages.
    return f"""\
http_port {config.bridge_address}:{config.apt_proxy_port}
visible_hostname azlin-lab-apt-proxy
pid_filename {state}/squid.pid
cache_log {state}/cache.log
access_log stdio:{state}/access.log squid
cache_store_log none
netdb_filename none
coredump_dir {state}
logfile_rotate 0
shutdown_lifetime 1 seconds
cache_mem 64 MB
maximum_object_size 512 MB
cache_dir ufs {cache} 8192 16 256

acl lab_subnet src {config.subnet}
acl debian_archive dstdomain {" ".join(ALLOWED_DOMAINS)}
acl plain_http port 80
http_access deny !plain_http
http_access allow lab_subnet debian_archive
http_access deny all

refresh_pattern -i \\.u?deb$ 129600 100% 129600 refresh-ietf
refresh_pattern -i (/InRelease|/Release|/Release\\.gpg|/Packages.*|/Sources.*)$ 0 0% 0
refresh_pattern . 0 20% 4320
"""


class AptProxy:
    """A squid child process listening on the lab bridge; start() and stop() it."""

    def __init__(self, config: LabConfig) -> None:
        self._config = config
        self.state_dir = config.state_dir / "squid"
        # Two squids must never share a cache folder: a second lab gets its own.
        self.cache_dir = config.cache_dir / "-".join(filter(None, ("squid", config.instance)))
        self.conf_path = self.state_dir / "squid.conf"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self._config.apt_proxy_url

    @property
    def access_log(self) -> Path:
        return self.state_dir / "access.log"

    def start(self, timeout: float = 30.0) -> None:
        """Start squid in the foreground as our child and return once it accepts connections."""
        if self._process is not None:
            return
        self._write_config()
        self._init_cache()
        with (self.state_dir / "squid.out").open("ab") as output:
            self._process = subprocess.Popen(
                ["squid", "-f", str(self.conf_path), "-N"],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._wait_listening(timeout)
        log.info("apt proxy listening on %s (pid %d)", self.url, self._process.pid)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop squid with SIGTERM (it closes its cache cleanly); kill it if it hangs."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def entries(self) -> list[AccessEntry]:
        """The access log so far, oldest first."""
        if not self.access_log.exists():
            return []
        found = []
        for line in self.access_log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 7:
                found.append(AccessEntry(client=fields[2], result=fields[3], url=fields[6]))
        return found

    def _write_config(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.state_dir, SQUID_USER, SQUID_USER)
        self.conf_path.write_text(_squid_conf(self._config, self.state_dir, self.cache_dir))

    def _init_cache(self) -> None:
        """Create the cache's swap folders the first time (squid -z); later labs reuse them."""
        if (self.cache_dir / "00").is_dir():
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.cache_dir, SQUID_USER, SQUID_USER)
        subprocess.run(
            ["squid", "-f", str(self.conf_path), "-N", "-z"], check=True, capture_output=True
        )

    def _wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        address = (str(self._config.bridge_address), self._config.apt_proxy_port)
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"squid exited; see {self.state_dir / 'cache.log'}")
            try:
                socket.create_connection(address, timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"squid did not listen on {address} within {timeout:.0f} s")
