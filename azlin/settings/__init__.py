"""The user's settings on disk: the config file and the VM templates, both TOML."""

from __future__ import annotations
