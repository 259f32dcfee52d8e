"""The settings of the cluster, the scheduler and one evaluation run; recorded in metrics.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ClusterConfig:
    """The simulated GPU inventory used when NVML finds no GPU (laptops, CI, the harness)."""

    # Eight nodes of eight GPUs: the shape of a small training cluster (DGX-style nodes), big
    # enough that gang jobs of 8 and 16 GPUs compete with many 1-GPU jobs for whole nodes.
    nodes: int = 8
    gpus_per_node: int = 8
    gpu_memory_mb: int = 40_960
    gpu_name: str = "simulated-A100-40GB"


@dataclass(frozen=True)
class SchedulerConfig:
    """How the scheduler treats the queue."""

    # One of: fifo, priority, priority-backfill (see scheduler.POLICIES).
    policy: str = "priority-backfill"
    # Per-user cap on GPUs held at once; 0 means no cap. Half the cluster keeps one heavy user
    # from taking every GPU while the others queue.
    user_gpu_quota: int = 32
    # EASY backfill looks this deep into the queue per pass (Slurm's bf_max_job_test idea):
    # scanning 10,000 queued jobs on every event costs more than the rare late backfill gains.
    backfill_depth: int = 256


@dataclass(frozen=True)
class TraceConfig:
    """The seeded synthetic trace: heavy-tailed sizes and durations, as public GPU traces show."""

    jobs: int = 2_000
    users: int = 12
    # Offered load (GPU-seconds asked / GPU-seconds available) near 0.9: queues form, so the
    # policies differ; far below 1 every policy starts jobs at once and nothing can be compared.
    load: float = 0.9
    # Log-normal durations: median about 20 minutes, a tail of multi-hour jobs (Philly, Helios).
    duration_median_s: float = 1_200.0
    duration_sigma: float = 1.4
    # Users over-ask for wall time; the scheduler only knows the limit, never the true duration.
    max_overestimate: float = 3.0


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run: replay a trace through every policy in simulated time."""

    out: Path = Path("results")
    seed: int = 0
    # --quick replays a 400-job trace: the same code path in about a second, for CI.
    quick: bool = False
    trace: Path | None = None
    # synthetic | alibaba-2023 | philly
    trace_format: str = "synthetic"
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    synthetic: TraceConfig = field(default_factory=TraceConfig)
    # Sign flips of the paired randomisation test; 10,000 gives p to about +-0.005.
    permutations: int = 10_000
