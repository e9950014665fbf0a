"""The lab's certificate authority: made at start-up, trusted only by what the lab points at it."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

from tests.lab.config import ARM_HOSTS, GITHUB_HOSTS, PRICES_HOSTS, LabConfig

SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class LabPki:
    """Files of the lab CA and of the one server certificate every lab endpoint presents."""

    ca_cert: Path
    ca_bundle: Path
    server_cert: Path
    server_key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        return context


def create_pki(config: LabConfig) -> LabPki:
    """Make a fresh CA and a server certificate for every host name the lab answers for."""
    folder = config.ca_cert.parent
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    authority = trustme.CA(organization_name="azlin lab")
    names = [
        *ARM_HOSTS,
        *PRICES_HOSTS,
        *GITHUB_HOSTS,
        "localhost",
        "127.0.0.1",
        str(config.bridge_address),
    ]
    server = authority.issue_cert(*names)
    pki = LabPki(
        ca_cert=config.ca_cert,
        ca_bundle=config.ca_bundle,
        server_cert=folder / "server.pem",
        server_key=folder / "server-key.pem",
    )
    authority.cert_pem.write_to_path(str(pki.ca_cert))
    server.private_key_pem.write_to_path(str(pki.server_key))
    pki.server_key.chmod(0o600)
    server.cert_chain_pems[0].write_to_path(str(pki.server_cert))
    system = SYSTEM_CA_BUNDLE.read_bytes() if SYSTEM_CA_BUNDLE.exists() else b""
    pki.ca_bundle.write_bytes(system + authority.cert_pem.bytes())
    return pki


def load_pki(config: LabConfig) -> LabPki:
    """The PKI a running lab made, for clients that only need to trust it."""
    folder = config.ca_cert.parent
    return LabPki(
        config.ca_cert, config.ca_bundle, folder / "server.pem", folder / "server-key.pem"
    )
