"""Conv chains built in code for the depth-merging tests, and a torch oracle."""
import numpy as np
import torch
import torch.nn.functional as F

import fibnlr


def conv_spec(out, kernel, strides=None, pads=None, dilations=None, group=1, bias=True):
    """One conv of a chain; pads are ONNX-style [begins..., ends...]."""
    nd = len(kernel)
    return {
        "out": out, "kernel": tuple(kernel), "strides": tuple(strides or (1,) * nd),
        "pads": tuple(pads or (0,) * (2 * nd)), "dilations": tuple(dilations or (1,) * nd),
        "group": group, "bias": bias,
    }


def make_weights(in_ch, specs, rng):
    """Random (W, B or None) per conv."""
    params, c = [], in_ch
    for s in specs:
        w = rng.normal(0, 0.4, (s["out"], c // s["group"]) + s["kernel"]).astype(np.float32)
        b = rng.normal(0, 0.5, s["out"]).astype(np.float32) if s["bias"] else None
        params.append((w, b))
        c = s["out"]
    return params


def build_chain(specs, params, name="chain"):
    """x -> c0 -> c1 -> ... as a fibnlr GraphView."""
    g = fibnlr.GraphView(name)
    prev = g.add_input("x")
    for i, (s, (w, b)) in enumerate(zip(specs, params)):
        n = fibnlr.Node("Conv", f"c{i}", {"strides": list(s["strides"]), "pads": list(s["pads"]),
                                          "dilations": list(s["dilations"]), "group": s["group"]})
        n.set_parameter("W", w)
        if b is not None:
            n.set_parameter("B", b)
        prev.add_child(n, 0, 0)
        g.add(n)
        prev = n
    g.set_outputs([prev])
    return g


def torch_chain(x, specs, params):
    """The chain computed by torch (asymmetric pads through F.pad): an independent oracle."""
    y = torch.from_numpy(x).double()
    for s, (w, b) in zip(specs, params):
        nd = len(s["kernel"])
        pad = []
        for a in reversed(range(nd)):
            pad += [s["pads"][a], s["pads"][a + nd]]
        y = F.pad(y, pad)
        conv = F.conv1d if nd == 1 else F.conv2d
        y = conv(y, torch.from_numpy(w).double(), None if b is None else torch.from_numpy(b).double(),
                 stride=s["strides"], dilation=s["dilations"], groups=s["group"])
    return y.numpy().astype(np.float32)


def output_size(size, s, axis):
    nd = len(s["kernel"])
    e = (s["kernel"][axis] - 1) * s["dilations"][axis] + 1
    span = size + s["pads"][axis] + s["pads"][axis + nd] - e
    return span // s["strides"][axis] + 1 if span >= 0 else 0


def chain_fits(spatial, specs):
    """True when every conv of the chain has a non-empty output."""
    sizes = list(spatial)
    for s in specs:
        sizes = [output_size(v, s, a) for a, v in enumerate(sizes)]
        if min(sizes) < 1:
            return False
    return True


# The activation types FIBNLR measures per zoo model (MobileNetV2's ReLU6 is Clip).
PRUNE_TYPES = {"mobilenet_v2": ["ReLU6"], "resnet18_cifar": ["ReLU"]}


def prune_with_fibnlr(g, input_shape, types, threshold=0.25, batches=3, batch=8, seed=0):
    """Runs the FIBNLR recipe (prepare, compute on `batches` random calibration
    batches, prune with the Identity method below `threshold`) on `g`.
    Returns (pruned, total) counts of non-linearities of `types`."""
    shape = [batch] + list(input_shape[1:])
    g.compile(dims=[shape])
    rng = np.random.default_rng(seed)
    data = [rng.normal(size=shape).astype(np.float32) for _ in range(batches)]
    params = fibnlr.fibnlr_Parameters()
    params.node_types = list(types)
    params.ablation_threshold = threshold
    total = sum(n.type() in types for n in g.get_nodes())
    pruned = fibnlr.fibnlr(g, data, params)
    g.compile(dims=[list(input_shape)])
    return len(pruned), total
