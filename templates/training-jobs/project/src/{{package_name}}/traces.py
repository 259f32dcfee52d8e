"""Job traces for the harness: a seeded synthetic generator and two public-trace loaders.

- `synthetic_trace`: Poisson arrivals at a target load, heavy-tailed GPU counts (mostly 1-GPU
  jobs, a few 16-32 GPU gangs) and log-normal durations, the shape the Philly (Jeon et al.,
  ATC'19) and Alibaba PAI traces report; users ask for more wall time than they use.
- `load_alibaba_2023`: the `openb_pod_list_*.csv` pod lists of Alibaba's cluster-trace-gpu-v2023
  (github.com/alibaba/clusterdata): creation, scheduled and deletion times, `num_gpu` and
  `gpu_milli` (GPU share; a fractional share is counted as one whole GPU here).
- `load_philly`: the `cluster_job_log` JSON of Microsoft's Philly trace
  (github.com/msr-fiddle/philly-traces): submit time, user and each attempt's GPUs and times.

Both loaders take the time a job ran as its duration and as its time limit (the traces do not
record the limit users asked for), and shift times so the first submit is at 0.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .config import TraceConfig

FORMATS = ("synthetic", "alibaba-2023", "philly")
ALIBABA_COLUMNS = (
    "name",
    "num_gpu",
    "gpu_milli",
    "qos",
    "creation_time",
    "scheduled_time",
    "deletion_time",
)
# Alibaba's QoS classes, most latency-sensitive first: the trace's notion of priority.
ALIBABA_PRIORITY = {"LS": 3, "Guaranteed": 2, "Burstable": 1, "BE": 0}


class TraceError(ValueError):
    """A trace file that cannot be read: the message names the file, row and field."""


@dataclass(frozen=True)
class TraceJob:
    """One job of a trace. The scheduler sees `limit_s`; only the simulator sees `duration_s`."""

    id: str
    user: str
    gpus: int
    priority: int
    submit_s: float
    duration_s: float
    limit_s: float


def synthetic_trace(config: TraceConfig, total_gpus: int, seed: int) -> list[TraceJob]:
    """A seeded trace of `config.jobs` jobs whose offered load on `total_gpus` is `config.load`."""
    if config.jobs < 1 or config.users < 1 or not config.load > 0:
        raise ValueError("trace: jobs and users must be at least 1 and load above 0")
    rng = np.random.default_rng(seed)
    sizes = np.array([1, 2, 4, 8, 16, 32])
    sizes = sizes[sizes <= total_gpus]
    weights = np.array([0.55, 0.15, 0.12, 0.12, 0.04, 0.02])[: len(sizes)]
    gpus = rng.choice(sizes, size=config.jobs, p=weights / weights.sum())
    durations = rng.lognormal(
        math.log(config.duration_median_s), config.duration_sigma, config.jobs
    )
    durations = np.clip(np.round(durations), 30, 48 * 3600)
    over = rng.uniform(1.0, config.max_overestimate, config.jobs)
    limits = np.ceil(durations * over / 60) * 60
    # Zipf-like activity: user k submits in proportion to 1/(k+1), as a few heavy users dominate.
    activity = 1 / np.arange(1, config.users + 1)
    users = rng.choice(config.users, size=config.jobs, p=activity / activity.sum())
    priorities = rng.choice([0, 1, 2], size=config.jobs, p=[0.6, 0.3, 0.1])
    rate = config.load * total_gpus / float(np.mean(gpus * durations))
    submits = np.cumsum(rng.exponential(1 / rate, config.jobs))
    submits -= submits[0]
    return [
        TraceJob(
            id=f"j{i:06d}",
            user=f"user{int(users[i]):02d}",
            gpus=int(gpus[i]),
            priority=int(priorities[i]),
            submit_s=round(float(submits[i]), 3),
            duration_s=float(durations[i]),
            limit_s=float(limits[i]),
        )
        for i in range(config.jobs)
    ]


def _number(value: str, field: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise TraceError(f"{where}: {field} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise TraceError(f"{where}: {field} is not finite: {value!r}")
    return number


def _shift(jobs: list[TraceJob], path: Path) -> list[TraceJob]:
    if not jobs:
        raise TraceError(f"{path}: no GPU job with complete times")
    start = min(job.submit_s for job in jobs)
    shifted = [
        TraceJob(j.id, j.user, j.gpus, j.priority, j.submit_s - start, j.duration_s, j.limit_s)
        for j in jobs
    ]
    return sorted(shifted, key=lambda j: (j.submit_s, j.id))


def load_alibaba_2023(path: Path) -> list[TraceJob]:
    """GPU pods of an `openb_pod_list_*.csv`; CPU-only pods and pods never scheduled are skipped.

    The trace has no user column: the QoS class stands in for the tenant in the fairness index.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ALIBABA_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise TraceError(f"{path}: missing column(s) {', '.join(missing)}")
        jobs = []
        for line, row in enumerate(reader, start=2):
            where = f"{path} line {line}"
            num_gpu = _number(row["num_gpu"], "num_gpu", where)
            if num_gpu <= 0 or not row["scheduled_time"] or not row["deletion_time"]:
                continue
            created = _number(row["creation_time"], "creation_time", where)
            scheduled = _number(row["scheduled_time"], "scheduled_time", where)
            deleted = _number(row["deletion_time"], "deletion_time", where)
            if deleted <= scheduled:
                continue
            qos = row["qos"] or "BE"
            duration = deleted - scheduled
            jobs.append(
                TraceJob(
                    row["name"],
                    qos,
                    int(math.ceil(num_gpu)),
                    ALIBABA_PRIORITY.get(qos, 0),
                    created,
                    duration,
                    duration,
                )
            )
    return _shift(jobs, path)


