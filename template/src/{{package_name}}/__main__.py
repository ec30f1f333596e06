"""`python -m` on this package is the same as the `restack` command."""

from .cli import main

main()
