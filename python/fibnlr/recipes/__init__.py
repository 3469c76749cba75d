"""Graph rewrites: the FIBNLR recipe (measure and prune non-linearities) and
depth merging (fold, merge and simplify the linear layers left back to back).

The FIBNLR recipe, step by step::

    from fibnlr.recipes import AblationCriteria, Parameters, compute, prepare, prune

    params = Parameters(ablation_criteria=AblationCriteria.THRESHOLD, ablation_threshold=0.1)
    prepared = prepare(graph, params)          # list of nodes, graph order
    convergence = compute(graph, batches, params)
    pruned = prune(graph, params)              # list of nodes, graph order

or in one call, ``run(graph, batches, params)``. Depth merging after pruning:
``simplify(graph, dims=[[1, 3, 32, 32]])``.

Each node's measurements are read with ``get_npr(node).ratio``,
``get_nnpr(node).ratio``, ``get_activity_tracker(node)`` and
``get_group(node).id``. The upstream names (``fibnlr_prepare``,
``fibnlr_get_npr``, ...) are listed in :mod:`fibnlr.compat` and stay
importable from here and from :mod:`fibnlr` for ported scripts.

The recipes implemented in C++ come from the compiled core; pure-Python
recipes live in modules of this package and are re-exported here.
"""
from .._core import recipes as _compiled

# FIBNLR: parameters and their enums.
Parameters = _compiled.Parameters
Method = _compiled.Method
NormalizationMethod = _compiled.NormalizationMethod
GroupMethod = _compiled.GroupMethod
AblationCriteria = _compiled.AblationCriteria
AblationMethod = _compiled.AblationMethod

# FIBNLR: the steps (each returns plain lists/dicts; nodes in graph order).
prepare = _compiled.fibnlr_prepare
compute = _compiled.fibnlr_compute
compute_nnpr = _compiled.fibnlr_compute_NNPR
prune = _compiled.fibnlr_prune
run = _compiled.fibnlr
find_groups = _compiled.fibnlr_find_groups
find_node_by_group = _compiled.fibnlr_find_node_by_group
prepared_nodes = _compiled.fibnlr_prepared_nodes

# FIBNLR: the per-node measurements and their accessors.
NPR = _compiled.NPR
NNPR = _compiled.NNPR
ActivityTracker = _compiled.ActivityTracker
Group = _compiled.Group
add_npr, set_npr, has_npr, get_npr, try_get_npr = (
    _compiled.fibnlr_add_npr, _compiled.fibnlr_set_npr, _compiled.fibnlr_has_npr, _compiled.fibnlr_get_npr,
    _compiled.fibnlr_try_get_npr)
add_nnpr, set_nnpr, has_nnpr, get_nnpr, try_get_nnpr = (
    _compiled.fibnlr_add_nnpr, _compiled.fibnlr_set_nnpr, _compiled.fibnlr_has_nnpr, _compiled.fibnlr_get_nnpr,
    _compiled.fibnlr_try_get_nnpr)
add_activity_tracker, set_activity_tracker, has_activity_tracker, get_activity_tracker, try_get_activity_tracker = (
    _compiled.fibnlr_add_activity_tracker, _compiled.fibnlr_set_activity_tracker,
    _compiled.fibnlr_has_activity_tracker, _compiled.fibnlr_get_activity_tracker,
    _compiled.fibnlr_try_get_activity_tracker)
add_group, set_group, has_group, get_group, try_get_group = (
    _compiled.fibnlr_add_group, _compiled.fibnlr_set_group, _compiled.fibnlr_has_group, _compiled.fibnlr_get_group,
    _compiled.fibnlr_try_get_group)

# Conv helpers (the spatial rank is taken from the node).
is_conv = _compiled.is_conv
is_tensor = _compiled.is_tensor
is_child_of = _compiled.is_child_of
get_kernel_dims = _compiled.get_kernel_dims
get_kernel_strides = _compiled.get_kernel_strides
in_channels = _compiled.in_channels
out_channels = _compiled.out_channels
compute_kernel_dims = _compiled.compute_kernel_dims
compute_kernel_strides = _compiled.compute_kernel_strides
conv_from = _compiled.conv_from

# Depth merging and its result objects (each has a readable repr and to_dict()).
simplify = _compiled.simplify
fold_batchnorm = _compiled.fold_batchnorm
remove_identity = _compiled.remove_identity
merge_convolutions = _compiled.merge_convolutions
fold_residual = _compiled.fold_residual
layer_costs = _compiled.layer_costs
SimplifyResult = _compiled.SimplifyResult
MergeResult = _compiled.MergeResult
MergeRecord = _compiled.MergeRecord
BatchNormFold = _compiled.BatchNormFold
ResidualFold = _compiled.ResidualFold
LayerCost = _compiled.LayerCost

# plan_depth: the C++ planDepth with Python data and dataclasses (fibnlr.depth_plan).
from ..depth_plan import DepthPlan, apply_plan, plan_depth  # noqa: E402 - after the compiled names it uses


def __getattr__(name: str) -> object:
    # The upstream names (fibnlr_prepare, fibnlr_get_npr, ...; see
    # fibnlr.compat) stay reachable as fibnlr.recipes.<name> for ported scripts.
    from .. import compat
    if name in compat.UPSTREAM_NAMES:
        return getattr(_compiled, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    # FIBNLR
    "Parameters", "Method", "NormalizationMethod", "GroupMethod", "AblationCriteria", "AblationMethod",
    "prepare", "compute", "compute_nnpr", "prune", "run", "find_groups", "find_node_by_group", "prepared_nodes",
    "NPR", "NNPR", "ActivityTracker", "Group",
    "add_npr", "set_npr", "has_npr", "get_npr", "try_get_npr",
    "add_nnpr", "set_nnpr", "has_nnpr", "get_nnpr", "try_get_nnpr",
    "add_activity_tracker", "set_activity_tracker", "has_activity_tracker", "get_activity_tracker",
    "try_get_activity_tracker",
    "add_group", "set_group", "has_group", "get_group", "try_get_group",
    # conv helpers
    "is_conv", "is_tensor", "is_child_of", "get_kernel_dims", "get_kernel_strides", "in_channels", "out_channels",
    "compute_kernel_dims", "compute_kernel_strides", "conv_from",
    # depth merging
    "simplify", "fold_batchnorm", "remove_identity", "merge_convolutions", "fold_residual", "layer_costs",
    "SimplifyResult", "MergeResult", "MergeRecord", "BatchNormFold", "ResidualFold", "LayerCost",
    # choosing what to prune by what it buys (fibnlr.depth_plan)
    "plan_depth", "apply_plan", "DepthPlan",
]
