"""Bad input gives exit 2 and one `fibnlr: error:` line naming the value; other failures 1; Ctrl-C 130."""
import json

import numpy as np
import pytest

from fibnlr import cli, demo_data
from cli_testlib import demo_files


def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("fibnlr: error: ")
    return lines[0]


@pytest.fixture
def files(tmp_path):
    model, calib, _ = demo_files(tmp_path, calib=8, labels=False)
    np.savez(tmp_path / "small.npz", x=np.zeros((4, 1, 14, 14), np.float32))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "list.json").write_text(json.dumps(["LOOSE"]))
    (tmp_path / "unknown.json").write_text(json.dumps({"colour": 1}))
    return tmp_path, model, calib


@pytest.mark.parametrize("argv,words", [
    (["run", "{dir}/missing.onnx", "--calibration", "{calib}", "--out", "{dir}/o.onnx"], "missing.onnx does not exist"),
    (["run", "{model}", "--calibration", "{dir}/none.npy", "--out", "{dir}/o.onnx"], "none.npy does not exist"),
    (["run", "{model}", "--calibration", "{dir}/small.npz", "--out", "{dir}/o.onnx"], "[4, 1, 14, 14]"),
    (["run", "--demo", "--params", "{dir}/broken.json", "--out", "{dir}/o.onnx"], "broken.json is not valid JSON"),
    (["run", "--demo", "--params", "{dir}/list.json", "--out", "{dir}/o.onnx"], "expected a JSON object"),
    (["prune", "--demo", "--params", "{dir}/unknown.json", "--out", "{dir}/o.onnx"], "unknown parameter 'colour'"),
    (["run", "--demo", "--objective", "speed", "--out", "{dir}/o.onnx"], "--objective is 'speed'"),
    (["run", "--demo", "--mode", "fast", "--out", "{dir}/o.onnx"], "invalid choice: 'fast'"),
    (["run", "--demo", "--batch-size", "0", "--out", "{dir}/o.onnx"], "--batch-size is 0"),
    (["run", "--demo", "--batch-size", "many"], "invalid int value: 'many'"),
    (["run", "--demo", "--finetune-epochs", "-1"], "--finetune-epochs is -1"),
    (["evaluate", "{model}", "--eval", "{calib}"], "has no labels"),
    (["inspect", "{dir}/calib.npy"], "calib.npy"),
    (["run"], "needs MODEL.onnx"),
    (["colour"], "invalid choice: 'colour'"),
    (["run", "--demo", "--mean", "a,b"], "'a,b' is not a number"),
])
def test_bad_input_is_one_line_and_status_2(files, capsys, argv, words):
    folder, model, calib = files
    argv = [a.format(dir=folder, model=model, calib=calib) for a in argv]
    assert cli.main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert words in line
    assert not (folder / "o.onnx").exists()


def test_debug_shows_the_traceback(files, capsys):
    folder, model, calib = files
    assert cli.main(["run", str(folder / "missing.onnx"), "--calibration", str(calib), "--out", "o.onnx",
                     "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fibnlr: error: ") and "Traceback (most recent call last)" in err


def test_other_failures_are_status_1_and_ctrl_c_130(monkeypatch, capsys):
    from fibnlr.cli import inspection

    def broken(args, out):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(inspection, "cmd_inspect", broken)
    assert cli.main(["inspect", demo_data.model_path("resnet")]) == 1
    assert "RuntimeError: disk on fire" in _one_line(capsys.readouterr().err)

    def interrupted(args, out):
        raise KeyboardInterrupt

    monkeypatch.setattr(inspection, "cmd_inspect", interrupted)
    assert cli.main(["inspect", demo_data.model_path("resnet")]) == 130
    assert capsys.readouterr().err.strip() == "fibnlr: interrupted"


def test_help_is_plain_text_and_documents_the_options(capsys):
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "fibnlr run --demo" in text and "``" not in text and ":func:" not in text
    assert cli.main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "images per forward pass when measuring, evaluating and fine-tuning" in text  # --batch-size has help
    assert "scaled to [0, 1]" in text and "--mean" in text
