"""Notifications when provision, repair or destroy ends, wired onto the commands themselves."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from azlin.console import Console
from azlin.errors import AzlinError
from azlin.notify import NOTIFY_VARIABLE, NotificationFailed, Outcome, send
from azlin.settings.checks import check_notify_command

F = TypeVar("F", bound=Callable[..., Any])
PARAM = "notify_command"


def notify_option() -> Callable[[F], F]:
    return click.option(
        "--notify-command",
        PARAM,
        envvar=NOTIFY_VARIABLE,
        metavar="COMMAND",
        callback=_checked,
        help=f"Run COMMAND with a message when this ends [env: {NOTIFY_VARIABLE}; default: "
        "notify-send when installed, else nothing].",
    )


def _checked(context: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return check_notify_command(value) if value is not None else None


def notifying(command: click.Command, operation: str) -> click.Command:
    """Notify when `command` fails; and when it succeeds unless it declares the option itself
    (then it notifies its own success, as provision does once the VM is ready)."""
    declared = any(param.name == PARAM for param in command.params)
    if not declared:
        notify_option()(command)
    assert command.callback is not None
    command.callback = _wrapped(command.callback, operation, notifies_success=not declared)
    return command


def _wrapped(callback: Callable[..., Any], operation: str, *, notifies_success: bool) -> Any:
    @functools.wraps(callback)
    def run(**params: Any) -> Any:
        notify_command = params.pop(PARAM) if notifies_success else params[PARAM]
        vm_name = str(params.get("name") or params.get("vm_name") or "")
        try:
            result = callback(**params)
        except AzlinError as error:
            _send(
                notify_command,
                Outcome(operation, vm_name, False, _failed(operation, vm_name, error)),
            )
            raise
        if notifies_success and not params.get("dry_run"):
            message = f"azlin: {operation} of {vm_name} succeeded"
            _send(notify_command, Outcome(operation, vm_name, True, message))
        return result

    return run


def _failed(operation: str, vm_name: str, error: AzlinError) -> str:
    return f"azlin: {operation} of {vm_name or 'a new VM'} failed: {error.message}"


def _send(command: str | None, outcome: Outcome) -> None:
    try:
        send(command, outcome)
    except NotificationFailed as failure:
        console: Console = click.get_current_context().obj
        console.warn(f"Notification not sent: {failure}")
