"""``python -m gancore.live ADDRESS``: a training worker process (started by the pool)."""

import sys

from gancore.live.worker import main

if __name__ == "__main__":
    main(sys.argv[1])
