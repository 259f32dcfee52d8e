"""The job manager: schedules pending jobs onto GPUs and runs them as subprocesses.

One `tick()` does one round: finish attempts whose process ended (or ran past the timeout, or
was cancelled), requeue failures with exponential backoff while retries remain, then let the
scheduler (scheduler.py, wall-clock time) start what fits, each attempt with its GPUs in
`CUDA_VISIBLE_DEVICES`, its log in `logs/<job>/attempt-<n>.log` and a checkpoint folder that
survives retries. `start()` runs ticks in a background thread (what `serve` and `worker` do).

A manager killed with SIGKILL loses nothing: jobs run in their own session under runner.py,
which writes the exit code to a file. On restart, `recover()` re-attaches every RUNNING job
whose process is still alive (same PID and start time) and finishes or requeues the others,
so no job is lost and none runs twice at once.

With a Ray executor (ray_executor.py) the same scheduler decides, and each attempt runs as a
Ray task on the node it chose. Ray ends a driver's tasks when the driver dies, and the attempt
dies with its task, so after a restart a Ray attempt is finished as lost (and retried as
configured) rather than re-attached.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .cluster import Inventory, cuda_visible_devices, discover
from .config import ClusterConfig, SchedulerConfig
from .scheduler import POLICIES, QueuedJob, Scheduler
from .spec import JobSpec
from .store import CANCELLED, FAILED, PENDING, RUNNING, SUCCEEDED, TIMED_OUT, Job, Store

if TYPE_CHECKING:
    from .ray_executor import RayAttempt, RayExecutor
    from .tracking import Tracker

PACKAGE = __name__.rsplit(".", 1)[0]


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (Linux /proc), so a reused PID is not mistaken for ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


def alive(pid: int, start: str | None) -> bool:
    """True when `pid` runs and, where /proc exists, started at `start`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if Path("/proc/self/stat").exists():
        now = process_start(pid)
        return now is not None and now == start
    return True


@dataclass
class Attempt:
    """A running attempt this manager watches: its own child, a re-attached process (pid only),
    or a Ray task (`ray`)."""

    job_id: str
    pid: int | None
    started_at: float
    timeout_s: float
    exit_file: Path
    process: subprocess.Popen[bytes] | None
    ray: RayAttempt | None = None
    stop_sent_at: float | None = None
    stop_reason: str | None = None


