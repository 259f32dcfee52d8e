"""The GPU inventory and gang placement: which GPUs a job gets, all of them or none.

The inventory comes from NVML (nvidia-ml-py) when it is installed and finds GPUs, else from
`ClusterConfig` (a simulated cluster of nodes x GPUs), so everything runs on a laptop and in CI.
Placement is best-fit: a job that fits on one node goes to the node with the fewest free GPUs
that still holds it, which keeps whole nodes free for the large gang jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .config import ClusterConfig


@dataclass(frozen=True)
class Gpu:
    """One GPU: `gid` is cluster-wide, `index` is its number on its node (CUDA_VISIBLE_DEVICES)."""

    gid: int
    node: int
    index: int
    name: str
    memory_mb: int


@dataclass(frozen=True)
class Inventory:
    """All GPUs of the cluster, grouped by node; `source` says where the list came from."""

    gpus: tuple[Gpu, ...]
    gpus_per_node: int
    source: str

    @property
    def size(self) -> int:
        return len(self.gpus)

    @property
    def nodes(self) -> int:
        return len({gpu.node for gpu in self.gpus})

    def describe(self) -> str:
        """`64 GPUs on 8 nodes (simulated-A100-40GB, from config)`, for error messages."""
        names = sorted({gpu.name for gpu in self.gpus})
        return f"{self.size} GPUs on {self.nodes} nodes ({', '.join(names)}, from {self.source})"


def simulated_inventory(config: ClusterConfig) -> Inventory:
    """The inventory `config` declares: `nodes` nodes of `gpus_per_node` identical GPUs."""
    if config.nodes < 1 or config.gpus_per_node < 1:
        raise ValueError("cluster: nodes and gpus_per_node must be at least 1")
    gpus = tuple(
        Gpu(node * config.gpus_per_node + i, node, i, config.gpu_name, config.gpu_memory_mb)
        for node in range(config.nodes)
        for i in range(config.gpus_per_node)
    )
    return Inventory(gpus, config.gpus_per_node, "config")


def nvml_inventory() -> Inventory | None:
    """The local GPUs as NVML reports them (one node), or None without nvidia-ml-py or GPUs."""
    try:
        import pynvml  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError: no driver on this machine
        return None
    try:
        count = int(pynvml.nvmlDeviceGetCount())
        gpus = []
        for i in range(count):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(handle)
            name = name.decode() if isinstance(name, bytes) else str(name)
            memory = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total) // (1024 * 1024)
            gpus.append(Gpu(i, 0, i, name, memory))
    finally:
        pynvml.nvmlShutdown()
    return Inventory(tuple(gpus), count, "NVML") if gpus else None


def discover(config: ClusterConfig) -> Inventory:
    """NVML's GPUs when there are any, else the simulated cluster of `config`."""
    return nvml_inventory() or simulated_inventory(config)


def place(
    need: int,
    free_by_node: Sequence[Iterable[int]],
    *,
    node_size: int,
    avoid: frozenset[int] = frozenset(),
) -> list[int] | None:
    """Gang placement of `need` GPUs on the free ones, or None when they do not all fit.

    `free_by_node[n]` holds node n's free GPU ids; GPUs in `avoid` are not used. A job that
    fits on one node (`need <= node_size`) must run on one node, as NCCL jobs do for speed: it
    goes to the best-fit node (fewest free GPUs that still hold it, lowest node on ties). A
    larger job spans nodes, fullest-free first, so it spans as few as possible. Deterministic:
    the same state always gives the same GPUs.
    """
    if need <= 0:
        return []
    free = [sorted(set(gpus) - avoid) for gpus in free_by_node]
    if need <= node_size:
        fitting = [(len(gpus), node) for node, gpus in enumerate(free) if len(gpus) >= need]
        if not fitting:
            return None
        _, node = min(fitting)
        return free[node][:need]
    if sum(len(gpus) for gpus in free) < need:
        return None
    chosen: list[int] = []
    for node in sorted(range(len(free)), key=lambda n: (-len(free[n]), n)):
        take = min(need - len(chosen), len(free[node]))
        chosen += free[node][:take]
        if len(chosen) == need:
            return chosen
    return None


def cuda_visible_devices(inventory: Inventory, gids: Sequence[int]) -> str:
    """The CUDA_VISIBLE_DEVICES value for an allocation: node-local indices, comma-separated."""
    by_gid = {gpu.gid: gpu for gpu in inventory.gpus}
    return ",".join(str(by_gid[gid].index) for gid in sorted(gids))
