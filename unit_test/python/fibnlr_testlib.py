"""Shared helpers of the FIBNLR Python tests: small graphs built in code,
zoo models loaded once, and masses computed independently with numpy."""

import functools

import numpy as np
import onnx

import fibnlr
from models.export import build_zoo_model, export_onnx, export_zoo_model

EPS = np.finfo(np.float64).eps


def masses(x):
    """(neg, pos) masses of x in float64, finite values only."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(-x[x < 0].sum()), float(x[x > 0].sum())


def npr_value(neg, pos):
    return (neg + EPS) / (pos + EPS)


def direct_graph():
    """x -> ReLU 'relu'; 2x -> LeakyReLU 'leaky'; -x -> GELU 'gelu'; x -> Clip 'clip'.

    Each activation reads a known function of the input, so expected NPR
    follows from the data."""
    g = fibnlr.GraphView("direct")
    x = g.add_input("x")

    def node(kind, name, parent, attrs=None, const=None):
        n = fibnlr.Node(kind, name, attrs or {})
        parent.add_child(n, 0, 0)
        if const is not None:
            n.set_parameter("B", np.array([const], dtype=np.float32))
        g.add(n)
        return n

    relu = node("ReLU", "relu", x)
    leaky = node("LeakyReLU", "leaky", node("Mul", "twice", x, const=2.0))
    gelu = node("GELU", "gelu", node("Mul", "neg", x, const=-1.0))
    clip = node("Clip", "clip", x, {"min": 0.0, "max": 6.0})
    g.set_outputs([relu, leaky, gelu, clip])
    return g


# activation name -> scale applied to x before it
DIRECT_SCALES = {"relu": 1.0, "leaky": 2.0, "gelu": -1.0, "clip": 1.0}


@functools.lru_cache(maxsize=None)
def zoo_bytes(name, opset=13, fold_bn=False):
    proto, _ = export_zoo_model(name, opset, fold_bn)
    return proto.SerializeToString()


def zoo_graph(name, batch, opset=13, fold_bn=False):
    """A fresh, compiled GraphView of a zoo model for input batches of `batch`."""
    proto = onnx.load_from_string(zoo_bytes(name, opset, fold_bn))
    g = fibnlr.load_onnx(proto)
    _, x = export_zoo_model_shape(name)
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[batch, *x[1:]]])
    return g


@functools.lru_cache(maxsize=None)
def export_zoo_model_shape(name):
    from models.export import ZOO
    return None, ZOO[name][1]


def random_batches(name, n, batch, seed=0):
    shape = export_zoo_model_shape(name)[1]
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((batch, *shape[1:]), dtype=np.float32) for _ in range(n)]


def params(**kw):
    return fibnlr.fibnlr_Parameters(**kw)
