"""``python -m gancore.live ADDRESS``: a training worker process (started by the pool)."""

import sys

from gancore.live.worker import main

main(sys.argv[1])
