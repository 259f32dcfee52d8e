"""Entry point of `python -m <package>`; see cli.py for the commands."""

from .cli import main

raise SystemExit(main())
