"""Structure-aware and byte-level fuzzing of load_onnx / compile / forward.

The property: for any model file, ``load_onnx``, ``compile`` and ``forward``
either succeed or raise ValueError/TypeError; never another exception, a
crash or a hang.

Structure mode mutates real models (the committed ``fuzz_corpus/*.onnx``)
field by field: attribute values (ints near 2^31, 2^62, 2^63, negative,
floats 1e38, inf, nan), attributes added or removed, constant inputs (shape,
pads, slice bounds) and their dims, graph input dims, op types, node inputs
and outputs, node order and the opset.  Byte mode flips, truncates,
duplicates and zeroes bytes of the serialised models.

Case ``i`` of seed ``s`` is generated from ``random.Random(f"{s}-{i}")``
alone, so a failing case is reproduced by number:

    python fuzz_onnx.py structure --seed 0 --first 1234 --count 1 --write case.onnx

Run as a script it is the child process of the tests (a crash or hang then
fails the test instead of killing pytest): it prints one JSON summary line.
"""
import argparse
import copy
import faulthandler
import glob
import json
import os
import random
import sys
import traceback

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sorted(glob.glob(os.path.join(HERE, "fuzz_corpus", "*.onnx")))

# Limits inside the child: large enough for every corpus model, small enough
# that a mutated model asking for gigabytes is refused quickly.
MEMORY_LIMIT = 256 << 20
MAX_CONSTANT_BYTES = 16 << 20
MAX_FORWARD_ELEMENTS = 1 << 20

INTERESTING_INTS = [0, 1, -1, 2, -2, 3, 7, 2 ** 31 - 1, 2 ** 31, -2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 62,
                    2 ** 62 + 1, 2 ** 63 - 1, -2 ** 63, -2 ** 63 + 1, 2 ** 40]
INTERESTING_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e38, -1e38, 3.4e38, 1e-45, float("inf"), float("-inf"),
                      float("nan")]
ATTRIBUTE_NAMES = ["kernel_shape", "pads", "strides", "dilations", "group", "axis", "axes", "perm", "ceil_mode",
                   "count_include_pad", "allowzero", "keepdims", "transA", "transB", "alpha", "beta", "epsilon",
                   "size", "to", "split", "num_outputs", "start", "end", "auto_pad", "mode", "value",
                   "noop_with_empty_axes", "approximate", "storage_order", "training_mode"]
OP_TYPES = ["Conv", "Gemm", "MatMul", "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
            "Identity", "Add", "Sub", "Mul", "Div", "Sum", "LRN", "GlobalAveragePool", "Flatten", "Transpose",
            "Concat", "Softmax", "MaxPool", "AveragePool", "BatchNormalization", "Reshape", "Clip", "Slice",
            "Split", "Pad", "Squeeze", "Unsqueeze", "Dropout", "ReduceMean", "Shape", "Gather", "ConstantOfShape",
            "Expand", "Range", "Cast", "Where", "Equal", "Constant", "Erf", "Gelu", "Floor", "Sqrt", "Tile"]


def _int(rng):
    return rng.choice(INTERESTING_INTS) if rng.random() < 0.6 else rng.randint(-5, 40)


def _ints(rng, n):
    return [_int(rng) for _ in range(n)]


def _tensor_names(model):
    g = model.graph
    names = [v.name for v in g.input] + [t.name for t in g.initializer]
    for n in g.node:
        names.extend(n.output)
    return [n for n in names if n] or ["x"]


def _mutate_attribute(rng, model):
    nodes = [n for n in model.graph.node if n.attribute]
    if not nodes:
        return _add_attribute(rng, model)
    attr = rng.choice(rng.choice(nodes).attribute)
    if attr.type == onnx.AttributeProto.INT:
        attr.i = _int(rng)
    elif attr.type == onnx.AttributeProto.INTS:
        values = list(attr.ints) or [1]
        if rng.random() < 0.3:
            values = _ints(rng, rng.randint(0, 6))
        else:
            values[rng.randrange(len(values))] = _int(rng)
        del attr.ints[:]
        attr.ints.extend(values)
    elif attr.type == onnx.AttributeProto.FLOAT:
        attr.f = rng.choice(INTERESTING_FLOATS)
    elif attr.type == onnx.AttributeProto.STRING:
        attr.s = rng.choice([b"", b"VALID", b"SAME_UPPER", b"SAME_LOWER", b"reflect", b"edge", b"tanh", b"x"])
    elif attr.type == onnx.AttributeProto.TENSOR:
        _mutate_tensor(rng, attr.t)
    else:
        attr.type = rng.choice([onnx.AttributeProto.INT, onnx.AttributeProto.FLOAT, onnx.AttributeProto.UNDEFINED])


