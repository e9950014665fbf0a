"""azlin: from "I need a machine" to a tmux prompt on a ready Azure VM, through Ansible."""

from __future__ import annotations

__version__ = "0.1.0"
