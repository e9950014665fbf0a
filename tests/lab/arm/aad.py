"""Azure AD's endpoints that azure-identity (MSAL) uses for a client-secret credential."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.lab.arm.credentials import LabCredentials

AUTHORITY = "https://login.microsoftonline.com"
# Scopes are accepted for ARM under both names Azure gives it; the token's audience is the
# resource the client asked for, as AAD v1 tokens carry it.
ARM_RESOURCES = ("https://management.azure.com", "https://management.core.windows.net")
TOKEN_LIFETIME = 3599
ALIASES = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class TokenAuthority:
    """Signs the lab's access tokens and checks them when ARM is called."""

    credentials: LabCredentials
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def issue(self, audience: str) -> str:
        now = int(time.time())
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.credentials.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "appid": self.credentials.client_id,
            "tid": self.credentials.tenant_id,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, self.credentials.client_id)),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, self.credentials.client_id)),
            "ver": "1.0",
        }
        head = _b64(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "azlin-lab"}).encode())
        body = _b64(json.dumps(claims).encode())
        return f"{head}.{body}.{self._sign(head, body)}"

    def _sign(self, head: str, body: str) -> str:
        return _b64(hmac.new(self.key, f"{head}.{body}".encode(), hashlib.sha256).digest())

    def verify(self, token: str) -> dict[str, Any] | None:
        """The token's claims if this lab signed it and it has not expired, else None."""
        parts = token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(self._sign(parts[0], parts[1]), parts[2]):
            return None
        claims: dict[str, Any] = json.loads(_unb64(parts[1]))
        return claims if claims.get("exp", 0) > time.time() else None


def aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    """AAD's OAuth error body, with the AADSTS code that names the failure."""
    trace = str(uuid.uuid4())
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": trace,
            "correlation_id": str(uuid.uuid4()),
            "error_uri": f"{AUTHORITY}/error?code={code}",
        },
        status=status,
    )


def _known_tenant(credentials: LabCredentials, tenant: str) -> bool:
    return tenant in (credentials.tenant_id, "common", "organizations")


def _openid_configuration(tenant: str, version: str) -> dict[str, Any]:
    base = f"{AUTHORITY}/{tenant}"
    suffix = "/v2.0" if version == "v2.0" else ""
    return {
        "token_endpoint": f"{base}/oauth2{suffix}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "jwks_uri": f"{AUTHORITY}/{tenant}/discovery{suffix}/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"https://login.microsoftonline.com/{tenant}{suffix}",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{base}/oauth2{suffix}/authorize",
        "device_authorization_endpoint": f"{base}/oauth2{suffix}/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2{suffix}/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "ver"],
        "kerberos_endpoint": f"{base}/kerberos",
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def _audience(scope: str) -> str | None:
    """The resource a `.default` scope names, if it is ARM."""
    for item in scope.split():
        resource = item.removesuffix("/.default").rstrip("/")
        if resource in ARM_RESOURCES:
            return resource
    return None


class AadEndpoints:
    """Request handlers for login.microsoftonline.com."""

    def __init__(self, authority: TokenAuthority) -> None:
        self.authority = authority
        self.credentials = authority.credentials

    async def instance_discovery(self, request: web.Request) -> web.Response:
        endpoint = request.query.get(
            "authorization_endpoint", f"{AUTHORITY}/common/oauth2/authorize"
        )
        tenant = endpoint.removeprefix(AUTHORITY + "/").split("/")[0] or "common"
        return web.json_response(
            {
                "tenant_discovery_endpoint": (
                    f"{AUTHORITY}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": "login.microsoftonline.com",
                        "preferred_cache": "login.windows.net",
                        "aliases": ALIASES,
                    }
                ],
            }
        )

    async def openid_configuration(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if not _known_tenant(self.credentials, tenant):
            return aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        version = "v2.0" if request.path.split("/")[2] == "v2.0" else "v1"
        return web.json_response(_openid_configuration(tenant, version))

    async def token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = await request.post()
        if tenant != self.credentials.tenant_id:
            return aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return aad_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        failure = self._check_client(
            str(form.get("client_id", "")), str(form.get("client_secret", ""))
        )
        if failure is not None:
            return failure
        scope = str(form.get("scope") or form.get("resource") or "")
        audience = _audience(scope)
        if audience is None:
            return aad_error(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {scope} was not found in the tenant.",
            )
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": self.authority.issue(audience),
            }
        )

    def _check_client(self, client_id: str, secret: str) -> web.Response | None:
        if client_id != self.credentials.client_id:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.credentials.tenant_id}'.",
            )
        if not hmac.compare_digest(secret.encode(), self.credentials.client_secret.encode()):
            return aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        return None


def make_aad_app(authority: TokenAuthority) -> web.Application:
    endpoints = AadEndpoints(authority)
    app = web.Application()
    app.router.add_get("/common/discovery/instance", endpoints.instance_discovery)
    app.router.add_get("/{tenant}/discovery/instance", endpoints.instance_discovery)
    app.router.add_get(
        "/{tenant}/v2.0/.well-known/openid-configuration", endpoints.openid_configuration
    )
    app.router.add_get("/{tenant}/.well-known/openid-configuration", endpoints.openid_configuration)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", endpoints.token)
    app.router.add_post("/{tenant}/oauth2/token", endpoints.token)
    return app
