"""The tool set a test VM gets when the tools themselves are not under test.

The full set (every dev_tools switch on) is proven by tests/roles/test_dev_tools.py and by the
walking-skeleton provision in tests/e2e/test_provision.py. Elsewhere a provision only needs
the packages azlin's own steps use, which saves about a minute per fresh VM.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.lab.artifacts.server import VARS_VARIABLE
from tests.lab.client import LabClient

SMALL_TOOL_SET = """
dev_tools_packages: [git, tmux, rsync]
dev_tools_docker_enabled: false
dev_tools_python_enabled: false
dev_tools_uv_enabled: false
dev_tools_azure_cli_enabled: false
dev_tools_node_enabled: false
dev_tools_rust_enabled: false
dev_tools_go_enabled: false
dev_tools_dotnet_enabled: false
"""


def with_small_tool_set(lab: LabClient, folder: Path) -> LabClient:
    """The lab, its playbook variables (AZLIN_ANSIBLE_VARS) extended with the small set."""
    variables = folder / "small-tool-set.yml"
    lab_vars = Path(lab.env[VARS_VARIABLE]).read_text(encoding="utf-8")
    variables.write_text(lab_vars + SMALL_TOOL_SET, encoding="utf-8")
    return dataclasses.replace(lab, env={**lab.env, VARS_VARIABLE: str(variables)})
