"""`python -m app ...`: the `phymotion` command line."""

import sys

from app.cli import main

sys.exit(main())
