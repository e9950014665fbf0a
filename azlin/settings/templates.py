"""Named VM templates: presets of `azlin provision` options, one TOML file each."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from azlin.errors import InvalidInputError
from azlin.settings.config_file import config_dir
from azlin.settings.toml_file import TomlFile, read_toml, write_toml

_TEMPLATE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")


def templates_dir() -> Path:
    return config_dir() / "templates"


def check_template_name(name: str) -> str:
    if not _TEMPLATE_NAME.match(name):
        raise InvalidInputError(
            f"Invalid template name {name!r}: use 1-64 lower-case letters, digits, '-' and '_', "
            "starting and ending with a letter or digit."
        )
    return name


def template_path(name: str) -> Path:
    return templates_dir() / f"{check_template_name(name)}.toml"


def load_template(name: str) -> TomlFile:
    path = template_path(name)
    if not path.exists():
        raise InvalidInputError(
            f"No template named {name!r}; `azlin template list` shows them, "
            f"`azlin template create {name} --size ...` makes it."
        )
    return read_toml(path, "Template file")


def save_template(name: str, values: dict[str, Any]) -> Path:
    path = template_path(name)
    write_toml(path, values)
    return path


def delete_template(name: str) -> None:
    path = template_path(name)
    if not path.exists():
        raise InvalidInputError(f"No template named {name!r}; `azlin template list` shows them.")
    path.unlink()


def template_names() -> list[str]:
    folder = templates_dir()
    return sorted(path.stem for path in folder.glob("*.toml")) if folder.is_dir() else []
