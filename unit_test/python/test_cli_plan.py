"""`fibnlr run --objective ... --target/--max-divergence`: the selection is plan_depth's."""
import onnx
import pytest

from fibnlr import cli
from cli_testlib import run_json


def test_run_with_a_budget_removes_the_planned_units_and_merges_them(tmp_path, capsys):
    out = tmp_path / "planned.onnx"
    rc, doc = run_json(capsys, "run", "--demo", "--demo-model", "mobilenetv2", "--objective", "macs",
                       "--max-divergence", "2", "--finetune-epochs", "0", "--out", out)
    assert rc == 0, doc
    plan = doc["plan"]
    picked = [c for c in plan["candidates"] if c["picked"]]
    assert picked and plan["divergence"] <= 2.0
    assert sorted(doc["pruned"]) == sorted(n for c in picked for n in c["nodes"])
    # the report's run is the plan's choice: no FIBNLR threshold line
    assert doc["runs"][0]["label"] == "plan_depth (macs)" and doc["runs"][0]["threshold"] is None
    # the written model lost exactly the planned ReLU6 (exported as Clip) and its merged blocks
    clips = sum(n.op_type == "Clip" for n in onnx.load(str(out)).graph.node)
    assert clips == 17 - len(doc["pruned"])
    assert doc["simplify"]["merges"] >= 1
    assert doc["simplify"]["mmacs_after"] < doc["simplify"]["mmacs_before"]
    # exact merges: the simplified model answers as the pruned one
    assert doc["metrics"]["simplified"]["top1"] == pytest.approx(doc["metrics"]["pruned"]["top1"], abs=0.051)


def test_run_nonlinear_ops_target(tmp_path, capsys):
    rc, doc = run_json(capsys, "run", "--demo", "--objective", "nonlinear_ops", "--target", "0.9",
                       "--max-divergence", "5", "--finetune-epochs", "0", "--out", tmp_path / "o.onnx")
    assert rc == 0, doc
    assert doc["plan"]["objective"] == "nonlinear_ops" and doc["plan"]["target_reached"] is True
    assert doc["plan"]["ratio"] <= 0.9


@pytest.mark.parametrize("args, message", [
    (["--objective", "speed"], "--objective is 'speed'"),
    (["--objective", "layers", "--target", "1.3"], "merge objective only"),
    (["--objective", "latency", "--max-divergence", "-1"], "max_divergence must be a finite number >= 0"),
])
def test_bad_plan_arguments_exit_2_with_one_line(tmp_path, capsys, args, message):
    rc = cli.main(["run", "--demo", "--quiet", "--finetune-epochs", "0", "--out", str(tmp_path / "o.onnx"), *args])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "o.onnx").exists()
