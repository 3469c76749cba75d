"""FIBNLR parameters from and to JSON (PARAMS.json sets fields by their Python names)."""
from __future__ import annotations

import json

from .._core import recipes as R
from ..report.data import parameters_dict as params_to_dict  # noqa: F401 - one JSON form of the parameters

ENUMS = {
    "method": R.Method,
    "normalization": R.NormalizationMethod,
    "group": R.GroupMethod,
    "ablation_criteria": R.AblationCriteria,
    "ablation_method": R.AblationMethod,
}
FIELDS = ["method", "normalization", "group", "ablation_criteria", "ablation_method", "ablation_threshold",
          "ablation_x_least", "max_iteration", "convergence_threshold", "group_assignments", "node_types"]


def parameters_from_dict(values, where="parameters"):
    """fibnlr_Parameters from a dict of Python field names; ValueError naming a bad key or value."""
    if not isinstance(values, dict):
        raise ValueError(f"{where}: expected a JSON object of parameter names to values, got {type(values).__name__}")
    p = R.fibnlr_Parameters()
    for key, value in values.items():
        if key not in FIELDS:
            raise ValueError(f"{where}: unknown parameter '{key}'; expected one of: {', '.join(FIELDS)}")
        if key in ENUMS:
            enum = ENUMS[key]
            if not isinstance(value, str) or value.upper() not in enum.__members__:
                raise ValueError(f"{where}: parameter '{key}' is {value!r}; expected one of: "
                                 f"{', '.join(enum.__members__)}")
            value = enum.__members__[value.upper()]
        try:
            setattr(p, key, value)
        except TypeError as e:
            raise ValueError(f"{where}: parameter '{key}' cannot take the value {value!r}: {e}") from None
    try:
        p.validate()
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    return p


def load_params(path):
    """(parameters, the dict read) from a JSON file; the defaults when ``path`` is None."""
    if path is None:
        return R.fibnlr_Parameters(), {}
    try:
        with open(path) as f:
            values = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"parameters file {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"parameters file {path} is not valid JSON: {e}") from None
    return parameters_from_dict(values, path), values


def threshold(p):
    """The ablation threshold when nodes are selected by threshold, else None (X-least or no ablation)."""
    return p.ablation_threshold if p.ablation_criteria == R.AblationCriteria.THRESHOLD else None
