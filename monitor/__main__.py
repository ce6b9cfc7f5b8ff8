"""``python -m monitor`` runs the command line, like the ``crimea-monitor`` script."""

from monitor.cli import main

main()
