"""A fibnlr graph as a trainable torch module, and its weights written back.

``to_module`` copies every Producer (weights, biases, BatchNorm parameters,
constants) into the module, so training never touches the graph;
``load_parameters`` writes them back in place, all or nothing.
"""
from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from .operators import convert

# BatchNormalization inputs holding running statistics: buffers, not trained.
_BN_STATISTICS = {3, 4}


def _attribute_name(name, taken):
    """A Python identifier for a node name (ONNX names hold dots, colons, slashes), unique in `taken`."""
    base = re.sub(r"\W", "_", name)
    if not base or base[0].isdigit():
        base = "_" + base
    out, k = base, 1
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def _is_statistic(producer):
    """True when every consumer reads the Producer as BatchNorm running mean or variance."""
    consumers = producer.output_consumers(0)
    return bool(consumers) and all(n.type() == "BatchNormalization" and i in _BN_STATISTICS for n, i in consumers)


class GraphModule(nn.Module):
    """Runs a fibnlr graph's nodes in topological order with torch.

    Producers are in ``self.constants``: ``nn.Parameter`` for every floating
    Producer except BatchNorm running statistics, which are buffers (see the
    BatchNormalization entry of the operator table). ``forward`` takes one
    tensor per graph input and returns one tensor per graph output (a single
    tensor when the graph has one output).
    """

    def __init__(self, graph):
        super().__init__()
        self.constants = nn.Module()
        self.nodes = nn.ModuleDict()
        self.producer_keys = {}  # Producer node name -> attribute of self.constants
        self._steps = []  # (key in self.nodes, node name, input references, number of outputs)
        self._inputs = [n.name() for n, _ in graph.inputs()]
        taken_constants, taken_nodes = set(), set()
        for node in graph.get_nodes():
            if node.type() == "Producer":
                key = _attribute_name(node.name(), taken_constants)
                value = torch.from_numpy(np.array(node.get_operator().value(), copy=True))
                if value.is_floating_point() and not _is_statistic(node):
                    self.constants.register_parameter(key, nn.Parameter(value))
                else:
                    self.constants.register_buffer(key, value)
                self.producer_keys[node.name()] = key
        for node in graph.get_nodes():
            if node.type() in ("Producer", "Input"):
                continue
            key = _attribute_name(node.name(), taken_nodes)
            self.nodes[key] = convert(node)
            refs = [self._reference(node.input(i)) for i in range(node.nb_inputs())]
            self._steps.append((key, node.name(), refs, node.nb_outputs()))
        self._outputs = [self._reference(port) for port in graph.outputs()]

    def _reference(self, port):
        """Where a value comes from: ("const", key), ("value", node name, output index) or None."""
        if port is None:
            return None
        node, index = port
        if node.type() == "Producer":
            if node.name() not in self.producer_keys:
                raise ValueError(f"Producer '{node.name()}' feeds the graph but is not one of its nodes "
                                 "(add its consumer to the graph again)")
            return ("const", self.producer_keys[node.name()])
        return ("value", node.name(), index)

    def forward(self, *inputs):
        if len(inputs) != len(self._inputs):
            raise ValueError(f"the graph takes {len(self._inputs)} inputs ({', '.join(self._inputs)}), "
                             f"got {len(inputs)}")
        values = {(name, 0): x for name, x in zip(self._inputs, inputs)}

        def fetch(ref):
            if ref is None:
                return None
            if ref[0] == "const":
                return getattr(self.constants, ref[1])
            return values[ref[1:]]

        for key, name, refs, nb_outputs in self._steps:
            try:
                out = self.nodes[key](*[fetch(r) for r in refs])
            except RuntimeError as e:  # torch's shape errors do not say which node
                raise RuntimeError(f"node '{name}' ({self.nodes[key]}): {e}") from e
            except ValueError as e:  # e.g. a merged conv's bias map at another input size
                raise ValueError(f"node '{name}': {e}") from e
            outs = out if isinstance(out, tuple) else (out,)
            for k in range(nb_outputs):
                values[(name, k)] = outs[k]
        result = tuple(fetch(r) for r in self._outputs)
        return result[0] if len(result) == 1 else result


def to_module(graph) -> GraphModule:
    """A trainable ``torch.nn.Module`` computing ``graph.forward`` (in eval mode),
    its parameters copied from the graph. Returned in eval mode; call ``.train()``
    to train (Dropout then drops; BatchNorm keeps its running statistics).
    Raises ValueError naming the first node whose type has no converter."""
    return GraphModule(graph).eval()


def load_parameters(graph, module) -> None:
    """Writes ``module``'s Producer values (from :func:`to_module` of this graph,
    possibly wrapped in DistributedDataParallel) back into ``graph`` in place:
    the numpy arrays the graph hands out see the new values, and compiled plans
    drop what they derived from the old ones. Checks every Producer first, so a
    mismatch changes nothing."""
    module = getattr(module, "module", module)  # DistributedDataParallel wraps the module
    if not isinstance(module, GraphModule):
        raise TypeError(f"load_parameters expects a module made by fibnlr.torch.to_module, "
                        f"got {type(module).__name__}")
    producers = [n for n in graph.get_nodes() if n.type() == "Producer"]
    missing = [n.name() for n in producers if n.name() not in module.producer_keys]
    extra = set(module.producer_keys) - {n.name() for n in producers}
    if missing or extra:
        raise ValueError(f"the module was not made from this graph: Producers missing from the module "
                         f"{sorted(missing)}, in the module but not the graph {sorted(extra)}")
    writes = []
    for node in producers:
        op = node.get_operator()
        target = op.value()
        value = getattr(module.constants, module.producer_keys[node.name()]).detach().cpu().numpy()
        if value.shape != target.shape:
            raise ValueError(f"Producer '{node.name()}': the module holds shape {list(value.shape)}, "
                             f"the graph {list(target.shape)}")
        writes.append((op, value.astype(target.dtype, copy=False)))
    for op, value in writes:
        op.write_value(value)
