"""``fibnlr inspect``: layers with MACs and parameters, and the non-linearities with their types."""
from __future__ import annotations

from .. import activation_types
from .._core import recipes as R
from .model import declared_dims, input_dims, load_model

# Pointwise functions that are not rectifier-like: listed, never measured by default.
_OTHER_NONLINEAR = ("Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Softmax")


def nonlinearities(graph):
    """[{name, type, measured_by_default}] in graph order."""
    default = {t.lower() for t in R.fibnlr_Parameters().node_types}
    kinds = (set(activation_types()) | set(_OTHER_NONLINEAR)) - {"Identity", "Dropout"}
    return [{"name": n.name(), "type": n.type(), "measured_by_default": n.type().lower() in default}
            for n in graph.get_nodes() if n.type() in kinds]


def cmd_inspect(args, out):
    graph = load_model(args.model)
    dims = input_dims(graph, shape=args.input_shape)
    costs = [c for c in R.layer_costs(graph, [[1, *dims]]) if c.type not in ("Input", "Producer")]
    layers = [{"name": c.name, "type": c.type, "macs": float(c.macs), "params": int(c.params)} for c in costs]
    acts = nonlinearities(graph)
    doc = {"command": "inspect", "model": args.model, "input_dims": declared_dims(graph), "layers": layers,
           "total_macs": sum(r["macs"] for r in layers), "total_params": sum(r["params"] for r in layers),
           "nonlinearities": acts}
    width = max([len("layer")] + [len(r["name"]) for r in layers]) + 2
    out.result(f"{args.model}: input {doc['input_dims']}, MACs per image at {[1, *dims]}")
    out.result(f"{'layer':<{width}}{'type':<20}{'MACs':>14}{'params':>10}")
    for r in layers:
        out.result(f"{r['name']:<{width}}{r['type']:<20}{r['macs']:>14,.0f}{r['params']:>10,}")
    out.result(f"total: {len(layers)} layers, {doc['total_macs'] / 1e6:.3f} MMACs, {doc['total_params']:,} parameters")
    counts = {}
    for a in acts:
        counts[a["type"]] = counts.get(a["type"], 0) + 1
    out.result(f"non-linearities: {len(acts)} (" + ", ".join(f"{n} {t}" for t, n in counts.items()) + "); "
               f"{sum(a['measured_by_default'] for a in acts)} measured by FIBNLR's default node_types")
    for a in acts:
        out.result(f"  {a['name']}  {a['type']}" + ("" if a["measured_by_default"] else "  (not measured by default)"))
    out.finish(doc)
    return 0
