# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`python -m` on this package is the same as the `restack` command."""

from .cli import main

main()
