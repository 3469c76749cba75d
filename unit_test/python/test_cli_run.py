"""`fibnlr run`: the whole workflow in one command, on the shipped demo model and on files."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from fibnlr import cli, demo_data
from cli_testlib import demo_files, run_json


def _ort(path, x):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def test_run_demo_json_reports_each_stage_against_onnxruntime(tmp_path, capsys):
    out = tmp_path / "pruned.onnx"
    rc, doc = run_json(capsys, "run", "--demo", "--finetune-epochs", "0", "--out", out)
    assert rc == 0 and out.exists()
    calib_x, _, test_x, test_y = demo_data.load_subset()
    test = demo_data.to_input(test_x)
    original = _ort(demo_data.model_path("resnet"), test).argmax(1)
    written = _ort(out, test).argmax(1)
    stages = doc["metrics"]
    assert list(stages) == ["original", "pruned", "simplified"]  # no fine-tuning asked for
    assert stages["original"]["top1"] == pytest.approx(100 * np.mean(original == test_y), abs=0.051)
    assert stages["simplified"]["top1"] == pytest.approx(100 * np.mean(written == test_y), abs=0.11)
    assert all(stages[s]["latency_ms"] > 0 for s in stages)
    # the change pruning made: agreement of the two models on the 640 calibration images
    calib = demo_data.to_input(calib_x[:640])
    agree = 100 * np.mean(_ort(demo_data.model_path("resnet"), calib).argmax(1) == _ort(out, calib).argmax(1))
    assert doc["change"]["images"] == 640
    assert doc["change"]["top1_agreement"] == pytest.approx(agree, abs=0.32)  # one image may flip by rounding
    assert doc["change"]["max_logit_change"] > 0
    # the per-node records, the pruned list and the written model agree
    records = doc["runs"][0]["nonlinearities"]
    assert len(records) == 13 and {r["name"] for r in records if r["pruned"]} == set(doc["pruned"])
    relus = sum(n.op_type == "Relu" for n in onnx.load(str(out)).graph.node)
    assert relus == 13 - len(doc["pruned"]) and doc["pruned"]
    assert doc["export_check_max_abs_difference"] < 1e-3
    assert doc["timings_s"]["measure"] > 0 and doc["timings_s"]["total"] >= doc["timings_s"]["measure"]


def test_run_on_files_with_finetuning_and_default_demo_output(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    model, calib, test = demo_files(tmp_path, calib=64, test=100)
    out = tmp_path / "out.onnx"
    rc, doc = run_json(capsys, "run", model, "--calibration", calib, "--eval", test, "--out", out,
                       "--finetune-epochs", "1", "--batch-size", "32",
                       "--mode", "approximate", "--max-mac-growth", "1.5")
    assert rc == 0, doc
    assert list(doc["metrics"]) == ["original", "pruned", "simplified", "finetuned"]
    assert doc["finetune"]["images"] == 64 and len(doc["finetune"]["losses"]) == 1
    assert np.isfinite(doc["finetune"]["losses"][0])
    x, y = np.load(test)["x"], np.load(test)["y"]
    assert doc["metrics"]["finetuned"]["top1"] == pytest.approx(100 * np.mean(_ort(out, x).argmax(1) == y), abs=1.01)
    # text output: the stage table and the labelled export check
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--demo", "--finetune-epochs", "0", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert (tmp_path / "demo_pruned.onnx").exists() and "wrote demo_pruned.onnx" in text
    assert "change made by pruning: top-1 agreement with the original" in text
    assert "export check: onnxruntime agrees with fibnlr on the written file demo_pruned.onnx" in text
    assert "2000 real Fashion-MNIST test images" in text and "\nsimplified " in text
