"""`fibnlr inspect`, `simplify`, `evaluate` and `finetune` on the shipped model, end to end through main()."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from fibnlr import demo_data
from cli_testlib import demo_files, run_json


def _ort(path, x):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def test_inspect_lists_layers_macs_and_nonlinearities(capsys):
    path = demo_data.model_path("resnet")
    rc, doc = run_json(capsys, "inspect", path)
    assert rc == 0
    proto = onnx.load(path)
    convs = [n for n in proto.graph.node if n.op_type == "Conv"]
    assert sum(r["type"] == "Conv" for r in doc["layers"]) == len(convs) == 15
    assert [a["type"] for a in doc["nonlinearities"]] == ["ReLU"] * 13
    assert all(a["measured_by_default"] for a in doc["nonlinearities"])
    # the first conv: 3x3, 1 -> 8 channels, at 28 x 28 (padded): 8 * 28 * 28 * 9 MACs, 8 * 9 + 8 parameters
    first = next(r for r in doc["layers"] if r["type"] == "Conv")
    weights = {t.name: t for t in proto.graph.initializer}
    w = weights[convs[0].input[1]]
    assert list(w.dims) == [8, 1, 3, 3]
    assert first["macs"] == 8 * 28 * 28 * 9 and first["params"] == 8 * 9 + 8
    assert doc["total_macs"] == pytest.approx(5.07e6, rel=0.01)  # the README's 5.07 MMACs
    from fibnlr import cli
    assert cli.main(["inspect", path]) == 0
    text = capsys.readouterr().out
    assert "13 measured by FIBNLR's default node_types" in text and "/features/features.0/Conv" in text


def test_simplify_keeps_the_function_and_evaluate_reports_accuracy(tmp_path, capsys):
    model, calib, test = demo_files(tmp_path, test=300)
    pruned = tmp_path / "pruned.onnx"
    rc, _ = run_json(capsys, "prune", model, "--data", calib, "--out", pruned)
    assert rc == 0
    out = tmp_path / "simple.onnx"
    rc, doc = run_json(capsys, "simplify", pruned, "--out", out)
    assert rc == 0 and doc["layers_after"] and doc["mmacs_after"] <= doc["mmacs_before"]
    x, y = np.load(test)["x"], np.load(test)["y"]
    np.testing.assert_allclose(_ort(out, x), _ort(pruned, x), rtol=1e-4, atol=1e-4)
    rc, doc = run_json(capsys, "evaluate", out, "--eval", test, "--reference", model)
    assert rc == 0 and doc["images"] == 300
    assert doc["top1"] == pytest.approx(100 * np.mean(_ort(out, x).argmax(1) == y), abs=0.34)
    agree = 100 * np.mean(_ort(out, x).argmax(1) == _ort(model, x).argmax(1))
    assert doc["reference"]["top1_agreement"] == pytest.approx(agree, abs=0.34)
    rc, doc = run_json(capsys, "evaluate", model, "--eval", test, "--reference", model)
    assert doc["reference"]["top1_agreement"] == 100 and doc["reference"]["max_logit_change"] == 0


def test_finetune_with_a_teacher_changes_the_weights(tmp_path, capsys):
    pytest.importorskip("torch")
    model, calib, test = demo_files(tmp_path, test=64)
    out = tmp_path / "tuned.onnx"
    rc, doc = run_json(capsys, "finetune", model, "--train", calib, "--teacher", model, "--out", out,
                       "--lr", "0.01", "--batch-size", "32")
    assert rc == 0 and len(doc["losses"]) == 1 and np.isfinite(doc["losses"][0])
    before = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(model).graph.initializer}
    after = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(str(out)).graph.initializer}
    assert any(not np.array_equal(before[k], after[k]) for k in before if k in after)
    # unlabelled data and no teacher: nothing to learn from, said in one line
    rc, err = run_json(capsys, "finetune", model, "--train", calib, "--out", out)
    assert rc == 2 and "has no labels" in err
