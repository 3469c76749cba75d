"""``python -m fibnlr``: the ``fibnlr`` command line (see ``fibnlr --help``)."""
import sys

from .cli import main

sys.exit(main())
