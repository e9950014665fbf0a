"""azlin's config file: where it is, and writing one setting into it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs

from azlin.paths import APP_NAME
from azlin.settings.toml_file import edit_document, write_toml

CONFIG_FILE_NAME = "config.toml"
CONFIG_VARIABLE = "AZLIN_CONFIG"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_config_path() -> Path:
    return config_dir() / CONFIG_FILE_NAME


def set_setting(path: Path, table: str | None, key: str, value: Any) -> None:
    """Write `key = value` (inside `[table]` when given), keeping the file's comments."""
    import tomlkit

    document = edit_document(path)
    if table is None:
        document[key] = value
    else:
        section = document.get(table)
        if section is None:
            section = tomlkit.table()
            document[table] = section
        section[key] = value
    write_toml(path, document)


def unset_setting(path: Path, table: str | None, key: str) -> bool:
    """Remove `key`; returns whether it was there."""
    document = edit_document(path)
    section = document if table is None else document.get(table)
    if section is None or key not in section:
        return False
    del section[key]
    write_toml(path, document)
    return True
