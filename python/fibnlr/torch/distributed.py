"""DistributedDataParallel plumbing for finetune under torchrun (gloo on CPU)."""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


def setup():
    """(rank, world size, whether we created the process group). A process group
    already initialised by the caller is used as it is; otherwise one is created
    when torchrun (or another launcher) set WORLD_SIZE > 1."""
    if not dist.is_available():
        return 0, 1, False
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size(), False
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1, False
    dist.init_process_group("gloo")
    return dist.get_rank(), dist.get_world_size(), True


def shard(batches, rank: int, world: int):
    """Rank `rank`'s batches: the rank-th of every complete round of `world`
    batches (DistributedSampler's split, batch-wise). A last incomplete round is
    dropped on every rank, so all ranks take the same number of steps (DDP's
    all-reduce would otherwise wait forever). Every rank must see the same batches."""
    if world == 1:
        yield from batches
        return
    round_ = []
    for batch in batches:
        round_.append(batch)
        if len(round_) == world:
            yield round_[rank]
            round_ = []


def global_mean(total: float, count: int, world: int):
    """(Σ total, Σ count) over all ranks -> mean; None when no rank counted anything."""
    if world > 1:
        both = torch.tensor([total, count], dtype=torch.float64)
        dist.all_reduce(both)
        total, count = float(both[0]), int(both[1])
    return total / count if count else None
