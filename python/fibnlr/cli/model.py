"""The model and its data, as the commands read them: one-input ONNX models and DATA files."""
from __future__ import annotations

import os

from ..datasets import load_images
from ..onnx_io import load_onnx
from ..onnx_io.importer import INPUT_SHAPE

DEMO_MODELS = ("resnet", "mobilenetv2")
DEMO_CALIBRATION = 640  # calibration images of the demo; its 1,000 shipped training images serve fine-tuning


def load_model(path):
    """The graph of the ONNX file ``path``; ValueError when it is missing or not a model."""
    if not os.path.isfile(path):
        raise ValueError(f"model file {path} does not exist")
    return load_onnx(path)


def input_node(graph):
    nodes = [node for node, _ in graph.inputs()]
    if len(nodes) != 1:
        raise ValueError(f"the model has {len(nodes)} inputs; the fibnlr command line supports one-input models")
    return nodes[0]


def declared_dims(graph):
    """The input dims the model file declares (0 = free, e.g. the batch), or None."""
    node = input_node(graph)
    return list(node.get_annotation(INPUT_SHAPE)) if node.has_annotation(INPUT_SHAPE) else None


def image_layout(graph):
    """(channels, (height, width)) of an [N, C, H, W] input when declared, else None for what is unknown."""
    dims = declared_dims(graph)
    if not dims or len(dims) != 4:
        return None, None
    channels = dims[1] or None
    size = (dims[2], dims[3]) if dims[2] and dims[3] else None
    return channels, size


def check_shape(graph, x, what):
    """ValueError unless ``x`` [N, ...] fits the declared input dims (free dims fit anything)."""
    want = declared_dims(graph)
    if want is None:
        return
    got = list(x.shape)
    if len(want) != len(got) or not all(w in (0, g) for w, g in zip(want[1:], got[1:])):
        shown = ["N" if w == 0 else w for w in want]
        raise ValueError(f"{what} has shape {got}, the model input '{input_node(graph).name()}' expects {shown}")


def load_data(path, graph, args, what):
    """(x, y or None) of DATA ``path`` for ``graph``: images from a folder get the model's channels and size;
    ``--key``, ``--mean`` and ``--std`` apply (see fibnlr.datasets)."""
    channels, size = image_layout(graph)
    x, y = load_images(path, key=getattr(args, "key", None), channels=channels, size=size,
                       mean=getattr(args, "mean", None), std=getattr(args, "std", None))
    check_shape(graph, x, f"{what} {path}")
    return x, y


def input_dims(graph, x=None, shape=None):
    """Per-image input dims [C, H, W]: from data, ``--input-shape``, or the file's declaration."""
    if x is not None:
        return list(x.shape[1:])
    if shape:
        return list(shape[1:])
    dims = declared_dims(graph)
    if dims is None or any(d == 0 for d in dims[1:]):
        raise ValueError(f"the model's input dims are {dims} (0 = free): give --input-shape N,C,H,W or data")
    return dims[1:]


def parse_shape(text):
    """'1,3,32,32' -> [1, 3, 32, 32]; argparse type for --input-shape."""
    try:
        dims = [int(v) for v in text.replace("x", ",").split(",")]
    except ValueError:
        raise ValueError(f"--input-shape is '{text}'; expected integers like 1,3,32,32") from None
    if not dims or any(d < 1 for d in dims):
        raise ValueError(f"--input-shape is '{text}'; expected positive integers like 1,3,32,32")
    return dims


def demo(name):
    """The shipped model ``name``, its path, and the demo data: calibration x, training (x, y), test (x, y)."""
    from .. import demo_data
    if name not in DEMO_MODELS:
        raise ValueError(f"--demo-model is '{name}'; expected one of: {', '.join(DEMO_MODELS)}")
    calib_x, calib_y, test_x, test_y = demo_data.load_subset()
    path = demo_data.model_path(name)
    train = (demo_data.to_input(calib_x), calib_y)
    return load_onnx(path), path, train[0][:DEMO_CALIBRATION], train, (demo_data.to_input(test_x), test_y)
