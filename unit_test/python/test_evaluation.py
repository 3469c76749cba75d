"""fibnlr.evaluate: top-1 / top-5 on fibnlr's backend against a numpy computation
over the same graph outputs, for every data form, and its bad input."""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import fibnlr
from fibnlr_testlib import random_batches, zoo_bytes, zoo_graph


@pytest.fixture(scope="module")
def labelled():
    """leaky_gelu_net (10 classes), 50 images; labels: the predicted class for
    the first 20, the 3rd most likely for the next 10, the least likely for the rest."""
    g = zoo_graph("leaky_gelu_net", 8)
    (x,) = random_batches("leaky_gelu_net", 1, 50, seed=5)
    ranked = np.argsort(-g.forward(x)[0], axis=1)
    y = np.concatenate([ranked[:20, 0], ranked[20:30, 2], ranked[30:, -1]])
    return g, x, y


def numpy_accuracy(scores, y):
    ranked = np.argsort(-scores, axis=1)
    return float(np.mean(ranked[:, 0] == y)), float(np.mean((ranked[:, :5] == y[:, None]).any(axis=1)))


def test_matches_numpy(labelled):
    g, x, y = labelled
    top1, top5 = numpy_accuracy(g.forward(x)[0], y)
    assert (top1, top5) == (0.4, 0.6)  # by construction of the labels
    for batch_size in (16, 50, 256):
        res = fibnlr.evaluate(g, (x, y), batch_size=batch_size, progress=False)
        assert res == {"top1": top1, "top5": top5, "images": 50}


def test_data_forms_and_an_uncompiled_graph(labelled):
    g, x, y = labelled
    expected = fibnlr.evaluate(g, (x, y), progress=False)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=12)
    assert fibnlr.evaluate(g, loader, progress=False) == expected
    dicts = [{"x": x[i:i + 7], "y": y[i:i + 7]} for i in range(0, 50, 7)]
    assert fibnlr.evaluate(g, dicts, key=("x", "y"), progress=False) == expected
    fresh = fibnlr.load_onnx(zoo_bytes("leaky_gelu_net"))
    assert fibnlr.evaluate(fresh, (x, y), batch_size=20, progress=False) == expected


def test_top5_is_top_k_with_fewer_classes():
    g = zoo_graph("tiny", 4)  # 4 classes: every label is among the top 4
    (x,) = random_batches("tiny", 1, 6)
    res = fibnlr.evaluate(g, (x, np.arange(6) % 4), progress=False)
    assert res["top5"] == 1.0 and res["images"] == 6


def test_bad_input(labelled):
    g, x, y = labelled
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        fibnlr.evaluate(g, (x, y), batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        fibnlr.evaluate(g, (x, y), batch_size=2.5)
    with pytest.raises(ValueError, match="evaluate needs labels"):
        fibnlr.evaluate(g, x, progress=False)
    with pytest.raises(ValueError, match=r"class indices in \[0, 10\), got values from 0 to 10"):
        fibnlr.evaluate(g, (x[:2], np.array([0, 10])), progress=False)
    with pytest.raises(ValueError, match=r"expected \[\d+, 3, 32, 32\] \(compiled dims"):
        fibnlr.evaluate(g, (x[:2, :, :16], np.array([0, 1])), progress=False)
    with pytest.raises(ValueError, match="no images"):
        fibnlr.evaluate(g, [], progress=False)
    with pytest.raises(TypeError, match="data must be"):
        fibnlr.evaluate(g, 3, progress=False)
