"""Reading and writing azlin's TOML files: errors name the file and line, writes are atomic."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azlin.errors import InvalidInputError
from azlin.paths import private_dir

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\]\s]+)\s*\]")


@dataclass(frozen=True)
class TomlFile:
    """A parsed file and its text, kept to point at the line of a bad key."""

    path: Path
    data: dict[str, Any]
    text: str

    def where(self, key: str, table: str | None = None) -> str:
        """`FILE, line N` for `key` (in `[table]`, or at the top level)."""
        line = line_of(self.text, key, table)
        return f"{self.path}, line {line}" if line else str(self.path)


def read_toml(path: Path, what: str) -> TomlFile:
    """Parse `path`; a missing, unreadable or malformed file is an InvalidInputError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InvalidInputError(f"{what} {path} does not exist; check the path.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{what} {path} cannot be read ({error}); fix it.") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = f"{path}, line {max(len(text.splitlines()), 1)}" if _at_end(error) else path
        raise InvalidInputError(f"{what} {where}: {error}; fix the TOML there.") from error
    return TomlFile(path, data, text)


def _at_end(error: tomllib.TOMLDecodeError) -> bool:
    """tomllib names a line for every error but one at the end of the text."""
    return "end of document" in str(error)


def line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The 1-based line where `key` is set inside `[table]` (None: top level)."""
    current: str | None = None
    assignment = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            current = header[1]
            if key == current and table is None:
                return number
        elif current == table and assignment.match(line):
            return number
    return None


def write_toml(path: Path, document: Mapping[str, Any]) -> None:
    """Write 0600 through a temporary file and a rename: never half a file."""
    directory = private_dir(path.parent)
    import tomlkit

    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(tomlkit.dumps(document))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def edit_document(path: Path) -> TOMLDocument:
    """The file as a style-preserving document (comments kept), or a new one."""
    import tomlkit

    if not path.exists():
        return tomlkit.document()
    return tomlkit.parse(path.read_text(encoding="utf-8"))
