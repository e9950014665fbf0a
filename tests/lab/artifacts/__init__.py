"""Small stand-ins for the release archives dev_tools downloads, served over HTTP on the bridge.

The test VMs cannot reach go.dev, static.rust-lang.org, nodejs.org, GitHub releases or
Microsoft's download site, so the lab serves archives laid out like theirs, with checksum
files in the vendors' formats, at the same paths below a local base URL. The role's tasks
run unchanged; only the base-URL variables differ (see `lab_vars`).
"""

from __future__ import annotations

from tests.lab.artifacts.catalog import build_artifacts, lab_vars
from tests.lab.artifacts.server import start_artifact_server

__all__ = ["build_artifacts", "lab_vars", "start_artifact_server"]
