"""fibnlr.torch.to_module on whole models (as exported, after FIBNLR pruning to
Identity, after simplify) against graph.forward, and load_parameters writing
trained weights back into the same graph."""
import numpy as np
import pytest
import torch

import fibnlr
from conftest import assert_close
from torch_testlib import one_torch_thread  # noqa: F401 (autouse fixture)
from fibnlr.recipes import simplify
from fibnlr.torch import GraphModule, load_parameters, to_module
from fibnlr_testlib import random_batches, zoo_graph
from merge_chains import PRUNE_TYPES, prune_with_fibnlr


def module_output(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("name", ["resnet18_cifar", "mobilenet_v2", "leaky_gelu_net", "shufflenet_v2"])
def test_zoo_model_matches_graph_forward_at_any_batch(name):
    g = zoo_graph(name, 4)
    module = to_module(g)
    assert not module.training
    for batch in (4, 3, 1):
        (x,) = random_batches(name, 1, batch, seed=batch)
        assert_close(module_output(module, x), g.forward(x)[0], 1e-5, what=f"{name} batch {batch}")


@pytest.mark.parametrize("name", ["mobilenet_v2", "resnet18_cifar"])
def test_after_pruning_to_identity_and_after_simplify(name):
    g = zoo_graph(name, 2)
    (x,) = random_batches(name, 1, 2)
    pruned, _ = prune_with_fibnlr(g, x.shape, PRUNE_TYPES[name], threshold=0.25)
    assert pruned > 0 and len(g.get_nodes_by_type("Identity")) == pruned
    assert_close(module_output(to_module(g), x), g.forward(x)[0], 1e-5, what="pruned")
    simplify(g, mode="exact", dims=[list(x.shape)])
    assert not g.get_nodes_by_type("Identity") and not g.get_nodes_by_type("BatchNormalization")
    assert_close(module_output(to_module(g), x), g.forward(x)[0], 1e-5, what="simplified")


def test_every_parameter_gets_a_gradient():
    g = zoo_graph("tiny", 2)
    module = to_module(g).train()
    (x,) = random_batches("tiny", 1, 2)
    module(torch.from_numpy(x)).square().sum().backward()
    params = dict(module.named_parameters())
    assert params and all(p.grad is not None and p.grad.abs().sum() > 0 for p in params.values())


def perturbed(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen))
    return module


def test_load_parameters_writes_back_in_place_and_plans_see_it():
    g = zoo_graph("resnet18_cifar", 2)  # its 3x3 convs run Winograd, whose plan keeps transformed weights
    (x,) = random_batches("resnet18_cifar", 1, 2)
    before = g.forward(x)[0]
    conv = g.get_nodes_by_type("Conv")[1]
    w_view = conv.get_parameter("W")
    w_before = w_view.copy()
    module = perturbed(to_module(g))
    np.testing.assert_array_equal(g.forward(x)[0], before)  # the module holds copies
    load_parameters(g, module)
    trained = module_output(module, x)
    assert np.abs(trained - before).max() > 1e-2
    assert_close(g.forward(x)[0], trained, 1e-5, what="after load_parameters")
    assert np.abs(w_view - w_before).max() > 0  # the array handed out earlier sees the new weights
    np.testing.assert_array_equal(w_view, conv.get_parameter("W"))


def test_load_parameters_checks_everything_before_writing():
    g = zoo_graph("tiny", 2)
    snapshot = {n.name(): n.get_operator().value().copy() for n in g.get_nodes() if n.type() == "Producer"}
    module = perturbed(to_module(g))
    last = module.producer_keys[sorted(module.producer_keys)[-1]]
    setattr(module.constants, last, torch.nn.Parameter(torch.zeros(3, 3)))
    with pytest.raises(ValueError, match="holds shape \\[3, 3\\]"):
        load_parameters(g, module)
    other = to_module(zoo_graph("leaky_gelu_net", 2))
    with pytest.raises(ValueError, match="not made from this graph"):
        load_parameters(g, other)
    with pytest.raises(TypeError, match="to_module"):
        load_parameters(g, torch.nn.Linear(2, 2))
    for n in g.get_nodes():
        if n.type() == "Producer":
            np.testing.assert_array_equal(n.get_operator().value(), snapshot[n.name()])


def test_module_names_and_batchnorm_statistics_are_buffers():
    g = zoo_graph("tiny", 2)
    module = to_module(g)
    assert isinstance(module, GraphModule)
    bn = g.get_nodes_by_type("BatchNormalization")[0]
    buffers = dict(module.constants.named_buffers())
    mean = module.producer_keys[bn.input(3)[0].name()]
    assert mean in buffers and mean not in dict(module.constants.named_parameters())
    np.testing.assert_array_equal(buffers[mean].numpy(), bn.get_parameter("input_mean"))
    assert set(module.nodes) == {n.name().replace("/", "_").replace(".", "_").replace(":", "_")
                                 for n in g.get_nodes() if n.type() not in ("Producer", "Input")}
