"""`run --report` and `fibnlr report`: the fibnlr.report.ReportInput they build, and the real report."""
import dataclasses
import json
import math
import re
import sys
import types
from dataclasses import dataclass, field

import pytest

from fibnlr import cli


@dataclass
class NonLinearity:  # the contract of fibnlr.report, field for field
    name: str
    type: str
    group: str
    npr: float
    nnpr: float
    dead: int
    channels: int
    preceding_channels: object
    pruned: bool


@dataclass
class Run:
    label: str
    nonlinearities: list
    threshold: object = None
    convergence: list = field(default_factory=list)
    params: dict = field(default_factory=dict)


@dataclass
class ReportInput:
    model: str
    runs: list
    layers_before: object = None
    layers_after: object = None
    metrics: dict = field(default_factory=dict)
    plan: object = None


@pytest.fixture
def written(monkeypatch):
    """A stand-in fibnlr.report that records what write_report receives."""
    calls = []
    stub = types.ModuleType("fibnlr.report")
    stub.NonLinearity, stub.Run, stub.ReportInput = NonLinearity, Run, ReportInput

    def write_report(out_dir, data):
        calls.append((str(out_dir), data))
        return {"html": f"{out_dir}/report.html", "markdown": f"{out_dir}/report.md", "figures": []}

    stub.write_report = write_report
    monkeypatch.setitem(sys.modules, "fibnlr.report", stub)
    return calls


def test_run_report_and_report_from_json_build_the_same_input(tmp_path, capsys, written):
    result = tmp_path / "result.json"
    assert cli.main(["run", "--demo", "--finetune-epochs", "0", "--quiet", "--out", str(tmp_path / "o.onnx"),
                     "--report", str(tmp_path / "r1"), "--json-out", str(result)]) == 0
    assert "report: " in capsys.readouterr().out
    (out_dir, data), = written
    assert out_dir == str(tmp_path / "r1") and data.model.endswith("resnet.onnx")
    run, = data.runs
    assert run.label == "default" and run.threshold == 0.25 and run.params["method"] == "STRICT"
    assert len(run.nonlinearities) == 13 and all(isinstance(n, NonLinearity) for n in run.nonlinearities)
    doc = json.loads(result.read_text())
    assert [n.name for n in run.nonlinearities if n.pruned] == doc["pruned"]
    first = run.nonlinearities[0]
    assert first.preceding_channels == 8 and first.channels == 8 and 0 <= first.dead <= 8  # after the 8-channel stem
    assert list(data.metrics) == ["original", "pruned", "simplified"]
    assert all(set(m) == {"top1", "latency_ms"} for m in data.metrics.values())
    assert data.metrics["original"]["top1"] > 80
    assert {"name", "type", "macs", "params"} == set(data.layers_before[0])
    assert sum(r["type"] == "Conv" for r in data.layers_before) == 15
    # the same input again from the JSON the run wrote
    assert cli.main(["report", "--from-json", str(result), "--out", str(tmp_path / "r2"), "--quiet"]) == 0
    again = written[1][1]
    assert again.metrics == data.metrics and again.layers_after == data.layers_after
    for a, b in zip(again.runs[0].nonlinearities, run.nonlinearities):
        assert dataclasses.astuple(a)[:3] == dataclasses.astuple(b)[:3] and a.pruned == b.pruned
        assert math.isclose(a.nnpr, b.nnpr)


def test_report_measures_once_per_params_file(tmp_path, capsys, written):
    (tmp_path / "strict.json").write_text(json.dumps({"ablation_threshold": 0.05}))
    (tmp_path / "loose.json").write_text(json.dumps({"ablation_criteria": "X_LEAST_PER_GROUP",
                                                     "ablation_x_least": 1}))
    assert cli.main(["report", "--demo", "--params", str(tmp_path / "strict.json"), str(tmp_path / "loose.json"),
                     "--out", str(tmp_path / "r"), "--quiet"]) == 0
    (_, data), = written
    strict, loose = data.runs
    assert (strict.label, loose.label) == ("strict.json", "loose.json")
    assert strict.threshold == 0.05 and loose.threshold is None  # X-least: no threshold line
    assert sum(n.pruned for n in strict.nonlinearities) == sum(n.nnpr < 0.05 for n in strict.nonlinearities)
    groups = {n.group for n in loose.nonlinearities}
    assert sum(n.pruned for n in loose.nonlinearities) == len(groups)  # one per group
    # both measured the same untouched model: same NPR
    assert [n.npr for n in strict.nonlinearities] == pytest.approx([n.npr for n in loose.nonlinearities])


def test_report_arguments_are_checked(tmp_path, capsys, written):
    assert cli.main(["report", "--from-json", str(tmp_path / "none.json"), "--out", str(tmp_path)]) == 2
    assert "none.json does not exist" in capsys.readouterr().err
    (tmp_path / "other.json").write_text("{}")
    assert cli.main(["report", "--from-json", str(tmp_path / "other.json"), "--out", str(tmp_path)]) == 2
    assert "no 'runs'" in capsys.readouterr().err


def test_real_report_is_written(tmp_path, capsys):
    assert cli.main(["run", "--demo", "--finetune-epochs", "0", "--quiet", "--out", str(tmp_path / "o.onnx"),
                     "--report", str(tmp_path / "r")]) == 0
    html = (tmp_path / "r" / "report.html").read_text()
    assert "resnet" in html
    for src in re.findall(r'<img[^>]+src="([^"]+)"', html):
        assert (tmp_path / "r" / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", src
    assert "Depth plan" not in html  # FIBNLR's rules chose: no plan


def test_real_report_shows_the_depth_plan(tmp_path, capsys):
    assert cli.main(["run", "--demo", "--demo-model", "mobilenetv2", "--objective", "macs", "--max-divergence", "2",
                     "--finetune-epochs", "0", "--quiet", "--out", str(tmp_path / "o.onnx"),
                     "--report", str(tmp_path / "r")]) == 0
    md = (tmp_path / "r" / "report.md").read_text()
    assert "Depth plan" in md and "features.8/block/block.2/Clip" in md


def test_report_from_a_prune_result(tmp_path, capsys, written):
    result = tmp_path / "prune.json"
    assert cli.main(["prune", "--demo", "--quiet", "--out", str(tmp_path / "o.onnx"), "--json-out", str(result)]) == 0
    doc = json.loads(result.read_text())
    capsys.readouterr()
    assert cli.main(["report", "--from-json", str(result), "--out", str(tmp_path / "r"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["report"]["html"] == f"{tmp_path / 'r'}/report.html"
    (_, data), = written
    assert [n.name for n in data.runs[0].nonlinearities if n.pruned] == doc["pruned"]
    assert set(data.metrics) == {"original", "pruned", "simplified"} and data.layers_before is None
