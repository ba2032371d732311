"""``python -m gancore.eval.classifier train --dataset D --out DIR``: see :mod:`.cli`."""

from gancore.eval.classifier.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