def _philly_time(value: Any, field: str, where: str) -> float | None:
    if value in (None, "", "None"):
        return None
    try:
        parsed = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise TraceError(f"{where}: {field} is not 'YYYY-MM-DD HH:MM:SS': {value!r}") from None
    return parsed.replace(tzinfo=timezone.utc).timestamp()  # no DST jumps inside a trace


def load_philly(path: Path) -> list[TraceJob]:
    """Jobs of a Philly `cluster_job_log`; jobs without a finished attempt or GPUs are skipped."""
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise TraceError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(log, list):
        raise TraceError(f"{path}: expected a JSON list of jobs")
    jobs = []
    for i, job in enumerate(log):
        where = f"{path} job {i}"
        missing = [k for k in ("jobid", "user", "submitted_time", "attempts") if k not in job]
        if missing:
            raise TraceError(f"{where}: missing field(s) {', '.join(missing)}")
        submitted = _philly_time(job["submitted_time"], "submitted_time", where)
        runtime = 0.0
        gpus = 0
        for attempt in job["attempts"]:
            start = _philly_time(attempt.get("start_time"), "start_time", where)
            end = _philly_time(attempt.get("end_time"), "end_time", where)
            if start is not None and end is not None and end > start:
                runtime += end - start
            gpus = max(gpus, sum(len(d.get("gpus", [])) for d in attempt.get("detail", [])))
        if submitted is None or runtime <= 0 or gpus == 0:
            continue
        jobs.append(
            TraceJob(str(job["jobid"]), str(job["user"]), gpus, 0, submitted, runtime, runtime)
        )
    return _shift(jobs, path)


def load_trace(path: Path, trace_format: str) -> list[TraceJob]:
    """Load `path` in `trace_format` (alibaba-2023 or philly)."""
    if trace_format == "alibaba-2023":
        return load_alibaba_2023(path)
    if trace_format == "philly":
        return load_philly(path)
    raise TraceError(
        f"--format must be alibaba-2023 or philly for a trace file, got {trace_format!r}"
    )
