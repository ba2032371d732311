"""`python -m gancore ...`: see gancore/cli/."""

import os
import sys

from gancore.cli import main
from gancore.train.distributed import exit_worker

if __name__ == "__main__":
    code = main()
    if os.environ.get("WORLD_SIZE", "1") not in ("", "0", "1"):
        exit_worker(code)  # a torchrun worker: skip interpreter finalization (see exit_worker)
    sys.exit(code)
