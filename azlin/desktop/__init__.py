"""A graphical desktop on a VM, seen through an SSH tunnel for one session."""

from __future__ import annotations
