"""`python -m wayfinder` runs the CLI."""

import sys

from wayfinder.cli.main import main

sys.exit(main())
