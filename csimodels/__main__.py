"""``python -m csimodels`` runs the command-line interface."""

from csimodels.cli import main

raise SystemExit(main())