class Manager:
    """Jobs in `state_dir` (jobs.db, logs/, checkpoints/) run on `inventory`'s GPUs."""

    def __init__(
        self,
        state_dir: Path,
        inventory: Inventory,
        config: SchedulerConfig | None = None,
        *,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        kill_grace_s: float = 5.0,
        poll_s: float = 0.1,
        tracking_uri: str | None = None,
        tracking_poll_s: float = 1.0,
        executor: RayExecutor | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.inventory = inventory
        self.store = Store(state_dir / "jobs.db")
        self.scheduler = Scheduler(inventory, config or SchedulerConfig(user_gpu_quota=0))
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.kill_grace_s, self.poll_s = kill_grace_s, poll_s
        # With a tracking URI (and the `tracking` extra), a tracker thread of its own mirrors
        # every job into a live MLflow run; the scheduling loop never waits for it.
        self.tracking_uri = tracking_uri
        self.tracker: Tracker | None = None
        if tracking_uri:
            from .tracking import Tracker

            node_of = {gpu.gid: gpu.node for gpu in inventory.gpus}
            self.tracker = Tracker(state_dir, tracking_uri, node_of, poll_s=tracking_poll_s)
        # None: attempts run as local subprocesses; else as Ray tasks.
        self.executor = executor
        self.attempts: dict[str, Attempt] = {}
        self._queued: set[str] = set()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._recovered = False

    # -- what the API and the command line call ------------------------------------------
    def submit(self, spec: JobSpec) -> Job:
        """Queue a job; rejects at once a job the inventory or the quota can never hold."""
        self.scheduler.check(self._queued_job_for(spec, "new", time.time()))
        if self.executor is not None:
            self.executor.check(spec.gpus)
        return self.store.add(spec)

    def cancel(self, job_id: str) -> Job:
        return self.store.cancel(job_id)

    def log_path(self, job_id: str, attempt: int) -> Path:
        return self.state_dir / "logs" / job_id / f"attempt-{attempt}.log"

    def gpu_board(self) -> list[dict[str, object]]:
        """Every GPU with the job that holds it (None when free)."""
        with self._lock:
            holder = {
                gid: running.job.id
                for running in self.scheduler.running.values()
                for gid in running.gids
            }
        return [
            {
                "gid": g.gid,
                "node": g.node,
                "index": g.index,
                "name": g.name,
                "memory_mb": g.memory_mb,
                "job": holder.get(g.gid),
            }
            for g in self.inventory.gpus
        ]

    # -- the loop ------------------------------------------------------------------------
    def start(self) -> None:
        """Recover, then tick in a background thread until `stop()`."""
        self.recover()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="job-manager", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the loop, then the tracker (after its final pass; bounded if MLflow stalls)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.tracker is not None:
            self.tracker.stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.poll_s)

    def recover(self) -> None:
        """Re-attach the RUNNING jobs a previous manager left; finish or requeue the dead ones."""
        with self._lock:
            if self._recovered:
                return
            self._recovered = True
            now = time.time()
            for job in self.store.jobs(RUNNING, limit=100_000):
                exit_file = self._exit_file(job.id, job.attempt)
                if job.pid is not None and alive(job.pid, job.pid_start):
                    self.scheduler.occupy(
                        self._queued_job_for(job.spec, job.id, job.submitted_at),
                        tuple(job.gpus),
                        job.started_at or now,
                    )
                    self.attempts[job.id] = Attempt(
                        job.id, job.pid, job.started_at or now, job.spec.timeout_s, exit_file, None
                    )
                else:
                    code = self._read_exit(exit_file)
                    self._finish(job, code, now, None if code is not None else "process gone")

    def tick(self, now: float | None = None) -> None:
        """One round: reap, time out, cancel, requeue, schedule, launch."""
        with self._lock:
            if not self._recovered:
                self.recover()
            if self.tracker is not None:
                self.tracker.start()  # no-op once it runs
            now = time.time() if now is None else now
            self._watch(now)
            self._sync_queue(now)
            for running in self.scheduler.schedule(now).started:
                self._launch(running.job.id, running.gids, now)

    # -- internals -----------------------------------------------------------------------
    def _queued_job_for(self, spec: JobSpec, job_id: str, submitted: float) -> QueuedJob:
        return QueuedJob(job_id, spec.user, spec.gpus, spec.priority, submitted, spec.timeout_s)

    def _exit_file(self, job_id: str, attempt: int) -> Path:
        return self.state_dir / "logs" / job_id / f"attempt-{attempt}.exit"

    @staticmethod
    def _read_exit(path: Path) -> int | None:
        try:
            return int(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _sync_queue(self, now: float) -> None:
        due = {
            job.id: job for job in self.store.jobs(PENDING, limit=100_000) if job.next_try_at <= now
        }
        for job_id in self._queued - set(due):
            self.scheduler.remove(job_id)  # cancelled from another process
        for job_id, job in due.items():
            if job_id not in self._queued:
                self.scheduler.submit(self._queued_job_for(job.spec, job_id, job.submitted_at))
        self._queued = set(due)

    def _launch(self, job_id: str, gids: tuple[int, ...], now: float) -> None:
        self._queued.discard(job_id)
        job = self.store.get(job_id)
        attempt = job.attempt + 1
        log_path = self.log_path(job_id, attempt)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        exit_file = self._exit_file(job_id, attempt)
        checkpoints = self.state_dir / "checkpoints" / job_id
        checkpoints.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **job.spec.env,
            "CUDA_VISIBLE_DEVICES": cuda_visible_devices(self.inventory, gids),
            "TJ_JOB_ID": job_id,
            "TJ_ATTEMPT": str(attempt),
            "TJ_CHECKPOINT_DIR": str(checkpoints),
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", f"{PACKAGE}.runner", str(exit_file), "--"]
        if self.executor is not None:
            self._launch_on_ray(job, gids, [*command, *job.spec.entrypoint], env, log_path, now)
            return
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [*command, *job.spec.entrypoint],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        if not self.store.mark_running(
            job_id, list(gids), process.pid, process_start(process.pid), log_path, now
        ):
            os.killpg(process.pid, signal.SIGKILL)  # cancelled meanwhile: never run it
            process.wait()
            self.scheduler.release(job_id)
            return
        self.attempts[job_id] = Attempt(
            job_id, process.pid, now, job.spec.timeout_s, exit_file, process
        )

    def _launch_on_ray(
        self,
        job: Job,
        gids: tuple[int, ...],
        command: list[str],
        env: dict[str, str],
        log_path: Path,
        now: float,
    ) -> None:
        assert self.executor is not None
        node = self.inventory.gpus[gids[0]].node if gids else None  # CPU-only: any node
        task = self.executor.launch(
            command,
            env,
            log_path,
            node=node,
            gpus=len(gids),
            cpus=job.spec.cpus,
            memory_mb=job.spec.memory_mb,
        )
        exit_file = self._exit_file(job.id, job.attempt + 1)
        if not self.store.mark_running(
            job.id, list(gids), None, f"ray:{task.task_id}", log_path, now
        ):
            task.stop(force=True)  # cancelled meanwhile: never run it
            self.scheduler.release(job.id)
            return
        self.attempts[job.id] = Attempt(
            job.id, None, now, job.spec.timeout_s, exit_file, None, ray=task
        )

    def _signal(self, attempt: Attempt, sig: signal.Signals) -> None:
        if attempt.ray is not None:
            attempt.ray.stop(force=sig == signal.SIGKILL)
            return
        assert attempt.pid is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(attempt.pid, sig)

    def _watch(self, now: float) -> None:
        for job_id, attempt in list(self.attempts.items()):
            if attempt.ray is not None:
                done = attempt.ray.done()
            elif attempt.process is not None:
                done = attempt.process.poll() is not None
            else:
                assert attempt.pid is not None
                done = not alive(attempt.pid, process_start(attempt.pid))
            job = self.store.get(job_id)
            if not done:
                if attempt.stop_sent_at is None:
                    if job.cancel_requested:
                        attempt.stop_reason = CANCELLED
                    elif now - attempt.started_at > attempt.timeout_s:
                        attempt.stop_reason = TIMED_OUT
                    if attempt.stop_reason:
                        attempt.stop_sent_at = now
                        self._signal(attempt, signal.SIGTERM)
                elif now - attempt.stop_sent_at > self.kill_grace_s:
                    self._signal(attempt, signal.SIGKILL)
                continue
            code = self._read_exit(attempt.exit_file)
            if code is None and attempt.process is not None:
                code = attempt.process.returncode
            if code is None and attempt.ray is not None:
                code = attempt.ray.exit_code()
            del self.attempts[job_id]
            self.scheduler.release(job_id)
            self._finish(job, code, now, attempt.stop_reason)

    def _finish(self, job: Job, code: int | None, now: float, stop: str | None) -> None:
        """Record how an attempt ended; requeue with backoff while retries remain."""
        if stop == CANCELLED or job.cancel_requested:
            state, reason = CANCELLED, "cancelled while running"
        elif code == 0 and stop is None:
            state, reason = SUCCEEDED, "exit code 0"
        elif stop == TIMED_OUT:
            state, reason = TIMED_OUT, f"ran past its {job.spec.timeout_s:g} s timeout"
        elif stop is not None and stop not in (CANCELLED, TIMED_OUT):
            state, reason = FAILED, stop if code is None else f"exit code {code}"
        else:
            state, reason = FAILED, f"exit code {code}" if code is not None else "killed"
        retry_at = None
        if state in (FAILED, TIMED_OUT) and job.attempt <= job.spec.max_retries:
            delay = min(self.max_backoff_s, self.backoff_s * 2 ** (job.attempt - 1))
            retry_at = now + delay
            reason += f"; retry {job.attempt} of {job.spec.max_retries} in {delay:g} s"
        self.store.finish_attempt(job.id, state, code, reason, now, retry_at)

    def wait(self, job_id: str, timeout_s: float = 60.0) -> Job:
        """Tick until `job_id` ends (for tests and the command line); return it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._thread is None:
                self.tick()
            job = self.store.get(job_id)
            if job.state not in (PENDING, RUNNING):
                return job
            time.sleep(self.poll_s)
        raise TimeoutError(f"job {job_id} did not end within {timeout_s:g} s")


def add_manager_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the state lives and which GPUs the manager schedules (shared by serve and commands)."""
    parser.add_argument(
        "--state-dir", type=Path, default=Path("jobs-state"), help="jobs.db, logs, checkpoints"
    )
    parser.add_argument("--nodes", type=int, default=1, help="simulated nodes (without NVML)")
    parser.add_argument("--gpus-per-node", type=int, default=4, help="simulated GPUs per node")
    parser.add_argument("--policy", choices=POLICIES, default="priority-backfill")
    parser.add_argument("--quota", type=int, default=0, help="GPUs per user at once (0: no cap)")
    parser.add_argument(
        "--executor",
        choices=("subprocess", "ray"),
        default="subprocess",
        help="run attempts as local processes, or as Ray tasks (the `ray` extra)",
    )
    parser.add_argument(
        "--ray-address",
        default=None,
        help="a Ray cluster to join (ray://head:10001 or auto); default: a one-node Ray here",
    )
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="mirror every job into a live MLflow run here, e.g. sqlite:///jobs-state/mlflow.db",
    )
    parser.add_argument(
        "--tracking-poll",
        type=float,
        default=1.0,
        help="seconds between the tracker's passes (its own thread, apart from scheduling)",
    )


def manager_from_args(args: argparse.Namespace) -> Manager:
    """A manager on NVML's GPUs when there are any, else on the simulated cluster asked for;
    with `--executor ray`, on the GPUs of the Ray cluster."""
    inventory = discover(ClusterConfig(nodes=args.nodes, gpus_per_node=args.gpus_per_node))
    config = SchedulerConfig(policy=args.policy, user_gpu_quota=args.quota)
    executor = None
    if args.executor == "ray":
        from . import ray_executor

        if not ray_executor.available():
            raise ValueError('--executor ray needs Ray: pip install -e ".[ray]"')
        simulated = None if inventory.source == "NVML" else args.gpus_per_node
        ray_executor.connect(args.ray_address, simulated_gpus=simulated)
        inventory, executor = ray_executor.inventory_from_ray()
    if args.tracking_uri:
        from .tracking import available

        if not available():
            raise ValueError('--tracking-uri needs MLflow: pip install -e ".[tracking]"')
    return Manager(
        args.state_dir,
        inventory,
        config,
        tracking_uri=args.tracking_uri,
        tracking_poll_s=args.tracking_poll,
        executor=executor,
    )
