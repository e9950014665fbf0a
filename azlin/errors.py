"""The one family of errors azlin raises; each carries the exit code the CLI documents."""

from __future__ import annotations


class AzlinError(Exception):
    """An error the user can act on: `message` says what went wrong and what to do next."""

    exit_code = 1

    def __init__(self, message: str, *, cleanup_hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cleanup_hint = cleanup_hint


class InvalidInputError(AzlinError):
    """A value given on the command line or in the environment is not acceptable."""

    exit_code = 2


class PrerequisiteError(AzlinError):
    """A local program or file this run needs is missing."""

    exit_code = 2


class AuthenticationError(AzlinError):
    """Azure credentials are missing, wrong, or cannot reach the subscription."""

    exit_code = 3


class ProvisioningError(AzlinError):
    """Creating (or tearing down) Azure resources failed."""

    exit_code = 4


class ReadinessError(AzlinError):
    """The VM did not become reachable or ready, or a connection to it failed."""

    exit_code = 5


class ConnectionLostError(ReadinessError):
    """ssh itself failed (exit 255): no connection, or the connection dropped."""


class HostKeyMismatchError(ReadinessError):
    """The host answering at the VM's address shows another key than the one pinned for it."""


class UnknownVmError(AzlinError):
    """A VM name that azlin has no record of."""

    exit_code = 5


class VmNotRunningError(AzlinError):
    """The command needs the VM running, and Azure reports it stopped or deallocated."""

    exit_code = 5
