"""The pieces of `azlin gui` that are decided before anything runs."""

from __future__ import annotations

import stat
from pathlib import Path

from azlin.ansible.runner import PlaybookRun
from azlin.desktop.session import desktop_run, find_viewer, new_password, viewer_command
from azlin.ssh.tunnel import free_local_port


def test_passwords_are_eight_letters_or_digits_and_differ() -> None:
    passwords = {new_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 8 and p.isascii() and p.isalnum() for p in passwords)


def test_the_password_travels_in_the_environment_only(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.json"
    started = desktop_run(inventory, present=True, password="s3cretPw", verbosity=2)
    assert started == PlaybookRun(
        playbook="gui.yml",
        inventory=inventory,
        extravars={"vnc_desktop_state": "present"},
        verbosity=2,
        secrets={"AZLIN_VNC_PASSWORD": "s3cretPw"},
    )
    assert "s3cretPw" not in repr(started)
    stopped = desktop_run(inventory, present=False, password="", verbosity=0)
    assert (stopped.extravars, stopped.secrets) == ({"vnc_desktop_state": "absent"}, {})


def test_viewers_are_pointed_at_the_local_port() -> None:
    assert viewer_command("vncviewer", 40123) == ["vncviewer", "127.0.0.1::40123"]
    assert viewer_command("xtigervncviewer", 5) == ["xtigervncviewer", "127.0.0.1::5"]
    assert viewer_command("remmina", 40123) == ["remmina", "-c", "vnc://127.0.0.1:40123"]


def test_a_viewer_is_found_only_with_a_screen(tmp_path: Path) -> None:
    viewer = tmp_path / "xtigervncviewer"
    viewer.write_text("#!/bin/sh\n")
    viewer.chmod(stat.S_IRWXU)
    path = {"PATH": str(tmp_path)}
    assert find_viewer(path) is None
    assert find_viewer({**path, "DISPLAY": ":0"}) == "xtigervncviewer"
    assert find_viewer({**path, "WAYLAND_DISPLAY": "wayland-0"}) == "xtigervncviewer"
    assert find_viewer({"PATH": str(tmp_path / "empty"), "DISPLAY": ":0"}) is None


def test_free_ports_differ_and_are_free() -> None:
    ports = {free_local_port() for _ in range(5)}
    assert len(ports) > 1
    assert all(1024 <= port <= 65535 for port in ports)
