"""`python -m scaffold` runs the command line."""

from .cli import main

main()
