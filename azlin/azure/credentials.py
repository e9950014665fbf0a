"""Azure credentials from a service principal's standard variables or the az CLI login.

azlin never stores a token: it checks the credentials once, then hands the same source to
Ansible through the environment of the run.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from azlin.errors import AuthenticationError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

logger = logging.getLogger(__name__)

ARM_SCOPE = "https://management.azure.com/.default"
ARM_ENDPOINT = "https://management.azure.com"
SUBSCRIPTION_API_VERSION = "2022-12-01"


@dataclass(frozen=True)
class AzureCredentials:
    subscription_id: str
    tenant_id: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    @property
    def is_service_principal(self) -> bool:
        return self.client_id is not None

    def ansible_environment(self) -> dict[str, str]:
        """Variables azure.azcollection reads; passed in the run's environment, never argv."""
        if self.client_id is None or self.client_secret is None:
            return {
                "ANSIBLE_AZURE_AUTH_SOURCE": "cli",
                "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            }
        return {
            "ANSIBLE_AZURE_AUTH_SOURCE": "env",
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_SECRET": self.client_secret,
            "AZURE_TENANT": self.tenant_id,
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
        }


def service_principal_from_env(env: Mapping[str, str]) -> AzureCredentials | None:
    """The SDK's names (AZURE_CLIENT_SECRET, AZURE_TENANT_ID) or the collection's (AZURE_SECRET,
    AZURE_TENANT); None when no client id and secret are set."""
    client_id = env.get("AZURE_CLIENT_ID")
    secret = env.get("AZURE_CLIENT_SECRET") or env.get("AZURE_SECRET")
    if not client_id or not secret:
        return None
    tenant = env.get("AZURE_TENANT_ID") or env.get("AZURE_TENANT")
    subscription = env.get("AZURE_SUBSCRIPTION_ID")
    missing = [
        name
        for name, value in (("AZURE_TENANT_ID", tenant), ("AZURE_SUBSCRIPTION_ID", subscription))
        if not value
    ]
    if missing or tenant is None or subscription is None:
        raise AuthenticationError(
            f"AZURE_CLIENT_ID and a secret are set but {', '.join(missing)} is not; "
            "set it, or unset AZURE_CLIENT_ID to use your az CLI login."
        )
    return AzureCredentials(subscription, tenant, client_id, secret)


def resolve_credentials(env: Mapping[str, str] | None = None) -> AzureCredentials:
    """Service principal from the environment if set, else the az CLI's current login; verified."""
    environment = os.environ if env is None else env
    credentials = service_principal_from_env(environment)
    if credentials is None:
        return _from_az_cli(environment.get("AZURE_SUBSCRIPTION_ID"))
    _verify_service_principal(credentials)
    return credentials


def _verify_service_principal(credentials: AzureCredentials) -> None:
    """Get a token and read the subscription: proves both the secret and the access."""
    # Imported here: the Azure SDK costs about a second, which only this step should pay.
    import requests
    from azure.core.exceptions import AzureError, ClientAuthenticationError
    from azure.identity import ClientSecretCredential

    assert credentials.client_id and credentials.client_secret
    identity = ClientSecretCredential(
        credentials.tenant_id, credentials.client_id, credentials.client_secret
    )
    try:
        token = identity.get_token(ARM_SCOPE).token
    except ClientAuthenticationError as error:
        raise AuthenticationError(
            f"Azure rejected the service principal {credentials.client_id}: "
            f"{_first_line(error.message)}. Check AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and "
            "AZURE_TENANT_ID."
        ) from error
    except AzureError as error:
        raise AuthenticationError(
            f"Could not reach Azure's sign-in service: {_first_line(str(error))}. "
            "Check your network and retry."
        ) from error
    url = f"{ARM_ENDPOINT}/subscriptions/{credentials.subscription_id}"
    try:
        response = requests.get(
            url,
            params={"api-version": SUBSCRIPTION_API_VERSION},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except requests.RequestException as error:
        raise AuthenticationError(
            f"Could not reach Azure Resource Manager: {_first_line(str(error))}. "
            "Check your network."
        ) from error
    if response.status_code != 200:
        raise AuthenticationError(
            f"Subscription {credentials.subscription_id} is not accessible to this service "
            f"principal (HTTP {response.status_code}). Check AZURE_SUBSCRIPTION_ID and the "
            "principal's role assignment."
        )


def _from_az_cli(subscription: str | None) -> AzureCredentials:
    command = ["az", "account", "show", "--output", "json"]
    if subscription:
        command += ["--subscription", subscription]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AuthenticationError(
            "The az CLI has no usable login "
            f"({_first_line(result.stderr) or 'exit ' + str(result.returncode)}). "
            "Run `az login`, or set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID and "
            "AZURE_SUBSCRIPTION_ID."
        )
    account = json.loads(result.stdout)
    logger.debug("Using az CLI subscription %s", account.get("id"))
    return AzureCredentials(subscription_id=account["id"], tenant_id=account["tenantId"])


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


@dataclass(frozen=True)
class SdkLogin:
    """What the Azure SDK clients need: a token source and the subscription to work in."""

    credential: TokenCredential
    subscription_id: str


def sdk_login(env: Mapping[str, str] | None = None) -> SdkLogin:
    """A credential for the SDK: the service principal if set, else the az CLI's login.

    Unlike `resolve_credentials` this does not spend a round trip proving the login: the first
    SDK call does that, and read-only commands should answer at once.
    """
    from azure.identity import AzureCliCredential, ClientSecretCredential

    environment = os.environ if env is None else env
    principal = service_principal_from_env(environment)
    if principal is not None and principal.client_id and principal.client_secret:
        secret = ClientSecretCredential(
            principal.tenant_id, principal.client_id, principal.client_secret
        )
        return SdkLogin(secret, principal.subscription_id)
    # az knows the current subscription; asking it costs a second, so only when none is set.
    subscription = environment.get("AZURE_SUBSCRIPTION_ID") or _from_az_cli(None).subscription_id
    return SdkLogin(AzureCliCredential(), subscription)
