"""The upstream FIBNLR names, kept for ported scripts.

Scripts written for the upstream recipe (``fibnlr_prepare``,
``fibnlr_get_npr``, ``fibnlr_Parameters``, the main function ``fibnlr``, ...)
keep working: every name in :data:`UPSTREAM_NAMES` is importable from
:mod:`fibnlr` (``from fibnlr import fibnlr_prepare``), from
:mod:`fibnlr.recipes` and from this module. New code uses the clean names of
:mod:`fibnlr.recipes`; :data:`CLEAN_NAMES` maps each upstream name to it.

Differences from upstream, on purpose: ``fibnlr_prepare``, ``fibnlr_prune``
and ``fibnlr`` return lists in graph order instead of sets (``in``, iteration
and ``len`` work as before); ``NPR.value()`` and ``NNPR.value`` are both also
readable as ``.ratio``.
"""
from ._core import recipes as _compiled

# Explicit assignments (not a loop) so type checkers see every name.
fibnlr_Parameters = _compiled.fibnlr_Parameters
fibnlr_prepare = _compiled.fibnlr_prepare
fibnlr_compute = _compiled.fibnlr_compute
fibnlr_compute_NNPR = _compiled.fibnlr_compute_NNPR
fibnlr_prune = _compiled.fibnlr_prune
fibnlr = _compiled.fibnlr
fibnlr_find_groups = _compiled.fibnlr_find_groups
fibnlr_find_node_by_group = _compiled.fibnlr_find_node_by_group
fibnlr_prepared_nodes = _compiled.fibnlr_prepared_nodes
fibnlr_add_npr = _compiled.fibnlr_add_npr
fibnlr_set_npr = _compiled.fibnlr_set_npr
fibnlr_has_npr = _compiled.fibnlr_has_npr
fibnlr_get_npr = _compiled.fibnlr_get_npr
fibnlr_try_get_npr = _compiled.fibnlr_try_get_npr
fibnlr_add_nnpr = _compiled.fibnlr_add_nnpr
fibnlr_set_nnpr = _compiled.fibnlr_set_nnpr
fibnlr_has_nnpr = _compiled.fibnlr_has_nnpr
fibnlr_get_nnpr = _compiled.fibnlr_get_nnpr
fibnlr_try_get_nnpr = _compiled.fibnlr_try_get_nnpr
fibnlr_add_activity_tracker = _compiled.fibnlr_add_activity_tracker
fibnlr_set_activity_tracker = _compiled.fibnlr_set_activity_tracker
fibnlr_has_activity_tracker = _compiled.fibnlr_has_activity_tracker
fibnlr_get_activity_tracker = _compiled.fibnlr_get_activity_tracker
fibnlr_try_get_activity_tracker = _compiled.fibnlr_try_get_activity_tracker
fibnlr_add_group = _compiled.fibnlr_add_group
fibnlr_set_group = _compiled.fibnlr_set_group
fibnlr_has_group = _compiled.fibnlr_has_group
fibnlr_get_group = _compiled.fibnlr_get_group
fibnlr_try_get_group = _compiled.fibnlr_try_get_group
# Upstream names that are also the clean ones: the same objects as fibnlr.recipes exports.
from .recipes import (  # noqa: E402
    Method as Method, NormalizationMethod as NormalizationMethod, GroupMethod as GroupMethod,
    AblationCriteria as AblationCriteria, AblationMethod as AblationMethod, NPR as NPR, NNPR as NNPR,
    ActivityTracker as ActivityTracker, Group as Group, is_conv as is_conv, is_tensor as is_tensor,
    is_child_of as is_child_of, get_kernel_dims as get_kernel_dims, get_kernel_strides as get_kernel_strides,
    in_channels as in_channels, out_channels as out_channels, compute_kernel_dims as compute_kernel_dims,
    compute_kernel_strides as compute_kernel_strides, conv_from as conv_from,
)

#: upstream name -> its clean name in fibnlr.recipes
CLEAN_NAMES = {
    "fibnlr_Parameters": "Parameters",
    "fibnlr_prepare": "prepare",
    "fibnlr_compute": "compute",
    "fibnlr_compute_NNPR": "compute_nnpr",
    "fibnlr_prune": "prune",
    "fibnlr": "run",
    "fibnlr_find_groups": "find_groups",
    "fibnlr_find_node_by_group": "find_node_by_group",
    "fibnlr_prepared_nodes": "prepared_nodes",
    "fibnlr_add_npr": "add_npr",
    "fibnlr_set_npr": "set_npr",
    "fibnlr_has_npr": "has_npr",
    "fibnlr_get_npr": "get_npr",
    "fibnlr_try_get_npr": "try_get_npr",
    "fibnlr_add_nnpr": "add_nnpr",
    "fibnlr_set_nnpr": "set_nnpr",
    "fibnlr_has_nnpr": "has_nnpr",
    "fibnlr_get_nnpr": "get_nnpr",
    "fibnlr_try_get_nnpr": "try_get_nnpr",
    "fibnlr_add_activity_tracker": "add_activity_tracker",
    "fibnlr_set_activity_tracker": "set_activity_tracker",
    "fibnlr_has_activity_tracker": "has_activity_tracker",
    "fibnlr_get_activity_tracker": "get_activity_tracker",
    "fibnlr_try_get_activity_tracker": "try_get_activity_tracker",
    "fibnlr_add_group": "add_group",
    "fibnlr_set_group": "set_group",
    "fibnlr_has_group": "has_group",
    "fibnlr_get_group": "get_group",
    "fibnlr_try_get_group": "try_get_group",
    "Method": "Method",
    "NormalizationMethod": "NormalizationMethod",
    "GroupMethod": "GroupMethod",
    "AblationCriteria": "AblationCriteria",
    "AblationMethod": "AblationMethod",
    "NPR": "NPR",
    "NNPR": "NNPR",
    "ActivityTracker": "ActivityTracker",
    "Group": "Group",
    "is_conv": "is_conv",
    "is_tensor": "is_tensor",
    "is_child_of": "is_child_of",
    "get_kernel_dims": "get_kernel_dims",
    "get_kernel_strides": "get_kernel_strides",
    "in_channels": "in_channels",
    "out_channels": "out_channels",
    "compute_kernel_dims": "compute_kernel_dims",
    "compute_kernel_strides": "compute_kernel_strides",
    "conv_from": "conv_from",
}

#: every upstream name, importable from fibnlr, fibnlr.recipes and here
UPSTREAM_NAMES = tuple(CLEAN_NAMES)

__all__ = ["CLEAN_NAMES", "UPSTREAM_NAMES", *UPSTREAM_NAMES]
