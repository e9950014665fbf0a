"""Pinning host keys read through Run Command: parsing the agent's report, atomic rewrites."""

from __future__ import annotations

import subprocess
from pathlib import Path

from azlin.azure.host_keys import parse_host_keys
from azlin.ssh.known_hosts import forget_host, pin_host_keys, pinned_keys

ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOmmfS6d0Z1hpSx0F7k2wl4F7VmGcSpdm0o5F1Bc0RSK"
EC = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY="


def test_parses_keys_from_the_agents_report_and_ignores_the_rest() -> None:
    message = (
        f"Enable succeeded: \n[stdout]\n{ED} root@vm\n{EC} root@vm\nnot a key\n"
        "[stderr]\nssh-rsa AAAAB3Nza= from stderr\n"
    )
    assert parse_host_keys(message) == [ED, EC]
    assert parse_host_keys("Enable failed: exit status=1\n[stdout]\n\n[stderr]\nno\n") == []


def test_pin_replaces_only_that_hosts_keys(tmp_path: Path) -> None:
    known = tmp_path / "state" / "known_hosts"
    pin_host_keys(known, "10.0.0.4", [ED])
    pin_host_keys(known, "10.0.0.5", [ED, EC])
    pin_host_keys(known, "10.0.0.4", [EC])
    assert pinned_keys(known, "10.0.0.4") == [EC]
    assert pinned_keys(known, "10.0.0.5") == [ED, EC]
    assert known.stat().st_mode & 0o777 == 0o600
    assert known.parent.stat().st_mode & 0o777 == 0o700
    # ssh reads the file as written.
    found = subprocess.run(
        ["ssh-keygen", "-F", "10.0.0.5", "-f", str(known)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0 and "ecdsa-sha2-nistp256" in found.stdout


def test_forget_removes_the_host_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    known = tmp_path / "state" / "known_hosts"
    pin_host_keys(known, "10.0.0.4", [ED])
    pin_host_keys(known, "10.0.0.44", [EC])
    forget_host(known, "10.0.0.4")
    assert pinned_keys(known, "10.0.0.4") == []
    assert pinned_keys(known, "10.0.0.44") == [EC]
    assert sorted(p.name for p in known.parent.iterdir()) == ["known_hosts"]
    forget_host(tmp_path / "absent", "10.0.0.4")
    assert not (tmp_path / "absent").exists()
