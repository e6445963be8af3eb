"""``python -m oncotrial`` runs the command line."""

from oncotrial.cli import main

main()
