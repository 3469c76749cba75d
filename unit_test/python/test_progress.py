"""The progress bar shows only when asked for and stderr is a terminal."""
import io
import sys

import pytest

from fibnlr.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stderr,enabled,shown", [(Terminal(), True, True), (Terminal(), False, False),
                                                  (io.StringIO(), True, False), (None, True, False)])
def test_bar_only_on_a_terminal(monkeypatch, stderr, enabled, shown):
    monkeypatch.setattr(sys, "stderr", stderr)
    bar = progress_bar(range(3), enabled, total=3)
    assert bar.disable == (not shown)
    assert list(bar) == [0, 1, 2]
    if shown:
        assert "0/3" in stderr.getvalue()
