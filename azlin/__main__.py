from __future__ import annotations

from azlin.cli import main

main()
