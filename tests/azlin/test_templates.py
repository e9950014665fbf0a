"""`azlin template`: files under the config folder, generic over provision's options."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest

from azlin.cli.provision import provision
from azlin.cli.settings_schema import option_key
from azlin.cli.templated import template_options
from tests.azlin.settings_cli import azlin


def templates(home: Path) -> Path:
    return home / ".config" / "azlin" / "templates"


def test_create_list_show_delete(isolated_home: Path) -> None:
    made = azlin(
        "template", "create", "gpu", "--size", "Standard_NC6", "-l", "westus2",
        "--repo", "https://github.com/a/one", "--repo", "https://github.com/a/two",
        "--ready-timeout", "600", "--no-attach",
        env={"AZLIN_REGION": "northeurope", "AZLIN_VM_SIZE": "Standard_B2s"},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    path = templates(isolated_home) / "gpu.toml"
    # Only what was typed: the environment's region and size play no part in a template.
    assert path.read_text() == (
        'region = "westus2"\nsize = "Standard_NC6"\n'
        'repo = ["https://github.com/a/one", "https://github.com/a/two"]\n'
        "ready_timeout = 600\nno_attach = true\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["gpu.toml"]
    listed = azlin("template", "list")
    assert listed.stdout.splitlines()[2].split(None, 1) == [
        "gpu",
        "region=westus2, size=Standard_NC6, repo=https://github.com/a/one "
        "https://github.com/a/two, ready_timeout=600, no_attach=true",
    ]
    assert azlin("template", "show", "gpu").stdout == path.read_text()
    assert azlin("template", "delete", "gpu").returncode == 0
    assert not path.exists()
    assert azlin("template", "list").stderr.startswith("No templates;")


def test_template_create_offers_every_provision_option_but_name() -> None:
    help_text = azlin("template", "create", "--help").stdout
    keys = set(template_options(provision))
    every = {option_key(p) for p in provision.params if isinstance(p, click.Option)}
    assert every - keys == {"name", "template"}
    for key in keys:
        assert f"--{key.replace('_', '-')}" in help_text
    assert "[env:" not in help_text


def test_flags_beat_the_template_which_beats_env_and_file(isolated_home: Path) -> None:
    azlin("template", "create", "small", "--size", "Standard_B2s", "-l", "westus2", "-g", "t-rg")
    config = isolated_home / ".config" / "azlin" / "config.toml"
    config.write_text('[provision]\nresource_group = "file-rg"\nready_timeout = 700\n')
    shown = azlin(
        "config", "show", "--json", "provision", "--template", "small", "-l", "eastus",
        env={"AZLIN_VM_SIZE": "Standard_D8s_v5"},
    )  # fmt: skip
    rows = {r["setting"]: (r["value"], r["source"]) for r in json.loads(shown.stdout)}
    assert rows["region"] == ("eastus", "flag")
    assert rows["size"] == ("Standard_B2s", "template")
    assert rows["resource_group"] == ("t-rg", "template")
    assert rows["ready_timeout"] == ("700", "file")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('sise = "x"\n', "line 1: 'sise' is not a template setting"),
        ('name = "dev"\n', "line 1: 'name' is not a template setting"),
        ('region = "eastus"\nsize = "tiny box"\n', "line 2: size: Invalid VM size 'tiny box'"),
        ("ready_timeout = 1\n", "line 1: ready_timeout: Invalid value for '--ready-timeout'"),
        ("size = [\n", "Invalid value"),
    ],
)
def test_a_bad_template_file_stops_provision_in_one_line(
    text: str, message: str, isolated_home: Path
) -> None:
    folder = templates(isolated_home)
    folder.mkdir(parents=True)
    (folder / "bad.toml").write_text(text)
    result = azlin("provision", "--template", "bad", "--name", "dev")
    assert (result.returncode, result.stdout, result.stderr.count("\n")) == (2, "", 1)
    assert result.stderr.startswith(f"Error: Template file {folder / 'bad.toml'}")
    assert message in result.stderr
    assert sorted(p.name for p in isolated_home.rglob("*")) == [
        ".config",
        "azlin",
        "bad.toml",
        "templates",
    ]
