"""Data-parallel training under torchrun: process group setup, batch sharding, gathering results.

Every process builds the same global batch (same sampler, same masking seed) and keeps its own rows,
so N processes with global batch B take exactly the optimizer steps one process would with batch B.
Only rank 0 writes the run folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized_here: bool = False  # we created the process group (and destroy it at the end)
    device: torch.device = torch.device("cpu")  # where collectives run: the GPU with NCCL, else the CPU

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls) -> DistributedContext:
        """Read torchrun's RANK / WORLD_SIZE / LOCAL_RANK; a single process when they are absent."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls()
        return cls(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))

    def init_process_group(self, device: torch.device) -> None:
        """NCCL between GPUs, gloo between CPU processes; joins a group torchrun prepared."""
        if not self.enabled or dist.is_initialized():
            return
        self.device = device if device.type == "cuda" else torch.device("cpu")
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, rank=self.rank, world_size=self.world_size)
        self.initialized_here = True

    def shutdown(self) -> None:
        """Leave together: a rank tearing down its connections while another still works can abort it."""
        if self.initialized_here and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()
            self.initialized_here = False

    def shard(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """This process's rows of a global batch (rank, rank + world, ...), padding trimmed to its longest."""
        if not self.enabled:
            return batch
        rows = {key: value[self.rank :: self.world_size] for key, value in batch.items()}
        mask = rows.get("attention_mask")
        if mask is not None and mask.ndim == 2 and mask.shape[0]:
            longest = int(mask.sum(dim=1).max())
            rows = {
                k: (v[:, :longest] if v.ndim == 2 and v.shape[1] == mask.shape[1] else v)
                for k, v in rows.items()
            }
        return rows

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """Element-wise sum over processes, returned on the device `values` came from."""
        if not self.enabled:
            return values
        reduced = values.to(self.device, copy=True)  # NCCL reduces GPU tensors only, gloo CPU ones
        dist.all_reduce(reduced, op=dist.ReduceOp.SUM)
        return reduced.to(values.device)

    def gather(self, value: Any) -> list[Any]:
        """Every process's `value` (picklable plain data: numpy arrays, numbers), in rank order."""
        if not self.enabled:
            return [value]
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def broadcast_parameters(self, model: torch.nn.Module) -> None:
        """Give every process rank 0's weights (e.g. the best checkpoint rank 0 loaded)."""
        if self.enabled:
            for tensor in model.state_dict().values():
                dist.broadcast(tensor, src=0)

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()
