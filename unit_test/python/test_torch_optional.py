"""torch stays optional: `import fibnlr` does not import it, evaluate runs without
it, and fibnlr.torch / fibnlr.finetune say how to install it when it is missing
(simulated by a meta-path finder that refuses torch, in a fresh interpreter)."""
import subprocess
import sys
import textwrap

BLOCK_TORCH = """
import importlib.abc, sys
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return None
sys.meta_path.insert(0, NoTorch())
"""


def run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_import_fibnlr_does_not_import_torch():
    out = run(textwrap.dedent("""
        import sys
        import fibnlr
        print("torch" in sys.modules, callable(fibnlr.finetune), callable(fibnlr.evaluate))
    """))
    assert out.split() == ["False", "True", "True"]


def test_without_torch_evaluate_works_and_torch_parts_say_how_to_install():
    out = run(BLOCK_TORCH + textwrap.dedent("""
        import numpy as np
        import fibnlr

        g = fibnlr.GraphView("g")
        x = g.add_input("x")
        relu = fibnlr.Node("ReLU", "relu")
        x.add_child(relu, 0, 0)
        g.add(relu)
        g.set_outputs([relu])
        images = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 0.0]], np.float32)
        print(fibnlr.evaluate(g, (images, np.array([1, 2])), progress=False))
        for attempt in (lambda: __import__("fibnlr.torch"), lambda: fibnlr.torch,
                        lambda: fibnlr.finetune(g, (images, np.array([1, 2])))):
            try:
                attempt()
                print("no error")
            except ImportError as e:
                print("ImportError:", e)
        print("torch" in sys.modules)
    """))
    lines = out.splitlines()
    assert lines[0] == "{'top1': 0.5, 'top5': 1.0, 'images': 2}"
    assert len(lines) == 5 and lines[4] == "False"
    for line in lines[1:4]:
        assert line.startswith("ImportError: fibnlr.torch needs PyTorch") and "pip install fibnlr[torch]" in line
