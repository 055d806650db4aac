"""`python -m perfdsl` runs the command line."""

import sys

from perfdsl.cli import main

sys.exit(main())
