"""`azlin completion SHELL`, and completion of VM names from local files."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem, get_completion_class

from azlin.console import Console

COMPLETE_VARIABLE = "_AZLIN_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def complete_vm_names(
    context: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """VM names starting with `incomplete`; reads local files only, so it is instant."""
    from azlin.vm_names import known_names

    return [CompletionItem(name) for name in known_names() if name.startswith(incomplete)]


def complete_remote_paths(
    context: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """`NAME:` for `azlin cp`, whose VM side is written NAME:path; local paths otherwise."""
    from azlin.vm_names import known_names

    remote = [CompletionItem(f"{name}:") for name in known_names() if name.startswith(incomplete)]
    return [*remote, CompletionItem(incomplete, type="file")]


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(context: click.Context, *, shell: str) -> None:
    """Print the shell completion script for SHELL.

    For bash: `eval "$(azlin completion bash)"` in ~/.bashrc; zsh: the same in ~/.zshrc; fish:
    `azlin completion fish > ~/.config/fish/completions/azlin.fish`.
    """
    root = context.find_root()
    assert isinstance(root.command, click.Command)
    complete_class = get_completion_class(shell)
    assert complete_class is not None
    script = complete_class(root.command, {}, "azlin", COMPLETE_VARIABLE).source()
    console: Console = context.obj
    console.data_lines(script.splitlines())
