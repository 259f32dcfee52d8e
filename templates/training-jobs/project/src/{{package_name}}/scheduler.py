"""The scheduler: one interface, three policies (FIFO, priority, priority with EASY backfill).

Every policy walks its queue in order and starts each job whose whole gang fits (best-fit
placement, `cluster.place`) and whose user stays within the GPU quota. They differ in order and
in what happens at the first job that does not fit (the head):

- `fifo`: submit order; the head blocks everything behind it.
- `priority`: highest priority first, then submit order; the head blocks.
- `priority-backfill`: priority order; the head gets a reservation (the earliest time enough
  GPUs free up, from the running jobs' time limits) and a later job may start now only if it
  cannot delay that reservation: it ends before the reservation, or it uses none of the GPUs
  reserved for the head (EASY backfill, Lifka 1995).

The same `Scheduler` drives the simulator (simulated time) and the job manager (wall time).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .cluster import Inventory, place
from .config import SchedulerConfig

POLICIES = ("fifo", "priority", "priority-backfill")


class QuotaError(ValueError):
    """A job asks for more than the cluster or its user's quota could ever give it."""


@dataclass(frozen=True)
class QueuedJob:
    """What the scheduler knows about a job: never its true duration, only its time limit."""

    id: str
    user: str
    gpus: int
    priority: int
    submit_s: float
    limit_s: float


@dataclass(frozen=True)
class Running:
    """A started job, the GPUs it holds and when its time limit runs out."""

    job: QueuedJob
    gids: tuple[int, ...]
    start_s: float

    @property
    def expected_end_s(self) -> float:
        return self.start_s + self.job.limit_s


@dataclass
class Decision:
    """The outcome of one scheduling pass."""

    started: list[Running] = field(default_factory=list)
    backfilled: list[str] = field(default_factory=list)
    head: str | None = None
    head_gpus: int = 0
    reservation_s: float | None = None


def _key_fifo(job: QueuedJob, seq: int) -> tuple[float, ...]:
    return (job.submit_s, seq)


def _key_priority(job: QueuedJob, seq: int) -> tuple[float, ...]:
    return (-job.priority, job.submit_s, seq)


