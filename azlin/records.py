"""azlin's local record of the VMs it provisioned: enough to connect without asking Azure."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from azlin.atomic import write_atomically
from azlin.errors import UnknownVmError
from azlin.paths import private_dir, vm_records_dir


@dataclass(frozen=True)
class VmRecord:
    name: str
    resource_group: str
    region: str
    size: str
    public_ip: str
    admin_user: str
    # What `azlin repair` runs again: the repositories and the user's own provisioning
    # (lists once read back from JSON).
    repos: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    playbook: str | None = None
    extra_vars: tuple[str, ...] = ()


def save_record(record: VmRecord, folder: Path | None = None) -> Path:
    """Write atomically, 0600: an interrupted write leaves the old record, never half a file."""
    directory = private_dir(folder or vm_records_dir())
    path = directory / f"{record.name}.json"
    return write_atomically(path, json.dumps(asdict(record), indent=2))


def find_record(name: str, folder: Path | None = None) -> VmRecord | None:
    path = (folder or vm_records_dir()) / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return VmRecord(**data)


def all_records(folder: Path | None = None) -> list[VmRecord]:
    directory = folder or vm_records_dir()
    paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    return [VmRecord(**json.loads(path.read_text(encoding="utf-8"))) for path in paths]


def load_record(name: str, folder: Path | None = None) -> VmRecord:
    record = find_record(name, folder)
    if record is None:
        raise UnknownVmError(
            f"No VM named {name!r} was provisioned from this machine; "
            "check the name, or create it with `azlin provision --name " + name + "`."
        )
    return record
