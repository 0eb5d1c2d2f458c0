"""``python -m pricing`` runs the CLI."""

import sys

from pricing.cli import main

sys.exit(main())
