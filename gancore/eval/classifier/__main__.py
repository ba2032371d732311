"""``python -m gancore.eval.classifier train --dataset D --out DIR``: see :mod:`.cli`."""

from gancore.eval.classifier.cli import main

raise SystemExit(main())
