"""The config file: click's default_map from TOML, precedence flag > env > file > default,
`azlin config show|set|unset`, and malformed files refused in one line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.azlin.settings_cli import azlin


def config_file(home: Path) -> Path:
    return home / ".config" / "azlin" / "config.toml"


def shown(*args: str, env: dict[str, str] | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    result = azlin("config", "show", "--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    return {
        (r["command"], r["setting"]): (r["value"], r["source"]) for r in json.loads(result.stdout)
    }


def test_precedence_is_flag_then_env_then_file_then_default(isolated_home: Path) -> None:
    path = config_file(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text('region = "westus2"\nsize = "Standard_B2s"\n[provision]\nready_timeout = 900\n')
    rows = shown("provision", "--region", "northeurope", env={"AZLIN_VM_SIZE": "Standard_D4s_v3"})
    assert rows[("azlin", "config")] == (str(path), "default")
    assert rows[("provision", "region")] == ("northeurope", "flag")
    assert rows[("provision", "size")] == ("Standard_D4s_v3", "env")
    assert rows[("provision", "ready_timeout")] == ("900", "file")
    assert rows[("provision", "resource_group")] == ("azlin-rg", "default")


def test_top_level_keys_reach_every_command_and_tables_one(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text('output = "json"\n\n[status]\noutput = "table"\n')
    rows = shown(env={"AZLIN_CONFIG": str(path)})
    assert rows[("azlin", "config")] == (str(path), "env")
    assert rows[("list", "output")] == ("json", "file")
    assert rows[("destroy", "output")] == ("json", "file")
    assert rows[("status", "output")] == ("table", "file")
    assert ("destroy", "yes") not in rows  # a file never confirms a deletion


def test_config_set_validates_writes_0600_and_keeps_comments(isolated_home: Path) -> None:
    path = config_file(isolated_home)
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text('# team defaults\nregion = "westus2"\n')
    assert azlin("config", "set", "provision.size", "Standard_B2s").returncode == 0
    repos = ("https://github.com/a/one", "https://github.com/a/two")
    assert azlin("config", "set", "repo", *repos).returncode == 0
    assert azlin("config", "set", "no_attach", "true").returncode == 0
    assert path.read_text() == (
        '# team defaults\nregion = "westus2"\n'
        'repo = ["https://github.com/a/one", "https://github.com/a/two"]\n'
        'no_attach = true\n\n[provision]\nsize = "Standard_B2s"\n'
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]  # no temp file left
    rows = shown("provision")
    assert rows[("provision", "repo")] == (", ".join(repos), "file")
    unset = azlin("config", "unset", "no_attach")
    assert (unset.returncode, "no_attach" in path.read_text()) == (0, False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sise", "x"], "Error: Unknown setting 'sise'; `azlin config show` lists the settings."),
        (
            ["region", "West Europe"],
            "Error: region: Invalid region 'West Europe': use an Azure region name such as "
            "'eastus' (see `az account list-locations -o table`).",
        ),
        (
            ["provision.ready_timeout", "soon"],
            "Error: ready_timeout must be a whole number, not 'soon'.",
        ),
        (["provision.no_attach", "maybe"], "Error: no_attach must be true or false, not 'maybe'."),
        (
            ["connect.region", "eastus"],
            "Error: Unknown setting 'region' for command 'connect'; `azlin config show` lists "
            "the settings.",
        ),
        (["notify_command", 'say "hi'], "No closing quotation"),
    ],
)
def test_config_set_refuses_bad_values_and_writes_nothing(
    args: list[str], message: str, isolated_home: Path
) -> None:
    result = azlin("config", "set", *args)
    assert (result.returncode, result.stdout, result.stderr.count("\n")) == (2, "", 1)
    assert message in result.stderr
    assert list(isolated_home.rglob("*")) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[provision]\nsise = 1\n", "line 2: unknown setting 'sise' in [provision]"),
        ('colour = "blue"\n', "line 1: unknown setting 'colour'"),
        (
            "[provision]\nsize = 'a'\n[provision]\nregion = 'b'\n",
            "Cannot declare ('provision',) twice (at line 3",
        ),
        ("region = [\n", "bad.toml, line 1: Invalid value (at end of document)"),
        (
            '\n[provision]\nready_timeout = "ten"\n',
            "line 3: ready_timeout must be a whole number, not str",
        ),
        ('[provision]\nrepo = "https://github.com/a/b"\n', "line 2: repo must be a list"),
        ('[elsewhere]\nregion = "eastus"\n', "line 1: unknown table [elsewhere]"),
        ('no_attach = "yes"\n', "line 1: no_attach must be true or false, not str"),
        ('[list]\nregion = "East US"\n', "line 2: region: Invalid region 'East US'"),
    ],
)
def test_a_malformed_file_is_one_line_naming_file_and_line(
    text: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = azlin("--config", str(path), "list")
    assert (result.returncode, result.stdout, result.stderr.count("\n")) == (2, "", 1)
    assert result.stderr.startswith(f"Error: Config file {path}")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_named_file_is_refused_but_the_default_may_be_absent(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    refused = azlin("--config", str(missing), "logs", "ghost")
    assert (refused.returncode, refused.stderr) == (
        2,
        f"Error: Config file {missing} does not exist; check the path.\n",
    )
    assert azlin("config", "show").returncode == 0
