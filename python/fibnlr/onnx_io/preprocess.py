"""Normalise an ONNX model so that fibnlr's importer sees a simple graph.

`normalize` returns a new model, equivalent for inference, in which

* the default-domain opset lies in `NATIVE_OPSETS` (opsets 6..12 are upgraded
  with the ONNX version converter);
* every `Constant` node has become an initializer;
* shape-only subgraphs (`Shape -> Gather -> Unsqueeze -> Concat -> Reshape`
  and friends, see `folding._FOLD_OPS`) and every other node of those op
  types whose inputs are all constant have been evaluated into initializers;
* the Erf and Tanh forms of GELU, x * Sigmoid(x) and x * Tanh(Softplus(x))
  are fused into one `Gelu`, `SiLU` or `Mish` node (the activation patterns
  are listed in `patterns.PATTERNS`);
* every node has a unique, non-empty name;
* initializers are no longer listed as graph inputs, and dead nodes and unused
  initializers are gone.

Batch-size rule.  `Shape` of a data tensor is folded from ONNX shape
inference (with data propagation), run with `input_shapes` substituted and
dimension 0 of every graph input replaced by a symbol: its own `dim_param`,
or a synthesised one when it was static or unnamed.  A dim that is not a
static int under that inference becomes a `_Dim` marker carrying its symbol
when it is a graph-input `dim_param` (the batch, or e.g. a dynamic height)
and, for the final fallback, its value from a second inference that keeps
dimension 0 concrete.  Markers pass unchanged through the ops that only move
elements (Gather, Unsqueeze, Squeeze, Concat, Slice, Reshape, Identity,
Expand, Where's branches, Cast to int64).

* Where a marker lands in the `shape` input of a `Reshape` without
  allowzero=1, at a position whose input dim carries the same symbol, it is
  written as 0 ("copy this dim"), so `x.view(x.size(0), -1)` and
  ShuffleNet's `x.view(b, groups, c // groups, h, w)` fold to constant
  shapes that work for any batch size.
* Anywhere else (arithmetic, `ConstantOfShape`, a graph output, a Reshape
  position holding another dim) the marker's concrete value is used, but
  only once folding has otherwise converged, since later passes may prove
  the dim static or symbol-matched.  That ties the model to the batch size:
  graph inputs named in `input_shapes` then declare it (otherwise their dim
  0 stays as declared).
* When no concrete value is known, the nodes stay; if a `Shape` node is
  left whose only undetermined dims are graph-input symbols, `ValueError`
  names it and asks for `input_shapes`.  Dims that shape inference cannot
  determine at all (e.g. a dynamic height after a strided Conv) leave their
  `Shape` subgraph in place without an error.

Limits: symbolic dims are not tracked through arithmetic (c // g is folded
only because c is static); ops outside `folding._FOLD_OPS` (Size,
ReduceProd, ...) are never evaluated; subgraph bodies (If/Loop/Scan) are
only renamed, though their reads from the outer graph are respected.  A
fused `Gelu` is standard ONNX from opset 20 only; the model keeps its opset
because fibnlr understands `Gelu` at any opset (bump the opset to 20 before
running such a model in onnxruntime).  The Tanh form is matched as torch
writes it: sqrt(2/pi) * (x + 0.044715 * x^3) with x^3 as Pow(x, 3) or Mul
chains.

The passes live in sibling modules, one concern each: `validate` (protobuf
fields), `checks` (graph structure, domains, arity, opsets, graph inputs),
`constants` (Constant nodes, the size bound on created values), `folding`
(shape subgraphs and the batch-size rule), `patterns` (activation fusion)
and `graphs` (traversal, indexing, naming, dead-code removal).
"""

from __future__ import annotations

import numbers

import onnx

from .checks import (NATIVE_OPSETS, _check_arity, _check_domains,
                     _check_input_shapes, _check_structure, _default_opset,
                     _drop_initializer_inputs, _pin_input_shapes,
                     _upgrade_opset)
from .constants import (DEFAULT_MAX_CONSTANT_BYTES, _constants_to_initializers,
                        _SizeLimit)
from .folding import _fold_constants
from .graphs import _name_nodes, _prune_value_info, _remove_dead
from .patterns import _fuse_patterns
from .validate import check_fields

__all__ = ["DEFAULT_MAX_CONSTANT_BYTES", "NATIVE_OPSETS", "normalize"]


def normalize(model: onnx.ModelProto,
              input_shapes: dict[str, list[int]] | None = None,
              max_constant_bytes: int = DEFAULT_MAX_CONSTANT_BYTES
              ) -> onnx.ModelProto:
    """Return a normalised copy of `model`; `model` itself is not modified.

    `input_shapes` maps graph-input names to concrete shapes used for shape
    inference; dims must be positive ints.  Constant folding refuses to
    create a value of more than `max_constant_bytes` bytes.  Raises
    `ValueError` for malformed fields, unsupported opsets or domains,
    missing tensors, cycles, bad shapes and values over that limit.
    """
    if (not isinstance(max_constant_bytes, numbers.Integral)
            or isinstance(max_constant_bytes, bool) or max_constant_bytes <= 0):
        raise ValueError(f"max_constant_bytes must be a positive int, got "
                         f"{max_constant_bytes!r}")
    check_fields(model)
    result = onnx.ModelProto()
    result.CopyFrom(model)
    input_shapes = dict(input_shapes or {})
    _name_nodes(result.graph)
    _check_structure(result.graph)
    _check_domains(result.graph)
    _check_arity(result.graph, _default_opset(result))
    result = _upgrade_opset(result)
    graph = result.graph
    _check_arity(graph, _default_opset(result))
    _name_nodes(graph)
    _drop_initializer_inputs(graph)
    _check_input_shapes(graph, input_shapes)
    limit = _SizeLimit(int(max_constant_bytes))
    _constants_to_initializers(graph, limit)
    specialized = _fold_constants(result, input_shapes, limit)
    _fuse_patterns(graph)
    _remove_dead(graph)
    _prune_value_info(graph)
    _pin_input_shapes(graph, input_shapes, keep_dynamic_batch=not specialized)
    return result
