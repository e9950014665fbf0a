"""Serve the stand-in archives over plain HTTP on the lab bridge, as a download site would."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from aiohttp import web

from tests.lab.artifacts.catalog import build_artifacts, lab_vars
from tests.lab.config import LabConfig

log = logging.getLogger(__name__)
# The lab's environment names this file; playbooks/configure.yml loads it (see its comment).
VARS_VARIABLE = "AZLIN_ANSIBLE_VARS"


def artifacts_dir(config: LabConfig) -> Path:
    return config.state_dir / "artifacts"


def vars_file(config: LabConfig) -> Path:
    return config.state_dir / "dev-tools-lab-vars.yml"


async def start_artifact_server(config: LabConfig) -> tuple[web.AppRunner, dict[str, str]]:
    """Build the archives, write the lab's dev_tools variables, and serve; returns the runner
    (to clean up) and the environment that points azlin's playbooks at the variables."""
    folder = artifacts_dir(config)
    build_artifacts(folder)
    text = yaml.safe_dump(lab_vars(config.artifact_url), sort_keys=True)
    vars_file(config).write_text("---\n# Written by the lab at start-up.\n" + text)
    app = web.Application()
    app.router.add_static("/", folder, show_index=True)
    runner = web.AppRunner(app, access_log=log)
    await runner.setup()
    await web.TCPSite(runner, str(config.bridge_address), config.artifact_port).start()
    return runner, {VARS_VARIABLE: str(vars_file(config))}