def _add_attribute(rng, model):
    node = rng.choice(model.graph.node)
    name = rng.choice(ATTRIBUTE_NAMES)
    kind = rng.randrange(4)
    if kind == 0:
        value = _int(rng)
    elif kind == 1:
        value = _ints(rng, rng.randint(0, 8))
    elif kind == 2:
        value = rng.choice(INTERESTING_FLOATS)
    else:
        value = rng.choice(["NOTSET", "VALID", "SAME_UPPER", "constant", "reflect", "none", ""])
    for i, a in enumerate(node.attribute):
        if a.name == name:
            del node.attribute[i]
            break
    if name == "value" and rng.random() < 0.5:
        value = helper.make_tensor("value", rng.choice([1, 6, 7, 9]), [1], [1])
    if name == "to":
        value = rng.choice([0, 1, 6, 7, 8, 9, 11, 16, 30, 99])
    try:
        node.attribute.append(helper.make_attribute(name, value))
    except (ValueError, TypeError):
        pass


def _remove_attribute(rng, model):
    nodes = [n for n in model.graph.node if n.attribute]
    if nodes:
        node = rng.choice(nodes)
        del node.attribute[rng.randrange(len(node.attribute))]


def _mutate_tensor(rng, tensor):
    """New values (same or new dims) for an initializer or a tensor attribute."""
    array = numpy_helper.to_array(tensor)
    kind = rng.randrange(3)
    if kind == 0 and array.size:  # one value
        flat = array.reshape(-1).copy()
        if np.issubdtype(flat.dtype, np.integer):
            flat[rng.randrange(flat.size)] = np.array(_int(rng)).astype(flat.dtype)
        else:
            flat[rng.randrange(flat.size)] = rng.choice(INTERESTING_FLOATS)
        array = flat.reshape(array.shape)
    elif kind == 1:  # new dims, values repeated or cut
        dims = [rng.choice([0, 1, 2, 3, 4, 8]) for _ in range(rng.randint(0, 4))]
        size = int(np.prod(dims))
        flat = np.resize(array.reshape(-1), size) if array.size else np.zeros(size, array.dtype)
        array = flat.reshape(dims)
    else:  # declared dims that disagree with the data, or huge dims with no data
        tensor.dims[:] = [_int(rng) % (2 ** 63) for _ in range(rng.randint(0, 3))] if rng.random() < 0.5 else \
            list(tensor.dims) + [rng.choice([2, 1000])]
        return
    tensor.CopyFrom(numpy_helper.from_array(array, tensor.name))


def _mutate_initializer(rng, model):
    inits = model.graph.initializer
    if not inits:
        return _mutate_attribute(rng, model)
    ints = [t for t in inits if t.data_type == onnx.TensorProto.INT64]
    pool = ints if ints and rng.random() < 0.7 else list(inits)
    _mutate_tensor(rng, rng.choice(pool))


def _mutate_input_dims(rng, model):
    vi = rng.choice(list(model.graph.input) + list(model.graph.output))
    shape = vi.type.tensor_type.shape
    kind = rng.randrange(4)
    if kind == 0 and shape.dim:
        shape.dim[rng.randrange(len(shape.dim))].dim_value = rng.choice(INTERESTING_INTS[:12] + [2 ** 62])
    elif kind == 1 and shape.dim:
        del shape.dim[rng.randrange(len(shape.dim))]
    elif kind == 2:
        shape.dim.add().dim_value = rng.choice([1, 2, 3])
    elif shape.dim:
        shape.dim[rng.randrange(len(shape.dim))].dim_param = rng.choice(["N", "H", "batch"])


def _mutate_op_type(rng, model):
    rng.choice(model.graph.node).op_type = rng.choice(OP_TYPES)


def _mutate_links(rng, model):
    node = rng.choice(model.graph.node)
    names = _tensor_names(model)
    kind = rng.randrange(5)
    if kind == 0 and node.input:
        node.input[rng.randrange(len(node.input))] = rng.choice(names + ["", "missing"])
    elif kind == 1:
        node.input.append(rng.choice(names + [""]))
    elif kind == 2 and node.input:
        del node.input[rng.randrange(len(node.input))]
    elif kind == 3 and node.output:
        node.output[rng.randrange(len(node.output))] = rng.choice(names + ["", "fresh"])
    else:
        node.output.append(rng.choice(["", "extra"] + names))


def _mutate_nodes(rng, model):
    nodes = model.graph.node
    kind = rng.randrange(4)
    if kind == 0 and len(nodes) > 1:
        del nodes[rng.randrange(len(nodes))]
    elif kind == 1:
        nodes.append(copy.deepcopy(rng.choice(nodes)))
    elif kind == 2 and len(nodes) > 1:
        i, j = rng.randrange(len(nodes)), rng.randrange(len(nodes))
        a, b = copy.deepcopy(nodes[i]), copy.deepcopy(nodes[j])
        nodes[i].CopyFrom(b)
        nodes[j].CopyFrom(a)
    else:
        rng.choice(nodes).name = rng.choice(["", nodes[0].name, "x", "n" * 300])


