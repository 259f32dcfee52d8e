"""Replay a trace through one scheduling policy in simulated time, and score the run.

Event-driven: at each arrival or completion the scheduler makes one pass; a started job holds
its GPUs for its true duration (which the scheduler never sees: it plans with the time limit).
No wall-clock sleeping, so a 100,000-job trace replays in seconds.

Metrics (all from `SimResult`):
- `gpu_utilisation` (0-1): busy GPU-seconds / (GPUs x makespan).
- `wait_p50_s`, `wait_p95_s`, `wait_p99_s`, `wait_mean_s`: queue wait = start - submit.
- `wait_p95_1gpu_s`, `wait_p95_8plus_gpu_s`: the p95 wait of 1-GPU jobs and of jobs of 8 or
  more GPUs (when the trace has any): who pays for backfill.
- `makespan_s`: last completion - first submit.
- `jain_fairness` (1/n-1): Jain's index (Jain, Chiu, Hawe 1984) over users' mean bounded
  slowdown, (wait + run) / max(run, 10 s) (Feitelson 2001): 1 when every user waits alike
  relative to their job lengths.
- `gpu_fragmentation` (0-1): stranded GPU-seconds / (GPUs x makespan), where a GPU is stranded
  while it is free and the blocked head job asks for no more GPUs than are free: it waits only
  because no node (or set of nodes) holds its whole gang on the free GPUs' placement.
- `head_of_line_delays`: passes in which backfilled jobs pushed the head's reservation later
  (EASY backfill promises 0).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .cluster import Inventory
from .config import SchedulerConfig
from .scheduler import QueuedJob, Scheduler
from .traces import TraceJob

BOUNDED_SLOWDOWN_FLOOR_S = 10.0


@dataclass(frozen=True)
class SimResult:
    """One policy's replay: per-job start times (trace order) and the busy-GPU step curve."""

    policy: str
    jobs: tuple[TraceJob, ...]
    starts: np.ndarray
    gids: tuple[tuple[int, ...], ...]
    busy_times: np.ndarray
    busy_gpus: np.ndarray
    stranded_gpus: np.ndarray
    total_gpus: int
    head_of_line_delays: int

    @property
    def waits(self) -> np.ndarray:
        return self.starts - np.array([job.submit_s for job in self.jobs])

    @property
    def ends(self) -> np.ndarray:
        return self.starts + np.array([job.duration_s for job in self.jobs])


def simulate(jobs: Sequence[TraceJob], inventory: Inventory, config: SchedulerConfig) -> SimResult:
    """Run every job of `jobs` to completion under `config.policy`; jobs are never lost."""
    scheduler = Scheduler(inventory, config)
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i].submit_s, i))
    index = {job.id: i for i, job in enumerate(jobs)}
    if len(index) != len(jobs):
        raise ValueError("trace: job ids must be unique")
    for job in jobs:
        scheduler.check(_queued(job))
    starts = np.full(len(jobs), np.nan)
    gids: list[tuple[int, ...]] = [() for _ in jobs]
    completions: list[tuple[float, str]] = []
    times: list[float] = [jobs[order[0]].submit_s if jobs else 0.0]
    busy: list[int] = [0]
    stranded: list[int] = [0]
    next_arrival = 0
    while next_arrival < len(order) or completions:
        arrival_t = jobs[order[next_arrival]].submit_s if next_arrival < len(order) else np.inf
        now = min(arrival_t, completions[0][0] if completions else np.inf)
        while completions and completions[0][0] <= now:
            scheduler.release(heapq.heappop(completions)[1])
        while next_arrival < len(order) and jobs[order[next_arrival]].submit_s <= now:
            scheduler.submit(_queued(jobs[order[next_arrival]]))
            next_arrival += 1
        decision = scheduler.schedule(now)
        for running in decision.started:
            i = index[running.job.id]
            starts[i], gids[i] = now, running.gids
            heapq.heappush(completions, (now + jobs[i].duration_s, running.job.id))
        free = scheduler.free_gpus
        times.append(now)
        busy.append(inventory.size - free)
        stranded.append(free if decision.head is not None and decision.head_gpus <= free else 0)
    if np.isnan(starts).any():
        raise RuntimeError("simulation ended with jobs that never started")
    return SimResult(
        config.policy,
        tuple(jobs),
        starts,
        tuple(gids),
        np.array(times),
        np.array(busy),
        np.array(stranded),
        inventory.size,
        scheduler.head_of_line_delays,
    )


def _queued(job: TraceJob) -> QueuedJob:
    return QueuedJob(job.id, job.user, job.gpus, job.priority, job.submit_s, job.limit_s)


def jain_index(values: Sequence[float]) -> float:
    """Jain's fairness index (sum x)^2 / (n sum x^2): 1 when all equal, 1/n when one has all."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0 or not np.any(x):
        return 1.0
    return float(x.sum() ** 2 / (len(x) * np.square(x).sum()))


def metrics(result: SimResult) -> dict[str, float]:
    """The harness's metrics of one replay (see the module docstring)."""
    waits = result.waits
    durations = np.array([job.duration_s for job in result.jobs])
    first_submit = min(job.submit_s for job in result.jobs)
    makespan = float(result.ends.max() - first_submit)
    busy_seconds = float(np.sum(durations * np.array([job.gpus for job in result.jobs])))
    slowdown = (waits + durations) / np.maximum(durations, BOUNDED_SLOWDOWN_FLOOR_S)
    users = sorted({job.user for job in result.jobs})
    per_user = [
        float(np.mean([s for s, job in zip(slowdown, result.jobs, strict=True) if job.user == u]))
        for u in users
    ]
    sizes = np.array([job.gpus for job in result.jobs])
    values = {
        "gpu_utilisation": busy_seconds / (result.total_gpus * makespan) if makespan > 0 else 0.0,
        "wait_mean_s": float(np.mean(waits)),
        "wait_p50_s": float(np.percentile(waits, 50)),
        "wait_p95_s": float(np.percentile(waits, 95)),
        "wait_p99_s": float(np.percentile(waits, 99)),
    }
    for name, group in (("wait_p95_1gpu_s", sizes == 1), ("wait_p95_8plus_gpu_s", sizes >= 8)):
        if group.any():
            values[name] = float(np.percentile(waits[group], 95))
    return values | {
        "makespan_s": makespan,
        "gpu_fragmentation": _stranded_gpu_seconds(result) / (result.total_gpus * makespan)
        if makespan > 0
        else 0.0,
        "jain_fairness": jain_index(per_user),
        "head_of_line_delays": float(result.head_of_line_delays),
    }


def _stranded_gpu_seconds(result: SimResult) -> float:
    """Integral of the stranded-GPU step curve from the first event to the last completion."""
    times = np.append(result.busy_times, result.ends.max())
    return float(np.sum(result.stranded_gpus * np.diff(times)))


def utilisation_curve(result: SimResult, bins: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Mean fraction of GPUs busy in `bins` equal time windows over the makespan (for the plot)."""
    start, end = float(result.busy_times[0]), float(result.ends.max())
    edges = np.linspace(start, end, bins + 1)
    times = np.append(result.busy_times, end)
    busy = result.busy_gpus
    # Integrate the step function busy(t) over each window.
    cumulative = np.concatenate([[0.0], np.cumsum(busy * np.diff(times))])
    at_edges = np.interp(edges, times, cumulative)
    mean_busy = np.diff(at_edges) / np.diff(edges)
    return (edges[:-1] + edges[1:]) / 2, mean_busy / result.total_gpus
