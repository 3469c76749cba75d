"""The real data shipped in the package (fibnlr.demo_data) and the pieces of experiments/fashion_mnist.py."""
import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

import fibnlr
from fibnlr import demo_data

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_package_ships_two_small_models_and_the_subset():
    files = [demo_data.model_path(m) for m in demo_data.MODELS]
    files.append(os.path.join(os.path.dirname(demo_data.__file__), "fashion_mnist_subset.npz"))
    for f in files:
        assert os.path.getsize(f) < 2_000_000, f
    assert os.path.exists(os.path.join(os.path.dirname(demo_data.__file__), "LICENSE"))
    for m in demo_data.MODELS:
        onnx.checker.check_model(onnx.load(demo_data.model_path(m)))


def test_the_subset_is_real_labelled_fashion_mnist():
    calib_x, calib_y, test_x, test_y = demo_data.load_subset()
    assert calib_x.shape == (1000, 28, 28) and test_x.shape == (2000, 28, 28)
    assert calib_x.dtype == test_x.dtype == np.uint8
    assert calib_y.shape == (1000,) and test_y.shape == (2000,)
    for y in (calib_y, test_y):
        assert set(np.unique(y)) == set(range(10))         # every class
        assert np.bincount(y).min() > len(y) / 20           # roughly balanced, as Fashion-MNIST is
    assert 60 < test_x.mean() < 90 and test_x.max() == 255  # grey clothes on black (mean pixel ~73)
    assert len(demo_data.CLASSES) == 10


def test_to_input_normalises_and_refuses_other_shapes():
    x = demo_data.to_input(np.array([[0, 255] * 14] * 28, np.uint8))
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0, 0, :2], [(0 - demo_data.MEAN) / demo_data.STD,
                                                 (1 - demo_data.MEAN) / demo_data.STD], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[2, 32, 32\]"):
        demo_data.to_input(np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="'vgg'.*resnet"):
        demo_data.model_path("vgg")


@pytest.mark.parametrize("name", demo_data.MODELS)
def test_the_shipped_models_are_trained_and_fibnlr_agrees_with_onnxruntime(name):
    ort = pytest.importorskip("onnxruntime")
    _, _, test_x, test_y = demo_data.load_subset()
    x = demo_data.to_input(test_x)
    sess = ort.InferenceSession(demo_data.model_path(name), providers=["CPUExecutionProvider"])
    reference = sess.run(None, {sess.get_inputs()[0].name: x})[0].argmax(1)
    g = fibnlr.load_onnx(demo_data.model_path(name))
    result = fibnlr.evaluate(g, (x, test_y), progress=False)
    assert result["images"] == 2000
    assert result["top1"] == pytest.approx(np.mean(reference == test_y), abs=1.5e-3)  # float rounding: a few images
    assert result["top1"] > 0.85


def _load_script(name):
    path = ROOT / "experiments" / f"{name}.py"
    if not path.exists():
        pytest.skip(f"{path} is not here (run from a source checkout)")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_script_builds_the_shipped_architectures():
    torch = pytest.importorskip("torch")
    train = _load_script("train_demo_models")
    for name, arch in train.ARCHITECTURES.items():
        net = arch()
        shipped = onnx.load(demo_data.model_path(name))
        ops = [n.op_type for n in shipped.graph.node]
        modules = [type(m).__name__ for m in net.modules()]
        assert ops.count("Conv") == modules.count("Conv2d") >= 15, name
        assert ops.count("Relu") == modules.count("ReLU") and ops.count("Clip") == modules.count("ReLU6"), name
        assert ops.count("Relu") + ops.count("Clip") >= 13, name
        shipped_params = sum(int(np.prod(t.dims)) for t in shipped.graph.initializer if len(t.dims) > 1)
        weights = sum(p.numel() for n, p in net.named_parameters() if p.dim() > 1)
        assert weights == shipped_params, name
        assert tuple(net(torch.zeros(2, 1, 28, 28)).shape) == (2, 10)
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.testing.assert_allclose(train.to_input(x), demo_data.to_input(x), rtol=1e-6)


def test_fashion_mnist_script_quick_run_writes_the_table(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    script = _load_script("fashion_mnist")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{script.START}\nold table\n{script.END}\nrest\n")
    results = script.main(["--data", "demo", "--quick", "--models", "resnet", "--configs", "default",
                           "--readme", str(readme), "--json", str(tmp_path / "run.json")])
    (model, r), = results
    assert model == "resnet" and r["total"] == 13
    exact, approximate = r["rows"]
    assert (exact["mode"], approximate["mode"]) == ("exact", "approximate")
    assert exact["removed"] > 0
    # exact merging keeps the pruned network's function: the same test accuracy (256 images, float rounding)
    assert abs(exact["merged"] - exact["pruned"]) <= 100 / 256 + 1e-9
    assert exact["convs"] <= r["original"]["convs"] and exact["mmacs"] <= r["original"]["mmacs"] + 1e-9
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "old table" not in text
    table = [line for line in text.splitlines() if line.startswith("| resnet |")]
    assert len(table) == 3 and "python experiments/fashion_mnist.py --data demo --quick" in text
    # runs saved separately combine into the same table
    combined = tmp_path / "combined.md"
    combined.write_text(f"{script.START}\n{script.END}\n")
    script.main(["--combine", str(tmp_path / "run.json"), "--readme", str(combined)])
    assert [line for line in combined.read_text().splitlines() if line.startswith("| resnet |")] == table
    assert "then `python experiments/fashion_mnist.py --combine" in combined.read_text()
    # other modes of the same model, run separately, join its rows under one original row
    (_, r2), = script.main(["--data", "demo", "--quick", "--models", "resnet", "--configs", "default",
                            "--modes", "none,exact-latency", "--json", str(tmp_path / "run2.json")])
    none, latency = r2["rows"]
    assert (none["mode"], latency["mode"]) == ("none", "exact-latency")
    assert none["merged"] == none["pruned"] and none["convs"] == r["original"]["convs"]
    assert abs(latency["merged"] - latency["pruned"]) <= 100 / 256 + 1e-9  # exact, whatever the objective picked
    script.main(["--combine", str(tmp_path / "run.json"), str(tmp_path / "run2.json"), "--readme", str(combined)])
    rows = [line for line in combined.read_text().splitlines() if line.startswith("| resnet |")]
    assert rows[:3] == table and len(rows) == 5 and sum("| original |" in line for line in rows) == 1
    with pytest.raises(SystemExit, match="unknown mode 'fast'"):
        script.main(["--data", "demo", "--quick", "--modes", "fast"])


def test_fashion_mnist_script_plan_row(tmp_path):
    """A plan_depth row: the planned units are removed and exact merging keeps the pruned model's accuracy."""
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    script = _load_script("fashion_mnist")
    results = script.main(["--data", "demo", "--quick", "--models", "mobilenetv2", "--configs", "plan-macs",
                           "--plan-max-divergence", "1.0", "--json", str(tmp_path / "run.json")])
    (model, r), = results
    (row,) = r["rows"]
    assert row["config"] == "plan-macs" and row["mode"] == "exact"
    assert 0 < row["removed"] <= r["total"] and row["divergence"] <= 1.0
    assert abs(row["merged"] - row["pruned"]) <= 100 / 256 + 1e-9
    assert row["convs"] < r["original"]["convs"]
