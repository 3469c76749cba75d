"""finetune under torchrun with 2 processes: DistributedDataParallel over gloo,
each rank on its shard. Two ranks with batches of 16 and averaged gradients must
end where one process does with the same batches paired into batches of 32."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fibnlr
from ddp_finetune import batches
from fibnlr.torch.distributed import shard
from fibnlr_testlib import zoo_graph
from torch_testlib import labelled_images, one_torch_thread  # noqa: F401 (autouse fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCHS = 3


def test_shard_takes_whole_rounds():
    items = list(range(7))
    assert list(shard(items, 0, 1)) == items
    assert list(shard(items, 0, 2)) == [0, 2, 4]
    assert list(shard(items, 1, 2)) == [1, 3, 5]  # 6 is a round of one: dropped on every rank
    assert list(shard(items, 2, 3)) == [2, 5]


def test_two_processes_match_one_process_on_paired_batches(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([HERE] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           os.path.join(HERE, "ddp_finetune.py"), str(tmp_path), str(EPOCHS)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    assert all(int(r["world"]) == 2 for r in ranks)
    names = [k for k in ranks[0].files if k not in ("losses", "world")]
    for name in names:
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name], err_msg=name)
    losses = ranks[0]["losses"]
    np.testing.assert_array_equal(losses, ranks[1]["losses"])
    assert len(losses) == EPOCHS and losses[-1] < 0.7 * losses[0]

    x, y = labelled_images()
    reference = zoo_graph("tiny", 32)
    ref_losses = fibnlr.finetune(reference, batches(x, y, 32), epochs=EPOCHS, lr=1e-2, progress=False)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4)
    initial = zoo_graph("tiny", 32)
    moved = 0
    for node in reference.get_nodes():
        if node.type() == "Producer":
            ref = node.get_operator().value()
            np.testing.assert_allclose(ranks[0][node.name()], ref, rtol=1e-3, atol=1e-5, err_msg=node.name())
            moved += not np.array_equal(ref, initial.get_node(node.name()).get_operator().value())
    assert moved >= 4  # conv weights, BN scale and shift, fc
