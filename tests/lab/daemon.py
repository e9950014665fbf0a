"""The lab as one background process: test hosts, apt proxy, ARM emulator, tunnel, GitHub.

`serve()` runs in the foreground until SIGTERM, then removes everything it made. Leftovers of
a lab that was killed (namespaces, mounts, VM disks, the bridge) are removed at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import secrets
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web

from tests.lab.arm.app import make_arm_app, start_arm
from tests.lab.arm.credentials import LabCredentials
from tests.lab.artifacts import start_artifact_server
from tests.lab.config import GITHUB_HOSTS, LabConfig
from tests.lab.github import make_github_app, seed_repos
from tests.lab.hosts import network
from tests.lab.hosts.apt_proxy import AptProxy
from tests.lab.hosts.image import ensure_image
from tests.lab.hosts.machine import TestHosts
from tests.lab.pki import LabPki, create_pki
from tests.lab.tunnel import serve_tunnel

log = logging.getLogger(__name__)

GITHUB_LOGIN = "azlin-tester"
# Azure stops a Run Command script after 90 minutes.
RUN_COMMAND_TIMEOUT = 90 * 60.0


class HostsBackend:
    """The ARM emulator's VMs, backed by the lab's test hosts."""

    def __init__(self, hosts: TestHosts) -> None:
        self._hosts = hosts

    def create(
        self,
        vm_id: str,
        address: ipaddress.IPv4Address,
        admin_user: str,
        authorized_keys: list[str],
        hostname: str,
        image_id: str | None = None,
    ) -> None:
        layer = self._hosts.image_layer(image_id) if image_id else None
        self._hosts.create(vm_id, str(address), admin_user, authorized_keys, hostname, layer)

    def capture(self, vm_id: str, image_id: str) -> None:
        self._hosts.capture(vm_id, image_id)

    def delete_image(self, image_id: str) -> None:
        self._hosts.delete_image(image_id)

    def attach_disk(self, vm_id: str, lun: int, size_gb: int) -> None:
        self._hosts.attach_disk(vm_id, lun, size_gb)

    def power_off(self, vm_id: str) -> None:
        self._hosts.power_off(vm_id)

    def start(self, vm_id: str) -> None:
        self._hosts.start(vm_id)

    def delete(self, vm_id: str) -> None:
        self._hosts.delete(vm_id)

    def run_command(
        self, vm_id: str, script: str, arguments: list[str], environment: dict[str, str]
    ) -> tuple[int, str, str]:
        variables = [f"{name}={value}" for name, value in environment.items()]
        argv = ["env", *variables, "/bin/bash", "-c", script, "script", *arguments]
        return self._hosts.run_in_vm(vm_id, argv, timeout=RUN_COMMAND_TIMEOUT)

    def set_link(self, vm_id: str, up: bool) -> None:
        network.set_link(self._hosts.link(vm_id), up)

    def set_loss(self, vm_id: str, percent: int) -> None:
        if percent:
            network.set_loss(self._hosts.link(vm_id), percent)
        else:
            network.clear_faults(self._hosts.link(vm_id))

    def set_sshd(self, vm_id: str, running: bool) -> None:
        if not running:
            self._hosts.stop_sshd(vm_id)
            return
        status, _, error = self._hosts.run_in_vm(vm_id, ["systemctl", "start", "ssh.service"])
        if status != 0:
            raise RuntimeError(f"could not start sshd in {vm_id}: {error.strip()}")

    def hold_dpkg_lock(self, vm_id: str, seconds: float) -> None:
        self._hosts.hold_dpkg_lock(vm_id, seconds)


def client_environment(
    config: LabConfig, credentials: LabCredentials, token: str
) -> dict[str, str]:
    """What a shell needs so that azlin, the SDK, gh and git talk to the lab."""
    proxy = f"http://127.0.0.1:{config.tunnel_port}"
    bundle = str(config.ca_bundle)
    return {
        "HTTPS_PROXY": proxy,
        "https_proxy": proxy,
        "NO_PROXY": f"127.0.0.1,localhost,{config.subnet}",
        "no_proxy": f"127.0.0.1,localhost,{config.subnet}",
        "SSL_CERT_FILE": bundle,
        "REQUESTS_CA_BUNDLE": bundle,
        "GIT_SSL_CAINFO": bundle,
        **credentials.client_env(),
        "GH_TOKEN": token,
        # The lab has no echo service for azlin's "your public address": the VMs see the host
        # as the bridge address, so that is the honest SSH source.
        "AZLIN_ALLOW_FROM": f"{config.bridge_address}/32",
    }


def write_environment(config: LabConfig, env: dict[str, str]) -> None:
    """env.json for tests and env.sh for shells; both 0600 (they hold the lab's secrets)."""
    exports = "".join(f"export {key}={json.dumps(value)}\n" for key, value in env.items())
    for path, text in (
        (config.state_dir / "env.json", json.dumps(env, indent=2)),
        (config.env_file, exports),
    ):
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.chmod(0o600)
        os.replace(temporary, path)


def remove_leftovers(config: LabConfig, hosts: TestHosts) -> None:
    """Everything a killed lab may have left: VMs, namespaces, the bridge, env files."""
    hosts.delete_all()
    network.bridge_down(config)
    for name in ("env.json", "env.sh"):
        (config.state_dir / name).unlink(missing_ok=True)


def make_hosts(config: LabConfig, pki: LabPki) -> TestHosts:
    entries = {name: str(config.bridge_address) for name in GITHUB_HOSTS}
    return TestHosts(config, ensure_image(config), pki.ca_cert.read_bytes(), entries)


async def _serve_async(config: LabConfig, hosts: TestHosts, pki: LabPki) -> None:
    credentials = LabCredentials.generate()
    token = f"ghp_{secrets.token_urlsafe(27)}"
    repos_dir = config.state_dir / "github"
    seed_repos(repos_dir)
    context = pki.server_context()
    stops: list[Callable[[], Awaitable[None]]] = []
    try:
        arm = await start_arm(
            make_arm_app(config, HostsBackend(hosts), credentials),
            "127.0.0.1",
            config.arm_port,
            context,
        )
        stops.append(arm.cleanup)
        github = web.AppRunner(make_github_app(repos_dir, token, GITHUB_LOGIN), access_log=None)
        await github.setup()
        stops.append(github.cleanup)
        await web.TCPSite(
            github, str(config.bridge_address), config.github_port, ssl_context=context
        ).start()
        tunnel = await serve_tunnel(config)
        stops.append(_closer(tunnel))
        artifacts, artifact_env = await start_artifact_server(config)
        stops.append(artifacts.cleanup)
        env = client_environment(config, credentials, token)
        write_environment(config, {**env, **artifact_env})
        log.info("lab ready")
        await _until_signalled()
    finally:
        for stop in reversed(stops):
            await stop()


# How long a stopping lab waits for clients to drop their tunnels: wait_closed() waits for
# every open connection, and an idle SDK client keeps its pooled connection open for ever.
TUNNEL_CLOSE_SECONDS = 2.0


def _closer(server: asyncio.Server) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), TUNNEL_CLOSE_SECONDS)

    return close


async def _until_signalled() -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()


def serve(config: LabConfig) -> None:
    """Start every part of the lab, serve until SIGTERM, then remove what was made."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    config.state_dir.chmod(0o711)  # squid runs as "proxy" and must reach its folder
    pki = create_pki(config)
    hosts = make_hosts(config, pki)
    remove_leftovers(config, hosts)
    apt = AptProxy(config)
    try:
        network.bridge_up(config)
        apt.start()
        asyncio.run(_serve_async(config, hosts, pki))
    finally:
        log.info("lab stopping")
        apt.stop()
        remove_leftovers(config, hosts)
        config.pid_file.unlink(missing_ok=True)
