"""`feedline services up|down|status` on a slot of its own, so the session's services stay untouched."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ops import services
from tests.conftest import TEST_SLOT

LIFECYCLE_SLOT = (TEST_SLOT + 5) % 10


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return not stat.read().split(") ", 1)[1].startswith("Z")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedline", "services", *args, "--test-slot", str(LIFECYCLE_SLOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def lifecycle_plan() -> services.ServicePlan:
    plan = services.ServicePlan.for_test_slot(LIFECYCLE_SLOT)
    yield plan
    services.down(plan)


def test_up_twice_down_and_up_again(lifecycle_plan: services.ServicePlan) -> None:
    first = _cli("up")
    assert first.returncode == 0, first.stdout + first.stderr
    pids = {s.name: s.pid for s in services.status(lifecycle_plan)}
    assert all(s.answering for s in services.status(lifecycle_plan))

    second = _cli("up")  # idempotent: nothing restarted, same processes
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("already running") == 2
    assert {s.name: s.pid for s in services.status(lifecycle_plan)} == pids

    status = _cli("status")
    assert str(lifecycle_plan.redis_port) in status.stdout
    assert str(lifecycle_plan.neo4j_bolt_port) in status.stdout

    down = _cli("down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert not any(_pid_alive(pid) for pid in pids.values() if pid)
    assert not any(s.answering for s in services.status(lifecycle_plan))
    assert not lifecycle_plan.redis_pidfile.exists()
    assert not lifecycle_plan.neo4j_pidfile.exists()

    again = _cli("up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert all(s.answering for s in services.status(lifecycle_plan))


def test_down_leaves_foreign_processes_alone(lifecycle_plan: services.ServicePlan, tmp_path) -> None:
    """Stale pid files (the service died, its pid was reused) naming someone else's processes: `down` and
    `status` must see nothing of ours running, signal nothing, and clear the stale files."""
    sleeper = subprocess.Popen(["sleep", "300"])
    # Right binary name, wrong place: a redis-server of someone else's (argv[0] says redis-server).
    impostor = subprocess.Popen(["bash", "-c", "exec -a redis-server sleep 300"], cwd=tmp_path)
    try:
        for pidfile, pid in (
            (lifecycle_plan.redis_pidfile, impostor.pid),
            (lifecycle_plan.neo4j_pidfile, sleeper.pid),
        ):
            pidfile.parent.mkdir(parents=True, exist_ok=True)
            pidfile.write_text(f"{pid}\n")
        assert [s.pid for s in services.status(lifecycle_plan)] == [None, None, None]
        assert services.down(lifecycle_plan) == {"neo4j": False, "redis": False}
        assert sleeper.poll() is None and impostor.poll() is None, "down signalled a foreign process"
        assert not lifecycle_plan.redis_pidfile.exists() and not lifecycle_plan.neo4j_pidfile.exists()
    finally:
        for proc in (sleeper, impostor):
            proc.kill()
            proc.wait()
