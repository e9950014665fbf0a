"""The argv azlin builds for rsync and ssh -L, the ssh client config it writes, and the checks
that run before either starts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from azlin.errors import InvalidInputError
from azlin.ssh.client_config import ensure_included, host_entry
from azlin.ssh.options import SshTarget
from azlin.ssh.transfer import Location, parse_location, plan_copy, rsync_command
from azlin.ssh.tunnel import Forward, check_local_ports, parse_forward, tunnel_command

TARGET = SshTarget("10.0.0.4", "azureuser", Path("/h/.ssh/azlin_key"), Path("/s/known_hosts"))
SSH_OPTIONS = (
    "ssh -i /h/.ssh/azlin_key -o IdentitiesOnly=yes -o BatchMode=yes "
    "-o UserKnownHostsFile=/s/known_hosts -o StrictHostKeyChecking=yes "
    "-o ServerAliveInterval=60 -o ServerAliveCountMax=3 -o ConnectTimeout=10 -o LogLevel=ERROR"
)


def test_locations_name_a_vm_only_before_a_colon() -> None:
    assert parse_location("dev:notes/a.txt") == Location("notes/a.txt", "dev")
    assert parse_location("dev:") == Location("", "dev")
    assert parse_location("./dev:x") == Location("./dev:x")
    assert parse_location("Dev:x") == Location("Dev:x")  # not a valid VM name


def test_plan_copy_needs_one_vm_on_one_side(tmp_path: Path) -> None:
    local = str(tmp_path)
    assert plan_copy([local], "dev:up/").upload
    assert not plan_copy(["dev:a", "dev:b"], local).upload
    with pytest.raises(InvalidInputError, match="No such local file"):
        plan_copy([str(tmp_path / "missing")], "dev:")


def test_rsync_runs_over_azlins_ssh_options() -> None:
    assert rsync_command(TARGET, ["a", "b"], "azureuser@10.0.0.4:up/", dry_run=True) == [
        "rsync",
        "--recursive",
        "--links",
        "--perms",
        "--times",
        "--compress",
        "--dry-run",
        "--out-format=%n",
        "-e",
        SSH_OPTIONS,
        "a",
        "b",
        "azureuser@10.0.0.4:up/",
    ]


@pytest.mark.parametrize(
    ("text", "forward"), [("8080", Forward(8080, 8080)), ("5901:15901", Forward(5901, 15901))]
)
def test_forwards_parse(text: str, forward: Forward) -> None:
    assert parse_forward(text) == forward


@pytest.mark.parametrize("text", ["0", "70000", "80:", "a:b", "1:2:3"])
def test_bad_forwards_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="use PORT or PORT:LOCALPORT"):
        parse_forward(text)


def test_the_same_local_port_twice_is_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InvalidInputError, match=f"Local port {port} is already in use"):
        check_local_ports([Forward(80, port), Forward(81, port)])


def test_tunnel_command_signals_ready_and_fails_on_a_forward_it_cannot_open() -> None:
    command = tunnel_command(TARGET, [Forward(5901, 15901)])
    assert command[:3] == ["ssh", "-N", "-T"]
    assert (
        command[-9:]
        == [
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "PermitLocalCommand=yes",
            "-o",
            "LocalCommand=echo azlin-tunnel-ready",
            "-L",
            "127.0.0.1:15901:localhost:5901",
            "azureuser@10.0.0.4",
        ][-9:]
    )


def test_host_entry_uses_azlins_key_and_known_hosts() -> None:
    assert host_entry("dev", TARGET).splitlines() == [
        "Host dev",
        "    HostName 10.0.0.4",
        "    User azureuser",
        "    IdentityFile /h/.ssh/azlin_key",
        "    IdentitiesOnly yes",
        "    UserKnownHostsFile /s/known_hosts",
        "    StrictHostKeyChecking yes",
        "    ServerAliveInterval 60",
        "    ServerAliveCountMax 3",
        "    ConnectTimeout 10",
        "    LogLevel ERROR",
    ]


def test_include_goes_first_once_and_keeps_the_files_mode(tmp_path: Path) -> None:
    user_config = tmp_path / "config"
    user_config.write_text("Host other\n    User me\n")
    user_config.chmod(0o640)
    included = tmp_path / "azlin_config"
    assert ensure_included(user_config, included)
    assert not ensure_included(user_config, included)
    assert user_config.read_text() == f"Include {included}\n\nHost other\n    User me\n"
    assert user_config.stat().st_mode & 0o777 == 0o640