class Scheduler:
    """A queue, the GPUs' state and a policy; `schedule(now)` starts what may start now."""

    def __init__(self, inventory: Inventory, config: SchedulerConfig) -> None:
        if config.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {config.policy!r}")
        self.inventory = inventory
        self.config = config
        self.backfill = config.policy == "priority-backfill"
        self._key: Callable[[QueuedJob, int], tuple[float, ...]] = (
            _key_fifo if config.policy == "fifo" else _key_priority
        )
        self._seq = itertools.count()
        self._queue: list[tuple[tuple[float, ...], QueuedJob]] = []
        self.free_by_node: list[set[int]] = [set() for _ in range(inventory.nodes)]
        for gpu in inventory.gpus:
            self.free_by_node[gpu.node].add(gpu.gid)
        # Free GPUs per node, kept in step with free_by_node: the cheap "could it fit?" test.
        self.free_count = [len(gpus) for gpus in self.free_by_node]
        self._node_of = {gpu.gid: gpu.node for gpu in inventory.gpus}
        self.node_size = inventory.gpus_per_node
        self.running: dict[str, Running] = {}
        # (expected end, job id) of the running jobs, kept sorted: the order in which
        # `reservation` frees their GPUs, without a sort per call.
        self._by_end: list[tuple[float, str]] = []
        # The head's reservation depends only on the head and the running jobs: cache it
        # between passes in which nothing started or ended (e.g. passes after an arrival).
        self._version = 0
        self._cached: tuple[str, int, float, frozenset[int]] | None = None
        self.user_gpus: dict[str, int] = {}
        # Passes in which backfilled jobs pushed the head's reservation later: must stay 0.
        self.head_of_line_delays = 0

    # -- queue ---------------------------------------------------------------------------
    @property
    def queued(self) -> list[QueuedJob]:
        return [job for _, job in self._queue]

    @property
    def free_gpus(self) -> int:
        return sum(self.free_count)

    def _fits(self, need: int, counts: list[int]) -> bool:
        """Whether a gang of `need` could be placed on nodes with `counts` free GPUs."""
        if need <= self.node_size:
            return max(counts) >= need
        return sum(counts) >= need

    def check(self, job: QueuedJob) -> None:
        """Reject a job that could never run here, naming the inventory or the quota."""
        if job.gpus > self.inventory.size:
            raise QuotaError(
                f"gpus: job {job.id} asks for {job.gpus} GPUs; the inventory has "
                f"{self.inventory.describe()}"
            )
        quota = self.config.user_gpu_quota
        if quota and job.gpus > quota:
            raise QuotaError(
                f"gpus: job {job.id} asks for {job.gpus} GPUs; user {job.user}'s quota is {quota}"
            )

    def submit(self, job: QueuedJob) -> None:
        self.check(job)
        bisect.insort(self._queue, (self._key(job, next(self._seq)), job), key=lambda e: e[0])

    def remove(self, job_id: str) -> bool:
        """Take a queued job out (cancel); True when it was queued."""
        for i, (_, job) in enumerate(self._queue):
            if job.id == job_id:
                del self._queue[i]
                return True
        return False

    # -- GPUs ----------------------------------------------------------------------------
    def occupy(self, job: QueuedJob, gids: tuple[int, ...], now: float) -> Running:
        """Mark `gids` as held by `job` (also used to re-attach jobs after a restart)."""
        for gid in gids:
            node = self._node_of[gid]
            if gid not in self.free_by_node[node]:
                raise RuntimeError(f"GPU {gid} is already allocated")
            self.free_by_node[node].remove(gid)
            self.free_count[node] -= 1
        self._version += 1
        running = Running(job, tuple(sorted(gids)), now)
        self.running[job.id] = running
        bisect.insort(self._by_end, (running.expected_end_s, job.id))
        self.user_gpus[job.user] = self.user_gpus.get(job.user, 0) + job.gpus
        return running

    def release(self, job_id: str) -> Running:
        """Free the GPUs of a job that ended."""
        running = self.running.pop(job_id)
        del self._by_end[bisect.bisect_left(self._by_end, (running.expected_end_s, job_id))]
        self._version += 1
        for gid in running.gids:
            self.free_by_node[self._node_of[gid]].add(gid)
            self.free_count[self._node_of[gid]] += 1
        self.user_gpus[running.job.user] -= running.job.gpus
        return running

    def reservation(self, job: QueuedJob, now: float) -> tuple[float, frozenset[int]]:
        """When and where `job` could start if nothing else started: the head's reservation.

        Frees the running jobs' GPUs in order of their time limits until the gang fits.
        """
        counts = list(self.free_count)
        when = now
        if not self._fits(job.gpus, counts):
            for _, job_id in self._by_end:
                running = self.running[job_id]
                for gid in running.gids:
                    counts[self._node_of[gid]] += 1
                if self._fits(job.gpus, counts):
                    when = max(now, running.expected_end_s)
                    break
            else:
                return math.inf, frozenset()
        # Free at `when`: what is free now plus the GPUs of jobs due to end by then.
        free = [set(gpus) for gpus in self.free_by_node]
        for running in self.running.values():
            if running.expected_end_s <= when:
                for gid in running.gids:
                    free[self._node_of[gid]].add(gid)
        gids = place(job.gpus, free, node_size=self.node_size)
        return (when, frozenset(gids)) if gids is not None else (math.inf, frozenset())

    def _head_reservation(self, job: QueuedJob, now: float) -> tuple[float, frozenset[int]]:
        cached = self._cached
        if cached is not None and cached[0] == job.id and cached[1] == self._version:
            return max(now, cached[2]), cached[3]
        when, gids = self.reservation(job, now)
        self._cached = (job.id, self._version, when, gids)
        return when, gids

    # -- the pass ------------------------------------------------------------------------
    def _within_quota(self, job: QueuedJob) -> bool:
        quota = self.config.user_gpu_quota
        return not quota or self.user_gpus.get(job.user, 0) + job.gpus <= quota

    def schedule(self, now: float) -> Decision:
        """Start every job the policy allows at time `now`; return what started."""
        decision = Decision()
        if not any(self.free_count):
            return decision  # nothing can start, and no GPU is free to strand
        taken: list[int] = []
        head: QueuedJob | None = None
        reserved: frozenset[int] = frozenset()
        reserved_per_node = [0] * len(self.free_count)
        reservation_s = math.inf
        outside: list[int] | None = None
        quota = self.config.user_gpu_quota
        user_gpus = self.user_gpus
        scanned = 0
        for i, (_, job) in enumerate(self._queue):
            if head is not None:
                # Past the head, every job looked at counts toward the depth, also one skipped
                # for its quota: a heavy user's thousand queued jobs must not make passes O(queue).
                scanned += 1
                if scanned > self.config.backfill_depth:
                    break
            if quota and user_gpus.get(job.user, 0) + job.gpus > quota:
                continue
            if head is None:
                if self._fits(job.gpus, self.free_count):
                    gids = place(job.gpus, self.free_by_node, node_size=self.node_size)
                    if gids is not None:
                        decision.started.append(self.occupy(job, tuple(gids), now))
                        taken.append(i)
                        continue
                decision.head, decision.head_gpus = job.id, job.gpus
                if not self.backfill:
                    break
                head = job
                reservation_s, reserved = self._head_reservation(job, now)
                decision.reservation_s = reservation_s
                for gid in reserved:
                    reserved_per_node[self._node_of[gid]] += 1
                continue
            if outside is None:
                # Free GPUs outside the reservation, per node, and the largest gang each set
                # could hold (one node's worth, or all of them for a multi-node gang); recomputed
                # after each start. The scan visits up to backfill_depth jobs, so these few
                # numbers, not a call per job, decide whether `place` is worth trying.
                outside = [
                    free - len(reserved & self.free_by_node[n]) if reserved_per_node[n] else free
                    for n, free in enumerate(self.free_count)
                ]
                total_free = sum(self.free_count)
                if not total_free:
                    break
                fit_outside = (max(outside), sum(outside))
                fit_free = (max(self.free_count), total_free)
            gids = None
            multi_node = job.gpus > self.node_size
            if job.gpus <= fit_outside[multi_node]:
                gids = place(job.gpus, self.free_by_node, node_size=self.node_size, avoid=reserved)
            if (
                gids is None
                and now + job.limit_s <= reservation_s
                and job.gpus <= fit_free[multi_node]
            ):
                gids = place(job.gpus, self.free_by_node, node_size=self.node_size)
            if gids is None:
                continue
            decision.started.append(self.occupy(job, tuple(gids), now))
            outside = None
            decision.backfilled.append(job.id)
            taken.append(i)
        for i in reversed(taken):
            del self._queue[i]
        if head is not None and decision.backfilled:
            after, _ = self.reservation(head, now)
            if after > reservation_s + 1e-9:
                self.head_of_line_delays += 1
        return decision
