"""What a report shows, as plain dataclasses, and how to read it off a graph.

The dataclasses hold numbers and strings only (no graph, no node), so a
report can be built from a saved run, a JSON file or a test, and the CLI can
fill them from several parameter sets before writing one report.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

__all__ = ["NonLinearity", "Run", "ReportInput", "nonlinearities", "layer_table", "parameters_dict"]


@dataclass
class NonLinearity:
    """One measured non-linearity (a node ``fibnlr_prepare`` annotated)."""
    name: str
    type: str
    group: str                      # group id as a string, e.g. "1024"
    npr: float                      # NaN when not computed
    nnpr: float                     # NaN when not computed
    dead: int                       # dead channels (ActivityTracker)
    channels: int                   # channels tracked (0 before compute)
    preceding_channels: Optional[int]   # out-channels of the conv before it ("N:256"), None if none
    pruned: bool


@dataclass
class Run:
    """One parameter set; several runs give side-by-side figures."""
    label: str
    nonlinearities: List[NonLinearity]  # graph order
    threshold: Optional[float] = None   # ablation threshold line (None for X-least)
    convergence: List[float] = field(default_factory=list)  # fibnlr_compute's return value
    params: dict = field(default_factory=dict)  # parameter values, shown in the report


@dataclass
class ReportInput:
    """Everything ``write_report`` shows."""
    model: str
    runs: List[Run]
    layers_before: Optional[List[dict]] = None  # per layer {"name", "type", "macs", "params"}, MACs per image
    layers_after: Optional[List[dict]] = None
    metrics: Dict[str, dict] = field(default_factory=dict)  # stage -> {"top1": .., "latency_ms": ..}, in order
    plan: Optional[List[dict]] = None  # depth plan candidates {"unit", "nodes", ..., "picked", "why"}


# The depth plan's candidate fields, in the order the report shows them (any may be absent).
PLAN_KEYS = ("unit", "nodes", "npr", "nnpr", "gain", "damage", "picked", "why")

# Ops that keep the channel count of their (first) data input, so the conv
# found behind them still sets the channels the non-linearity sees.
_CHANNEL_PRESERVING = {
    "BatchNormalization", "Identity", "Dropout", "Add", "Sub", "Mul", "Div", "Sum",
    "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Pad", "Resize", "LRN",
}


def _data_parents(node):
    """Parents that carry data (parameters are Producer nodes)."""
    return [p for p in node.get_parents() if p is not None and p.type() != "Producer"]


def _preceding_channels(node, activation_types) -> Optional[int]:
    """Out-channels of the Conv reached by walking up through channel-preserving ops
    and other activations (first data input at each step); None when the walk meets
    anything else (an input, a Concat, a Reshape, a Gemm, ...)."""
    from .. import recipes
    seen = set()
    current = node
    while True:
        parents = _data_parents(current)
        if not parents:
            return None
        parent = parents[0]
        if parent.name() in seen:  # a cycle cannot happen in a DAG; guard anyway
            return None
        seen.add(parent.name())
        if parent.type() == "Conv":
            return int(recipes.out_channels(parent))
        if parent.type() not in _CHANNEL_PRESERVING and parent.type() not in activation_types:
            return None
        current = parent


def _names(pruned) -> Dict[str, Any]:
    """name -> the pruned node (or None when given by name)."""
    out: Dict[str, Any] = {}
    for p in pruned:
        if isinstance(p, str):
            out[p] = None
        elif hasattr(p, "name") and callable(p.name):
            out[p.name()] = p
        else:
            raise TypeError(f"pruned: {p!r} is a {type(p).__name__}; expected nodes or node names")
    return out


def _entry(node, node_type, pruned, activation_types) -> NonLinearity:
    from .. import recipes as R
    npr = R.fibnlr_try_get_npr(node)
    nnpr = R.fibnlr_try_get_nnpr(node)
    tracker = R.fibnlr_try_get_activity_tracker(node)
    group = R.fibnlr_try_get_group(node)
    return NonLinearity(
        name=node.name(),
        type=node_type,
        group=str(group.id) if group is not None else "0",
        npr=float(npr.value()) if npr is not None and (npr.neg > 0 or npr.pos > 0) else math.nan,
        nnpr=float(nnpr.value) if nnpr is not None else math.nan,
        dead=int(tracker.count_dead_neurons()) if tracker is not None else 0,
        channels=len(tracker.neurons) if tracker is not None else 0,
        preceding_channels=_preceding_channels(node, activation_types),
        pruned=pruned,
    )


def nonlinearities(graph, pruned: Iterable = ()) -> List[NonLinearity]:
    """The non-linearities ``fibnlr_prepare`` annotated in ``graph``, in graph order.

    ``pruned``: what ``fibnlr_prune`` returned (nodes) or node names. With
    ``AblationMethod.IDENTITY`` the pruned node is an Identity of the same
    name carrying the annotations; its type is taken from the pruned node
    when given as a node. With ``AblationMethod.REMOVE`` the removed nodes
    are no longer in the graph: they are listed after the others (their
    place in the graph is gone); build the report before pruning, or prune
    with ``AblationMethod.NONE``, to keep the order.
    Raises ValueError when no node carries FIBNLR annotations.
    """
    from .. import recipes as R
    from .._core import activation_types
    acts = set(activation_types()) | {"Clip"}
    by_name = _names(pruned or ())
    nodes = R.fibnlr_prepared_nodes(graph)
    if not nodes:
        raise ValueError(f"graph '{graph.name()}' has no node with FIBNLR annotations (NPR): "
                         "run fibnlr_prepare (and fibnlr_compute) on it first")
    out = []
    for n in nodes:
        original = by_name.get(n.name())
        node_type = original.type() if original is not None else n.type()
        out.append(_entry(n, node_type, n.name() in by_name, acts))
    in_graph = {n.name() for n in nodes}
    for name, node in by_name.items():
        if name not in in_graph:
            if node is None or not R.fibnlr_has_npr(node):
                raise ValueError(f"pruned: node '{name}' is not in graph '{graph.name()}' and carries no "
                                 "FIBNLR annotations; expected the nodes fibnlr_prune returned")
            out.append(_entry(node, node.type(), True, acts))
    return out


def _matmul_macs(graph, node) -> float:
    """MACs per image of a MatMul: output elements per image times the shared (last) dim of input A."""
    out = list(graph.output_shape(node, 0))
    parent, index = node.input(0)  # the producer of input A and which of its outputs
    a = list(graph.output_shape(parent, index)) if parent is not None else []
    if not out or not a:
        return 0.0
    batch = out[0] if len(out) > 1 else 1
    return float(math.prod(out)) / max(batch, 1) * a[-1]


def layer_table(graph) -> List[dict]:
    """MACs per image and parameters of each Conv, Gemm and MatMul of a compiled graph.

    ``[{"name", "type", "macs", "params"}, ...]`` in graph order. Raises
    ValueError when the graph is not compiled (the MACs need its shapes).
    """
    from .. import recipes as R
    nodes = graph.get_nodes()
    try:
        if nodes:
            graph.output_shape(nodes[-1], 0)
    except ValueError:
        raise ValueError(f"layer_table: graph '{graph.name()}' is not compiled; call "
                         "graph.compile(dims=[...]) first (MACs per image need the shapes)") from None
    costs = R.layer_costs(graph)
    by_name = {n.name(): n for n in nodes}
    rows = []
    for c in costs:
        if c.type not in ("Conv", "Gemm", "MatMul"):
            continue
        macs = float(c.macs)
        if c.type == "MatMul":
            macs = _matmul_macs(graph, by_name[c.name])
        rows.append({"name": c.name, "type": c.type, "macs": macs, "params": int(c.params)})
    return rows


def parameters_dict(params) -> dict:
    """A fibnlr Parameters as plain JSON values (enums by member name) for ``Run.params``."""
    out = {}
    for key, value in params.to_dict().items():
        if hasattr(value, "name") and not isinstance(value, (str, int, float)):
            value = value.name
        elif isinstance(value, dict):
            value = dict(value)
        elif isinstance(value, (list, tuple, set)):
            value = list(value)
        out[key] = value
    return out
