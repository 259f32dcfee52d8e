"""Run job attempts on a Ray cluster instead of local subprocesses (optional extra: `ray`).

    serve --executor ray [--ray-address ray://head:10001]   (also worker, run)

The manager's scheduler still decides what runs, when and on which node (priority, EASY
backfill, quotas, gang placement: the queueing Ray's own scheduler does not do); Ray carries
each attempt to that node (node affinity) and accounts its GPUs (`num_gpus`), setting
CUDA_VISIBLE_DEVICES to the devices it assigned. An attempt is the same runner wrapper as
locally, so exit codes and logs land in the state folder: on a multi-node cluster that folder
must be on storage every node mounts (NFS or similar).

Without an address, `ray.init()` starts a one-node Ray on this machine with the simulated
GPUs declared, so the executor runs in tests and on a laptop. A gang larger than one node would
need a Ray placement group across nodes; this executor refuses it at submit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cluster import Gpu, Inventory


def available() -> bool:
    """True when Ray is installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _run_attempt(command: Sequence[str], env: Mapping[str, str], log_path: str) -> int:
    """The Ray task: run the runner-wrapped command on this node, its GPUs as Ray assigned them.

    The runner dies with this worker (and the job with the runner), so a cancelled or lost
    task never leaves the job running behind Ray's back.
    """
    import os
    import subprocess

    from .runner import die_with_parent

    child_env = {
        **env,
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
        "TJ_DIE_WITH_PARENT": "1",
    }
    with open(log_path, "ab") as log:
        child = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            preexec_fn=die_with_parent,
        )
    try:
        return child.wait()
    except KeyboardInterrupt:  # ray.cancel(): a polite stop, as SIGTERM is locally
        child.terminate()
        return child.wait()


@dataclass
class RayAttempt:
    """A running attempt: its Ray task."""

    ref: Any

    @property
    def task_id(self) -> str:
        return str(self.ref.task_id().hex())

    def done(self) -> bool:
        import ray

        ready, _ = ray.wait([self.ref], timeout=0)
        return bool(ready)

    def exit_code(self) -> int | None:
        """The command's exit code, or None when the task was cancelled or its worker died."""
        import ray
        from ray.exceptions import RayError

        try:
            return int(ray.get(self.ref))
        except RayError:
            return None

    def stop(self, *, force: bool) -> None:
        """Ask the attempt to stop (KeyboardInterrupt in the task), or kill its worker."""
        import ray

        ray.cancel(self.ref, force=force)


class RayExecutor:
    """Launches attempts as Ray tasks pinned to the nodes the scheduler chose."""

    def __init__(self, node_ids: Sequence[str], gpus_per_node: int) -> None:
        self.node_ids = list(node_ids)
        self.gpus_per_node = gpus_per_node

    def check(self, gpus: int) -> None:
        """Refuse a gang that cannot sit on one Ray node."""
        if gpus > self.gpus_per_node:
            raise ValueError(
                f"gpus: {gpus} GPUs span nodes; the Ray executor runs gangs of up to one node "
                f"({self.gpus_per_node} GPUs)"
            )

    def launch(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        *,
        node: int | None,
        gpus: int,
        cpus: float,
        memory_mb: int,
    ) -> RayAttempt:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        placement = (
            "DEFAULT"
            if node is None
            else NodeAffinitySchedulingStrategy(self.node_ids[node], soft=False)
        )
        task = ray.remote(_run_attempt).options(
            num_gpus=gpus,
            num_cpus=cpus,
            memory=memory_mb * 2**20,
            max_retries=0,  # retries are the manager's, with backoff and checkpoints
            scheduling_strategy=placement,
        )
        return RayAttempt(task.remote(list(command), dict(env), str(log_path)))


def connect(address: str | None, *, simulated_gpus: int | None, cpus: int | None = None) -> None:
    """Join the Ray cluster at `address`, or start a one-node Ray here: with `simulated_gpus`
    declared, or (None) with the GPUs Ray detects."""
    import ray

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(
            num_gpus=simulated_gpus,
            num_cpus=cpus,
            include_dashboard=False,
            log_to_driver=False,
        )


def inventory_from_ray() -> tuple[Inventory, RayExecutor]:
    """The GPUs Ray reports on its live nodes, and an executor that targets those nodes."""
    import ray

    nodes = sorted(
        (n for n in ray.nodes() if n.get("Alive") and n["Resources"].get("GPU", 0) >= 1),
        key=lambda n: str(n["NodeID"]),
    )
    if not nodes:
        raise ValueError("ray: the cluster has no node with a GPU resource")
    gpus: list[Gpu] = []
    for index, node in enumerate(nodes):
        kinds = [k.split(":", 1)[1] for k in node["Resources"] if k.startswith("accelerator_type:")]
        name = f"ray-{kinds[0]}" if kinds else "ray-GPU"
        for local in range(int(node["Resources"]["GPU"])):
            gpus.append(Gpu(len(gpus), index, local, name, 0))
    per_node = max(int(node["Resources"]["GPU"]) for node in nodes)
    inventory = Inventory(tuple(gpus), per_node, "ray")
    return inventory, RayExecutor([str(n["NodeID"]) for n in nodes], per_node)
