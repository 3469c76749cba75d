"""``python -m fibnlr.cli``: the same as the ``fibnlr`` command."""
import sys

from . import main

sys.exit(main())
