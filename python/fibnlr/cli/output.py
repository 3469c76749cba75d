"""What a command prints: text lines for people, or one JSON document with --json; timings of each step."""
from __future__ import annotations

import contextlib
import json
import math
import time


def _jsonable(value):
    """NaN and infinities as null: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class Output:
    """``--quiet``: no progress bars and no step lines; ``--json``: only the JSON document on stdout."""

    def __init__(self, args):
        self.quiet = getattr(args, "quiet", False)
        self.json = getattr(args, "json", False)
        self.json_out = getattr(args, "json_out", None)
        self.timings = {}

    @property
    def progress(self) -> bool:
        return not self.quiet

    def step(self, text):
        """A line about the work under way."""
        if not (self.quiet or self.json):
            print(text, flush=True)

    def result(self, text):
        """A line of the results."""
        if not self.json:
            print(text, flush=True)

    @contextlib.contextmanager
    def timed(self, name):
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)

    def finish(self, document):
        """Adds the timings, prints the document with --json and writes it to --json-out."""
        document = _jsonable({**document, "timings_s": dict(self.timings)})
        if self.json_out:
            with open(self.json_out, "w") as f:
                json.dump(document, f, indent=1)
        if self.json:
            print(json.dumps(document, indent=1))
        return document
