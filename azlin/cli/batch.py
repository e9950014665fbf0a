"""`azlin batch`: one command on many VMs at once."""

from __future__ import annotations

import os
from typing import Any

import click

from azlin.console import Console
from azlin.errors import InvalidInputError

# Documented exit codes beyond 0 (every VM ran the command and it exited 0).
EXIT_COMMAND_FAILED = 1
EXIT_NOT_RUN = 5
OUTPUT_COLUMN_WIDTH = 60


class BatchCommand(click.Command):
    """Everything after the first `--` is the remote command; VM names come before it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            split = args.index("--")
            ctx.meta["batch_command"] = tuple(args[split + 1 :])
            args = args[:split]
        return super().parse_args(ctx, args)


@click.command(cls=BatchCommand)
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    help="Instead of names: every azlin VM carrying this Azure tag (repeatable: all of them).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 86400),
    default=600,
    show_default=True,
    envvar="AZLIN_BATCH_TIMEOUT",
    help="Seconds to wait for each VM [env: AZLIN_BATCH_TIMEOUT].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def batch(
    ctx: click.Context,
    *,
    names: tuple[str, ...],
    tags: tuple[str, ...],
    timeout: float,
    as_json: bool,
) -> int:
    """Run `-- COMMAND` on several VMs at once and report each VM's exit code.

    \b
    Examples:
      azlin batch dev-1 dev-2 -- uptime
      azlin batch --tag team=infra -- sudo apt-get -y upgrade

    Exits 0 when the command exited 0 on every VM, 1 when it ran everywhere but failed on
    some, and 5 when some VM could not be reached (or was not provisioned from this machine).
    """
    from azlin.ssh.fanout import run_everywhere
    from azlin.vm_selection import batch_targets

    console: Console = ctx.obj
    command = ctx.meta.get("batch_command") or ()
    if not command:
        raise InvalidInputError("Give the command after `--`, e.g. `azlin batch NAME -- uptime`.")
    targets, skipped = batch_targets(names, tags, os.environ)
    outcomes = run_everywhere(targets, command, timeout) + skipped
    _render(console, [outcome.as_dict() for outcome in outcomes], as_json)
    if any(outcome.exit_code is None for outcome in outcomes):
        return EXIT_NOT_RUN
    return 0 if all(outcome.ok for outcome in outcomes) else EXIT_COMMAND_FAILED


def _render(console: Console, rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        console.data_json(rows)
        return
    table = [
        [
            row["name"],
            row["host"],
            "-" if row["exit_code"] is None else str(row["exit_code"]),
            f"{row['seconds']:.1f}s",
            _summary(row),
        ]
        for row in rows
    ]
    console.data_table(["NAME", "HOST", "EXIT", "TIME", "OUTPUT"], table)
    ok = sum(1 for row in rows if row["exit_code"] == 0)
    console.info(f"{ok} of {len(rows)} VM(s) succeeded.")


def _summary(row: dict[str, Any]) -> str:
    """The problem, else the last line of output: one cell; --json has all of it."""
    text = row["problem"] or (row["stdout"] or row["stderr"]).strip()
    last = text.splitlines()[-1] if text else ""
    return last if len(last) <= OUTPUT_COLUMN_WIDTH else last[: OUTPUT_COLUMN_WIDTH - 1] + "…"
