"""Run by test_torch_distributed.py under torchrun: fine-tunes the zoo's tiny net
with fibnlr.finetune on every process and saves each rank's losses and weights.

usage: torchrun --nproc_per_node N ddp_finetune.py OUT_DIR EPOCHS
"""
import os
import sys

import numpy as np

import fibnlr
from fibnlr_testlib import zoo_graph
from torch_testlib import labelled_images


def batches(x, y, size):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def main(out_dir, epochs):
    x, y = labelled_images()
    g = zoo_graph("tiny", 16)
    losses = fibnlr.finetune(g, batches(x, y, 16), epochs=epochs, lr=1e-2, progress=False)
    weights = {n.name(): n.get_operator().value() for n in g.get_nodes() if n.type() == "Producer"}
    np.savez(os.path.join(out_dir, f"rank{os.environ['RANK']}.npz"), losses=np.array(losses),
             world=int(os.environ["WORLD_SIZE"]), **weights)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
