"""Models whose weights live in a separate file (ONNX external data): found
beside the model whatever the working directory, and every location that
leaves the model's folder, or bytes that do not fit the tensor, is a
ValueError naming the tensor."""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import fibnlr
from conftest import run_onnxruntime


def _model(w):
    """y = x @ w (MatMul) with w an initializer."""
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    graph = helper.make_graph([node], "mm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
                              [numpy_helper.from_array(w, "w")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


W_BESIDE = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
X = np.array([[1, 2, 3], [-1, 0.5, 2]], dtype=np.float32)


def _save_external(folder, w=W_BESIDE, location="weights.bin"):
    """model.onnx in `folder` with w stored in `location` (relative to folder)."""
    os.makedirs(os.path.dirname(os.path.join(folder, location)), exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    onnx.save_model(_model(w), path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=location, size_threshold=0)
    return path


def _run(g):
    g.compile(dims=[[2, 3]])
    return g.forward(X)[0]


def _edit_external(path, **entries):
    """Rewrites the external-data entries of initializer 'w' in the model file at `path`."""
    model = onnx.load(path, load_external_data=False)
    t = model.graph.initializer[0]
    info = {e.key: e.value for e in t.external_data}
    info.update({k: str(v) for k, v in entries.items() if v is not None})
    for k in [k for k, v in entries.items() if v is None]:
        info.pop(k, None)
    del t.external_data[:]
    for k, v in info.items():
        t.external_data.add(key=k, value=v)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def test_weights_beside_the_model_win_over_the_working_directory(tmp_path, monkeypatch):
    path = _save_external(tmp_path / "model")
    decoy = tmp_path / "cwd"
    _save_external(decoy, w=np.full((3, 4), 100.0, np.float32))  # a weights.bin of other values
    monkeypatch.chdir(decoy)
    want = X @ W_BESIDE
    np.testing.assert_allclose(run_onnxruntime(onnx.load(str(path)), X)[0], want, rtol=1e-6)  # premise
    np.testing.assert_allclose(_run(fibnlr.load_onnx(str(path))), want, rtol=1e-6)


def test_model_loads_from_another_folder(tmp_path, monkeypatch):
    path = _save_external(tmp_path / "a" / "b", location="data/weights.bin")
    monkeypatch.chdir(tmp_path)
    np.testing.assert_allclose(_run(fibnlr.load_onnx(str(path))), X @ W_BESIDE, rtol=1e-6)
    monkeypatch.chdir(tmp_path / "a")
    np.testing.assert_allclose(_run(fibnlr.load_onnx(os.path.join("b", "model.onnx"))), X @ W_BESIDE, rtol=1e-6)


def test_bytes_with_external_data_need_external_data_dir(tmp_path):
    path = _save_external(tmp_path)
    data = open(path, "rb").read()
    with pytest.raises(ValueError, match=r"initializer 'w'.*external_data_dir"):
        fibnlr.load_onnx(data)
    np.testing.assert_allclose(_run(fibnlr.load_onnx(data, external_data_dir=tmp_path)), X @ W_BESIDE, rtol=1e-6)
    proto = onnx.load(path, load_external_data=False)
    with pytest.raises(ValueError, match=r"initializer 'w'.*external_data_dir"):
        fibnlr.load_onnx(proto)
    np.testing.assert_allclose(_run(fibnlr.load_onnx(proto, external_data_dir=str(tmp_path))), X @ W_BESIDE,
                               rtol=1e-6)
    assert proto.graph.initializer[0].data_location == TensorProto.EXTERNAL  # the caller's proto is not modified


@pytest.mark.parametrize("bad,message", [
    (dict(location="ABS"), "absolute"),
    (dict(location="../outside.bin"), r"'\.\.'"),
    (dict(location="sub/../../outside.bin"), r"'\.\.'"),
    (dict(location="link.bin"), "leads out of the model's folder"),
    (dict(location="missing.bin"), "not found"),
    (dict(location=""), "no location"),
    (dict(offset=40), "past the end"),
    (dict(offset=-4), "negative"),
    (dict(offset="x"), "not an integer"),
    (dict(length=44), "does not match"),
    (dict(length=None, offset=8), "past the end"),
])
def test_bad_external_data_is_a_value_error_naming_the_tensor(tmp_path, bad, message):
    folder = tmp_path / "model"
    path = _save_external(folder)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(W_BESIDE.tobytes())
    os.symlink(outside, folder / "link.bin")
    if bad.get("location") == "ABS":
        bad = dict(location=str(outside))
    _edit_external(path, **bad)
    with pytest.raises(ValueError, match=message) as info:
        fibnlr.load_onnx(str(path))
    assert "initializer 'w'" in str(info.value)


def test_symlink_inside_the_folder_is_followed(tmp_path):
    folder = tmp_path / "model"
    path = _save_external(folder)
    os.makedirs(folder / "store")
    os.rename(folder / "weights.bin", folder / "store" / "real.bin")
    os.symlink(os.path.join("store", "real.bin"), folder / "weights.bin")
    np.testing.assert_allclose(_run(fibnlr.load_onnx(str(path))), X @ W_BESIDE, rtol=1e-6)


def test_constant_node_with_external_data(tmp_path):
    """Tensors in node attributes (Constant) are read from the model's folder too."""
    w = numpy_helper.from_array(W_BESIDE, "wc")
    const = helper.make_node("Constant", [], ["w"], name="const", value=w)
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    graph = helper.make_graph([const, node], "mm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    (tmp_path / "c.bin").write_bytes(b"\0" * 16 + W_BESIDE.tobytes())
    t = model.graph.node[0].attribute[0].t
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "c.bin"), ("offset", "16"), ("length", "48")):
        t.external_data.add(key=k, value=v)
    path = tmp_path / "const.onnx"
    path.write_bytes(model.SerializeToString())
    np.testing.assert_allclose(_run(fibnlr.load_onnx(str(path))), X @ W_BESIDE, rtol=1e-6)
