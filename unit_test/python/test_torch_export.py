"""fibnlr.torch.from_module: torch module -> graph through torch.onnx.export,
with the batch left free, and the round trip graph -> to_module -> from_module."""
import importlib.util

import numpy as np
import pytest
import torch

from conftest import assert_close
from fibnlr.torch import from_module, to_module
from fibnlr_testlib import random_batches, zoo_graph
from models.export import build_zoo_model
from torch_testlib import one_torch_thread  # noqa: F401 (autouse fixture)


@pytest.mark.parametrize("name", ["leaky_gelu_net", "resnet18_cifar"])
def test_torch_model_to_graph_any_batch(name):
    model, example = build_zoo_model(name)
    model.train()  # from_module exports in eval mode and restores the mode
    g = from_module(model, example)
    assert model.training
    model.eval()
    g.compile(dims=[[5, *example.shape[1:]]])
    (x,) = random_batches(name, 1, 5)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    assert_close(g.forward(x)[0], expected, 1e-5)


@pytest.mark.parametrize("name", ["mobilenet_v2", "shufflenet_v2"])
def test_graph_to_module_to_graph(name):
    g = zoo_graph(name, 2)
    (x,) = random_batches(name, 1, 3)
    back = from_module(to_module(g), x[:1])
    back.compile(dims=[list(x.shape)])
    assert_close(back.forward(x)[0], g.forward(x)[0], 1e-5)


def test_numpy_example_and_bad_example():
    model, example = build_zoo_model("tiny")
    g = from_module(model, example.numpy())
    g.compile(dims=[list(example.shape)])
    with torch.no_grad():
        assert_close(g.forward(example.numpy())[0], model(example).numpy(), 1e-5)
    with pytest.raises(TypeError, match="example_input must be a tensor"):
        from_module(model, [1, 2, 3])


def test_dynamo_exporter_needs_onnxscript():
    model, example = build_zoo_model("tiny")
    if importlib.util.find_spec("onnxscript") is None:
        with pytest.raises(ImportError, match="pip install onnxscript"):
            from_module(model, example, dynamo=True)
    else:
        g = from_module(model, example, dynamo=True)
        g.compile(dims=[list(example.shape)])
        with torch.no_grad():
            assert_close(g.forward(example.numpy())[0], model(example).numpy(), 1e-5)