def _mutate_opset(rng, model):
    model.opset_import[0].version = rng.choice([1, 5, 6, 7, 9, 11, 12, 13, 17, 18, 21, 22, 99])


MUTATIONS = [(_mutate_attribute, 6), (_add_attribute, 3), (_remove_attribute, 1), (_mutate_initializer, 6),
             (_mutate_input_dims, 3), (_mutate_op_type, 2), (_mutate_links, 2), (_mutate_nodes, 1),
             (_mutate_opset, 1)]


def structure_case(seed, index, corpus):
    """Case `index`: (corpus file, mutated model bytes, compile dims)."""
    rng = random.Random(f"{seed}-{index}")
    path = rng.choice(corpus)
    model = onnx.load(path)
    fns, weights = zip(*MUTATIONS)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not model.graph.node:
            break
        try:
            rng.choices(fns, weights)[0](rng, model)
        except (ValueError, TypeError, IndexError):  # e.g. a tensor an earlier mutation broke
            pass
    dims = _compile_dims(rng, model)
    return path, model.SerializeToString(), dims


def byte_case(seed, index, corpus):
    rng = random.Random(f"bytes-{seed}-{index}")
    path = rng.choice(corpus)
    with open(path, "rb") as f:
        b = bytearray(f.read())
    for _ in range(rng.choice([1, 1, 2, 4])):
        kind = rng.randrange(4)
        if kind == 0:  # flip bytes
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == 1:  # truncate
            b = b[: rng.randrange(len(b))] if b else b
        elif kind == 2:  # duplicate a slice
            s = rng.randrange(len(b))
            b[s:s] = b[s:s + rng.randint(1, 64)]
        else:  # zero a run
            s = rng.randrange(len(b))
            n = min(rng.randint(1, 32), len(b) - s)
            b[s:s + n] = bytes(n)
        if not b:
            break
    model = onnx.ModelProto()
    try:
        model.ParseFromString(bytes(b))
        dims = _compile_dims(rng, model)
    except Exception:  # unparsable: load_onnx must say so
        dims = [[1, 3, 16, 16]]
    return path, bytes(b), dims


def _compile_dims(rng, model):
    """One shape per graph input: the declared dims (unknown as 1), sometimes mutated."""
    inits = {t.name for t in model.graph.initializer}
    dims = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        d = [x.dim_value if x.HasField("dim_value") and 0 < x.dim_value < 64 else 1
             for x in vi.type.tensor_type.shape.dim]
        if rng.random() < 0.1 and d:
            d[rng.randrange(len(d))] = rng.choice([0, 2 ** 31, 2 ** 62, 2 ** 63 - 1, 3, 100])
        dims.append(d)
    return dims or [[1, 3, 16, 16]]


def run_case(fibnlr, data, dims):
    """load, compile, forward one model; 'ok' or 'error' (ValueError/TypeError)."""
    try:
        g = fibnlr.load_onnx(data, max_constant_bytes=MAX_CONSTANT_BYTES)
        g.compile(dims=dims)
        if all(int(np.prod(d)) <= MAX_FORWARD_ELEMENTS for d in dims):
            g.forward(*[np.ones(d, np.float32) for d in dims])
        return "ok"
    except (ValueError, TypeError):
        return "error"


def run(mode, seed, first, count, per_case_timeout):
    import fibnlr
    fibnlr.set_memory_limit(MEMORY_LIMIT)
    make = structure_case if mode == "structure" else byte_case
    outcomes = {"ok": 0, "error": 0}
    failures = []
    for i in range(first, first + count):
        path, data, dims = make(seed, i, CORPUS)
        # A hang dumps every thread's stack and exits; the parent names the case.
        sys.stderr.write(f"case {mode} seed={seed} index={i} ({os.path.basename(path)}, dims {dims})\n")
        sys.stderr.flush()
        faulthandler.dump_traceback_later(per_case_timeout, exit=True)
        try:
            outcomes[run_case(fibnlr, data, dims)] += 1
        except Exception as e:  # the property is broken: any other exception type
            failures.append({"index": i, "file": os.path.basename(path), "dims": dims,
                             "error": f"{type(e).__name__}: {e}"[:500],
                             "traceback": traceback.format_exc()[-1500:]})
        faulthandler.cancel_dump_traceback_later()
    return {"mode": mode, "seed": seed, "first": first, "count": count, **outcomes, "failures": failures}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["structure", "bytes"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case before it counts as a hang")
    parser.add_argument("--write", help="write the (single) case's model to this path instead of running it")
    args = parser.parse_args()
    if args.write:
        make = structure_case if args.mode == "structure" else byte_case
        path, data, dims = make(args.seed, args.first, CORPUS)
        with open(args.write, "wb") as f:
            f.write(data)
        print(f"case {args.first} from {path}, compile dims {dims} -> {args.write}")
        return
    faulthandler.enable()
    print(json.dumps(run(args.mode, args.seed, args.first, args.count, args.timeout)))


if __name__ == "__main__":
    main()
