"""The Azure SDK clients azlin reads and acts through, and how their errors reach the user."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from azlin.azure.credentials import SdkLogin, sdk_login
from azlin.errors import AuthenticationError, ProvisioningError

if TYPE_CHECKING:
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource import ResourceManagementClient


@dataclass(frozen=True)
class AzureClients:
    """One login, one client per service, each built on first use (their imports are heavy)."""

    login: SdkLogin

    @cached_property
    def compute(self) -> ComputeManagementClient:
        from azure.mgmt.compute import ComputeManagementClient

        return ComputeManagementClient(self.login.credential, self.login.subscription_id)

    @cached_property
    def network(self) -> NetworkManagementClient:
        from azure.mgmt.network import NetworkManagementClient

        return NetworkManagementClient(self.login.credential, self.login.subscription_id)

    @cached_property
    def resources(self) -> ResourceManagementClient:
        from azure.mgmt.resource import ResourceManagementClient

        return ResourceManagementClient(self.login.credential, self.login.subscription_id)


def azure_clients(env: Mapping[str, str] | None = None) -> AzureClients:
    with azure_errors("signing in to Azure"):
        return AzureClients(sdk_login(env))


@contextmanager
def azure_errors(doing: str) -> Iterator[None]:
    """Turn the SDK's exceptions into azlin's: a one-line message saying what to do next."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
    )

    try:
        yield
    except ClientAuthenticationError as error:
        raise AuthenticationError(
            f"Azure refused the credentials while {doing}: {_first_line(error.message)}. "
            "Run `az login`, or check AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID."
        ) from error
    except ServiceRequestError as error:
        raise AuthenticationError(
            f"Could not reach Azure while {doing}: {_first_line(str(error))}. "
            "Check your network and retry."
        ) from error
    except HttpResponseError as error:
        raise ProvisioningError(
            f"Azure answered HTTP {error.status_code} while {doing}: "
            f"{_first_line(error.message)}. Retry; if it persists, check the VM in the portal."
        ) from error


def resource_group_of(resource_id: str) -> str:
    """The group named in an ARM id (`/subscriptions/S/resourceGroups/G/providers/...`)."""
    parts = resource_id.split("/")
    lowered = [part.lower() for part in parts]
    return parts[lowered.index("resourcegroups") + 1]


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else "no detail given"
