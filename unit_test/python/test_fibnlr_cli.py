"""`fibnlr prune` (its behaviour and flags before the other subcommands came) and the ported upstream example."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import fibnlr
from fibnlr import cli, demo_data
from fibnlr import recipes as R
from fibnlr_testlib import zoo_bytes

ROOT = Path(__file__).resolve().parents[2]
# Children import the same fibnlr as this process (installed or development tree).
CHILD_ENV = {"PYTHONPATH": str(Path(fibnlr.__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"}


def _demo_rows(text):
    return [line for line in text.splitlines() if line.split() and line.split()[-1] in ("yes", "no")]


def test_demo_prunes_the_shipped_model_and_reports_real_accuracy(tmp_path, capsys):
    out = tmp_path / "demo.onnx"
    assert cli.main(["prune", "--demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = _demo_rows(text)
    assert len(rows) == 13  # the shipped ResNet: stem + 2 per basic block x 6 blocks
    assert "dead/channels" in text and f"wrote {out}" in text and "2000 real test images" in text
    # what pruning changed is reported as such; the onnxruntime line is labelled as the export check
    assert "change made by pruning: top-1 agreement with the original" in text
    assert "export check: onnxruntime agrees with fibnlr on the written file" in text
    model = onnx.load(str(out))
    onnx.checker.check_model(model)
    n_pruned = sum(row.split()[-1] == "yes" for row in rows)
    assert n_pruned > 0
    assert sum(n.op_type == "Identity" for n in model.graph.node) == n_pruned
    # the accuracies it prints are those of the models it wrote, on the shipped test images
    accuracy = [line for line in text.splitlines() if line.startswith("top-1 on 2000")]
    assert len(accuracy) == 1
    printed = [float(w) for w in accuracy[0].replace("%", " ").replace(",", " ").split() if w.count(".") == 1
               and w.replace(".", "").isdigit()]
    _, _, test_x, test_y = demo_data.load_subset()
    x = demo_data.to_input(test_x)
    sess = ort.InferenceSession(demo_data.model_path("resnet"), providers=["CPUExecutionProvider"])
    original = 100 * np.mean(sess.run(None, {"input": x})[0].argmax(1) == test_y)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    pruned = 100 * np.mean(sess.run(None, {"input": x})[0].argmax(1) == test_y)
    assert printed[0] == pytest.approx(original, abs=0.051) and original > 80  # a trained model on real data
    assert printed[1] == pytest.approx(pruned, abs=0.051)
    assert printed[2] == pytest.approx(pruned, abs=0.11)  # exact simplify: the same function (to float rounding)
    # the demo is deterministic: the same model and data give the same decisions
    assert cli.main(["prune", "--demo", "--out", str(tmp_path / "again.onnx")]) == 0
    assert _demo_rows(capsys.readouterr().out) == rows


def test_demo_on_mobilenetv2_prepares_its_relu6(tmp_path, capsys):
    assert cli.main(["prune", "--demo", "--demo-model", "mobilenetv2", "--out", str(tmp_path / "m.onnx")]) == 0
    rows = _demo_rows(capsys.readouterr().out)
    clips = sum(n.op_type == "Clip" for n in onnx.load(demo_data.model_path("mobilenetv2")).graph.node)
    assert clips > 0 and len(rows) == clips


def test_prune_model_file_matches_the_python_recipe_and_runs_in_onnxruntime(tmp_path, capsys):
    model_path = tmp_path / "tiny.onnx"
    model_path.write_bytes(zoo_bytes("tiny"))
    x = np.random.default_rng(0).standard_normal((12, 3, 16, 16)).astype(np.float64)  # converted to float32
    np.savez(tmp_path / "data.npz", x=x, y=np.arange(12))
    (tmp_path / "params.json").write_text(json.dumps(
        {"method": "loose", "normalization": "AVERAGE", "ablation_threshold": 0.9, "ablation_method": "REMOVE",
         "convergence_threshold": 0.0}))
    out = tmp_path / "pruned.onnx"
    rc = cli.main(["prune", str(model_path), "--data", str(tmp_path / "data.npz"), "--out", str(out),
                   "--params", str(tmp_path / "params.json"), "--batch-size", "5"])
    assert rc == 0
    text = capsys.readouterr().out
    cli_pruned = {line.split()[0] for line in text.splitlines() if line.split() and line.split()[-1] == "yes"}
    # the same recipe from Python
    g = fibnlr.load_onnx(str(model_path))
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[5, 3, 16, 16]])
    p = R.fibnlr_Parameters(method=R.Method.LOOSE, normalization=R.NormalizationMethod.AVERAGE,
                            ablation_threshold=0.9, ablation_method=R.AblationMethod.REMOVE,
                            convergence_threshold=0.0)
    xs = x.astype(np.float32)
    pruned = R.fibnlr(g, fibnlr.DataProvider(fibnlr.TensorDatabase(xs), 5), p)
    assert cli_pruned == {n.name() for n in pruned}
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    y_ort = sess.run(None, {sess.get_inputs()[0].name: xs[:5]})[0]
    np.testing.assert_allclose(y_ort, g.forward(xs[:5])[0], rtol=1e-4, atol=1e-5)
    assert sum(n.op_type == "Relu" for n in onnx.load(str(out)).graph.node) == \
        sum(n.op_type == "Relu" for n in onnx.load(str(model_path)).graph.node) - len(pruned)


@pytest.mark.parametrize("params,words", [
    ({"ablation_threshold": -1}, "ablation_threshold"),
    ({"colour": 1}, "unknown parameter 'colour'"),
    ({"method": "FAST"}, "STRICT, LOOSE"),
    ({"max_iteration": -2}, "max_iteration"),
])
def test_bad_parameters_give_a_clear_error(tmp_path, capsys, params, words):
    (tmp_path / "p.json").write_text(json.dumps(params))
    assert cli.main(["prune", "--demo", "--params", str(tmp_path / "p.json"), "--out", str(tmp_path / "o.onnx")]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "o.onnx").exists()


def test_missing_arguments_and_bad_data(tmp_path, capsys):
    assert cli.main(["prune", "model.onnx"]) == 2
    assert "--data" in capsys.readouterr().err
    model_path = tmp_path / "tiny.onnx"
    model_path.write_bytes(zoo_bytes("tiny"))
    np.savez(tmp_path / "bad.npz", x=np.zeros((4, 3, 8, 8), np.float32))  # wrong image size
    assert cli.main(["prune", str(model_path), "--data", str(tmp_path / "bad.npz"),
                     "--out", str(tmp_path / "o.onnx")]) == 2
    err = capsys.readouterr().err
    assert "fibnlr: error:" in err and "expects" in err and "[4, 3, 8, 8]" in err
    assert not (tmp_path / "o.onnx").exists()


def test_console_script_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "fibnlr.cli", "prune", "--help"], capture_output=True, text=True,
                         env=CHILD_ENV, timeout=60)
    assert out.returncode == 0 and "--demo" in out.stdout


def test_seed_example_runs_and_agrees_between_one_shot_and_three_steps():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "seed_example.py"), "--width", "2",
                          "--batches", "1"], capture_output=True, text=True, timeout=300,
                         env=CHILD_ENV)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    rows = [line for line in lines if line.split() and line.split()[-1] in ("yes", "no")]
    assert len(rows) == 17  # every ReLU of ResNet18
    assert any(line.startswith("one shot:") for line in lines)
    assert any(line.startswith("three steps: 17 prepared") for line in lines)
