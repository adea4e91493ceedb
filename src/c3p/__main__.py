"""``python -m c3p`` runs the CLI."""

from c3p.cli import main

main()
