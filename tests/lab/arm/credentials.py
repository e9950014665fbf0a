"""The one service principal, tenant and subscription a lab instance knows."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class LabCredentials:
    """What a client must present to the lab's AAD and ARM; made fresh at every lab start."""

    tenant_id: str
    subscription_id: str
    client_id: str
    client_secret: str
    subscription_name: str = "azlin lab subscription"

    @classmethod
    def generate(cls) -> LabCredentials:
        return cls(
            tenant_id=str(uuid.uuid4()),
            subscription_id=str(uuid.uuid4()),
            client_id=str(uuid.uuid4()),
            # AAD client secrets are 40 characters of URL-safe text.
            client_secret=secrets.token_urlsafe(30),
        )

    def client_env(self) -> dict[str, str]:
        """The variables azure.azcollection (and azure-identity's EnvironmentCredential) read."""
        return {
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_SECRET": self.client_secret,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_TENANT": self.tenant_id,
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
        }
