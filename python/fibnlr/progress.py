"""The progress bar of evaluate and finetune."""
from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(iterable, enabled: bool, total=None, desc=None) -> tqdm:
    """A tqdm bar over `iterable`, shown only when `enabled` and stderr is a
    terminal (no bar characters in logs, captured test output or CI)."""
    isatty = getattr(sys.stderr, "isatty", None)
    show = bool(enabled) and isatty is not None and isatty()
    return tqdm(iterable, total=total, desc=desc, disable=not show, leave=False, unit="batch")
