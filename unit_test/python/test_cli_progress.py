"""fibnlr.progress.measure: fibnlr_compute with a bar whose postfix is the recipe's convergence value."""
import io
import sys

import numpy as np
import pytest

import fibnlr
from fibnlr import demo_data, progress
from fibnlr import recipes as R


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _prepared(params):
    g = fibnlr.load_onnx(demo_data.model_path("resnet"))
    g.compile(backend="cpu", dims=[[32, 1, 28, 28]])
    R.fibnlr_prepare(g, params)
    return g


def test_measure_matches_the_recipe_and_shows_its_convergence(monkeypatch):
    calib_x = demo_data.to_input(demo_data.load_subset()[0][:192])
    batches = [calib_x[i:i + 32] for i in range(0, 192, 32)]
    params = R.fibnlr_Parameters(convergence_threshold=0.0)  # all 6 batches run
    expected = R.fibnlr_compute(_prepared(params), batches, params)

    shown = []
    real = progress.tqdm.set_postfix

    def record(self, *args, **kwargs):
        shown.append(kwargs["convergence"])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(progress.tqdm, "set_postfix", record)
    monkeypatch.setattr(sys, "stderr", Terminal())
    g = _prepared(params)
    got = progress.measure(g, batches, params, progress=True)
    assert got == expected and len(got) == 6
    # one value per batch after the first (the recipe's first value is 0 by definition), computed from the live NPR
    assert shown == [f"{c:.3g}" for c in expected[1:]]
    assert "measure" in sys.stderr.getvalue()
    npr = [R.fibnlr_get_nnpr(n).value for n in R.fibnlr_prepared_nodes(g)]
    assert np.all(np.isfinite(npr))


def test_measure_without_a_terminal_shows_nothing(monkeypatch):
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    params = R.fibnlr_Parameters(max_iteration=2)
    x = np.zeros((8, 1, 28, 28), np.float32) + 0.5
    conv = progress.measure(_prepared(params), [x[:4], x[4:], x[:4]], params, progress=True)
    assert len(conv) == 2 and stderr.getvalue() == ""


def test_measure_takes_dict_batches_with_key():
    params = R.fibnlr_Parameters(max_iteration=2, convergence_threshold=0.0)
    x = demo_data.to_input(demo_data.load_subset()[0][:64])
    expected = R.fibnlr_compute(_prepared(params), [x[:32], x[32:]], params)
    dicts = [{"image": x[:32], "label": np.zeros(32)}, {"image": x[32:], "label": np.zeros(32)}]
    assert progress.measure(_prepared(params), dicts, params, progress=False, key="image") == expected
    with pytest.raises(TypeError, match=r"batch 0 is a dict with keys \['image', 'label'\]: pass key="):
        progress.measure(_prepared(params), dicts, params, progress=False)
