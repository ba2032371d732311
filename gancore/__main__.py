"""`python -m gancore ...`: see gancore/cli.py."""

import sys

from gancore.cli import main

if __name__ == "__main__":
    sys.exit(main())
