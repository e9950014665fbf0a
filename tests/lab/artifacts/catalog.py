"""The stand-in archives: a version command per program, vendor layouts, vendor checksum files.

Versions are read from the role's own defaults, so the archives always match what the role
asks for and its version checks are real checks.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import platform
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROLE_DEFAULTS = Path(__file__).resolve().parents[3] / "roles/dev_tools/defaults/main.yml"
# Fixed mtimes make the archives, and so their checksums, the same at every lab start.
MTIME = 1_700_000_000
NODE_PROGRAMS = ("node", "npm", "npx", "corepack")
ARCH = {"x86_64": ("amd64", "x64"), "aarch64": ("arm64", "arm64")}


@dataclass(frozen=True)
class Archive:
    """One archive: its path below the served folder and its files (path -> script body)."""

    path: str
    files: dict[str, str]


def role_versions() -> dict[str, str]:
    defaults = yaml.safe_load(ROLE_DEFAULTS.read_text(encoding="utf-8"))
    tools = ("go", "rust", "node", "uv", "dotnet")
    versions = {tool: str(defaults[f"dev_tools_{tool}_version"]) for tool in tools}
    versions["dotnet_runtime"] = str(defaults["dev_tools_dotnet_runtime_version"])
    return versions


def _prints(line: str) -> str:
    """A program that prints one line, whatever it is asked (enough for a version check)."""
    return f"#!/bin/sh\n# azlin lab stand-in\necho '{line}'\n"


RUST_INSTALLER = """#!/bin/sh
# azlin lab stand-in for rust-installer's install.sh: merges the components' bin folders.
set -eu
prefix=/usr/local
for arg in "$@"; do
    case "$arg" in --prefix=*) prefix="${arg#--prefix=}" ;; esac
done
here=$(dirname "$0")
mkdir -p "$prefix/bin"
cp "$here"/rustc/bin/* "$here"/cargo/bin/* "$prefix/bin/"
"""


def archives(versions: dict[str, str], machine: str = platform.machine()) -> list[Archive]:
    go_arch, node_arch = ARCH[machine]
    triple = f"{machine}-unknown-linux-gnu"
    go, rust, node, uv, dotnet = (versions[k] for k in ("go", "rust", "node", "uv", "dotnet"))
    rust_dir = f"rust-{rust}-{triple}"
    node_dir = f"node-v{node}-linux-{node_arch}"
    return [
        Archive(f"go/go{go}.linux-{go_arch}.tar.gz", {
            "go/bin/go": _prints(f"go version go{go} linux/{go_arch}"),
            "go/bin/gofmt": _prints("gofmt"),
        }),
        Archive(f"rust/{rust_dir}.tar.gz", {
            f"{rust_dir}/install.sh": RUST_INSTALLER,
            f"{rust_dir}/rustc/bin/rustc": _prints(f"rustc {rust} (lab stand-in)"),
            f"{rust_dir}/rustc/bin/rustdoc": _prints(f"rustdoc {rust} (lab stand-in)"),
            f"{rust_dir}/cargo/bin/cargo": _prints(f"cargo {rust} (lab stand-in)"),
        }),
        Archive(f"node/v{node}/{node_dir}.tar.gz", {
            f"{node_dir}/bin/{name}": _prints(f"v{node}") for name in NODE_PROGRAMS
        }),
        Archive(f"uv/{uv}/uv-{triple}.tar.gz", {
            f"uv-{triple}/uv": _prints(f"uv {uv} (lab stand-in)"),
            f"uv-{triple}/uvx": _prints(f"uvx {uv} (lab stand-in)"),
        }),
        Archive(f"dotnet/Sdk/{dotnet}/dotnet-sdk-{dotnet}-linux-{node_arch}.tar.gz", {
            "dotnet": _prints(dotnet),
            f"sdk/{dotnet}/.version": f"{dotnet}\n",
        }),
    ]  # fmt: skip


def tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=MTIME) as compressed,
        tarfile.open(fileobj=compressed, mode="w") as archive,
    ):
        for name, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), MTIME
            info.mode = 0o755 if text.startswith("#!") else 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_artifacts(folder: Path) -> dict[str, str]:
    """Write every archive and its vendor-style checksum file; return path -> sha256."""
    versions = role_versions()
    digests: dict[str, str] = {}
    for archive in archives(versions):
        data = tarball(archive.files)
        target = folder / archive.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        digests[archive.path] = hashlib.sha256(data).hexdigest()
        _write_checksums(folder, archive.path, data, versions)
    return digests


def _write_checksums(folder: Path, path: str, data: bytes, versions: dict[str, str]) -> None:
    """Each vendor's own format: go a bare digest, node one SHASUMS256.txt per release,
    .NET a SHA-512 list per runtime version, rust and uv `<digest>  <file>` beside the file."""
    name = path.rsplit("/", 1)[-1]
    sha256 = hashlib.sha256(data).hexdigest()
    if path.startswith("go/"):
        (folder / f"{path}.sha256").write_text(f"{sha256}\n")
    elif path.startswith("node/"):
        (folder / path).with_name("SHASUMS256.txt").write_text(f"{sha256}  {name}\n")
    elif path.startswith("dotnet/"):
        sums = folder / "dotnet/checksums" / f"{versions['dotnet_runtime']}-sha.txt"
        sums.parent.mkdir(parents=True, exist_ok=True)
        sums.write_text(f"Hash: SHA512\n\n{hashlib.sha512(data).hexdigest()} {name}\n")
    else:
        (folder / f"{path}.sha256").write_text(f"{sha256}  {name}\n")


def lab_vars(base_url: str) -> dict[str, Any]:
    """dev_tools variables for the lab: the archives from here, apt-repo tools from Debian.

    Vendor apt repositories (docker, gh, azure-cli) cannot be stood in for without a signed
    repository of real packages, so those tools come from Debian's own packages in the lab.
    """
    return {
        "dev_tools_go_base_url": f"{base_url}/go",
        "dev_tools_rust_base_url": f"{base_url}/rust",
        "dev_tools_node_base_url": f"{base_url}/node/v{{{{ dev_tools_node_version }}}}",
        "dev_tools_uv_base_url": f"{base_url}/uv",
        "dev_tools_dotnet_base_url": f"{base_url}/dotnet",
        "dev_tools_docker_source": "distro",
        "dev_tools_gh_source": "distro",
        "dev_tools_azure_cli_source": "distro",
        # dockerd cannot start in a test VM (an unprivileged nspawn container): docker's
        # package and CLI are installed and checked, its service is not started.
        "dev_tools_docker_service_enabled": False,
        # Debian's azure-cli takes over two minutes to unpack on a test VM, which every
        # `azlin provision` in the lab would pay; tests/roles turns it on where it is proven.
        "dev_tools_azure_cli_enabled": False,
    }
