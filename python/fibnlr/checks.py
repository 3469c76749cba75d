"""Argument checks shared by evaluate and finetune: a ValueError naming the argument."""
from __future__ import annotations

import math
import numbers


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def positive_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def fraction(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return float(value)


def single_input_output(graph, what: str, role: str = "graph") -> None:
    """evaluate and finetune feed one batch and read one output."""
    inputs, outputs = len(graph.inputs()), len(graph.outputs())
    if inputs != 1 or outputs != 1:
        raise ValueError(f"{what} needs a {role} with one input and one output; "
                         f"'{graph.name()}' has {inputs} inputs and {outputs} outputs")
