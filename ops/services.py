"""Local Redis and Neo4j: install if needed, start on loopback, stop, report status.

Everything lives under one state directory (``.feedline/`` by default): generated configs, data, logs and
pid files. ``down`` only ever signals processes whose pid files ``up`` wrote, and only while the pid still
names our service (a stale pid file's pid may have been reused), so a Redis or Neo4j that the user runs for
something else, or any other process, is never touched. The Neo4j jars are shared by every state directory (demo,
tests, bench) under ``.feedline/neo4j/lib`` so they are downloaded once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from feedline.settings import PROJECT_ROOT, Settings

NEO4J_VERSION = "5.26.30"
NEO4J_MAVEN_PROJECT = PROJECT_ROOT / "services" / "neo4j"
NEO4J_LIB_DIR = PROJECT_ROOT / ".feedline" / "neo4j" / "lib"
_JARS_MARKER = NEO4J_LIB_DIR / f".complete-{NEO4J_VERSION}"

# Java 17 runs Neo4j 5.26 only with these opened to its netty/native-IO code.
_JAVA_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.tls.ephemeralDHKeySize=2048",
)

Log = Callable[[str], None]

CLUSTER_PRIMARIES = 3
CLUSTER_NODES = 2 * CLUSTER_PRIMARIES  # one replica per primary
# Short, so that a killed primary's replica is promoted within seconds (the failover tests wait for it).
CLUSTER_NODE_TIMEOUT_MS = 2000


class ServiceError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServicePlan:
    """Where and how one set of local services runs (the demo's, or one test slot's)."""

    state_dir: Path
    redis_port: int
    neo4j_bolt_port: int
    neo4j_http_port: int
    neo4j_password: str
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"
    browser_guide_origin: str = "http://127.0.0.1:8000"
    # Redis Cluster instead of the single server: CLUSTER_NODES instances of Debian's redis-server on
    # loopback, from ``redis_cluster_base_port`` up (3 primaries + 3 replicas).
    redis_cluster: bool = False
    redis_cluster_base_port: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> ServicePlan:
        return cls(
            state_dir=settings.state_dir,
            redis_port=settings.redis_port,
            neo4j_bolt_port=settings.neo4j_bolt_port,
            neo4j_http_port=settings.neo4j_http_port,
            neo4j_password=settings.neo4j_password,
            neo4j_heap=settings.neo4j_heap,
            neo4j_pagecache=settings.neo4j_pagecache,
            redis_cluster=settings.redis_cluster,
            redis_cluster_base_port=settings.redis_cluster_base_port,
            browser_guide_origin=f"http://{settings.host}:{settings.port}",
        )

    @classmethod
    def for_test_slot(cls, slot: int, *, redis_cluster: bool = False) -> ServicePlan:
        """Private instances for a pytest session, on ports of their own (a running demo is never touched).

        Slots let several test sessions (CI, developers working side by side) run at once. With
        ``redis_cluster`` the slot's Redis is a local cluster (nodes on 16600 + 10 * slot and up; their cluster
        bus ports are 10000 higher).
        """
        if not 0 <= slot <= 9:
            raise ValueError("test slot must be 0..9")
        return cls(
            redis_cluster=redis_cluster,
            redis_cluster_base_port=16600 + 10 * slot,
            state_dir=PROJECT_ROOT / ".feedline" / f"test-{slot}",
            redis_port=16390 + slot,
            neo4j_bolt_port=17687 + 10 * slot,
            neo4j_http_port=17474 + 10 * slot,
            neo4j_password="feedline-test",
            neo4j_heap="768m",
            neo4j_pagecache="256m",
        )

    @classmethod
    def for_bench(cls) -> ServicePlan:
        """Instances of the benchmark's own, sized like the demo's, so a run never disturbs other data."""
        return cls(
            state_dir=PROJECT_ROOT / ".feedline" / "bench",
            redis_port=16480,
            neo4j_bolt_port=17887,
            neo4j_http_port=17884,
            neo4j_password="feedline-bench",
            neo4j_heap="3g",
            neo4j_pagecache="2g",
        )

    def settings(self, base: Settings | None = None, **overrides: object) -> Settings:
        """Settings pointing at this plan's services (other values from ``base``, or defaults without .env)."""
        values: dict[str, object] = base.model_dump() if base is not None else {}
        values.update(
            state_dir=self.state_dir,
            redis_url=self.redis_url,
            redis_port=self.redis_port,
            neo4j_uri=self.neo4j_uri,
            neo4j_password=self.neo4j_password,
            neo4j_bolt_port=self.neo4j_bolt_port,
            neo4j_http_port=self.neo4j_http_port,
            redis_cluster=self.redis_cluster,
            redis_cluster_base_port=self.redis_cluster_base_port,
        )
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[arg-type, call-arg]

    @property
    def redis_dir(self) -> Path:
        return self.state_dir / "redis"

    @property
    def neo4j_home(self) -> Path:
        return self.state_dir / "neo4j-home"

    @property
    def redis_pidfile(self) -> Path:
        return self.redis_dir / "redis.pid"

    @property
    def neo4j_pidfile(self) -> Path:
        return self.neo4j_home / "run" / "feedline-neo4j.pid"

    @property
    def redis_url(self) -> str:
        if self.redis_cluster:
            seeds = ",".join(f"127.0.0.1:{port}" for port in self.redis_cluster_ports[:CLUSTER_PRIMARIES])
            return f"redis+cluster://{seeds}"
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def redis_cluster_ports(self) -> list[int]:
        return [self.redis_cluster_base_port + i for i in range(CLUSTER_NODES)]

    def redis_cluster_dir(self, port: int) -> Path:
        return self.state_dir / "redis-cluster" / str(port)

    @property
    def neo4j_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.neo4j_bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.neo4j_http_port}/browser/"


# --- small process helpers --------------------------------------------------------------------------------


def _is_ours(pid: int, pidfile: Path) -> bool:
    """Whether ``pid`` is the service our ``pidfile`` was written for: a stale pid file can name a pid that
    now belongs to someone else's process, which must never be signalled. Ours runs the right binary in the
    service's own directory under our state dir (Redis chdirs to its ``dir``; Neo4j is started in its home)."""
    binary, workdir = (
        ("redis-server", pidfile.parent) if pidfile.name == "redis.pid" else ("java", pidfile.parent.parent)
    )
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:  # gone, or another user's process
        return False
    return Path(argv0.split(" ", 1)[0]).name == binary and cwd.resolve() == workdir.resolve()


def _pid_from(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _is_ours(pid, pidfile):
        return None
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return None
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().split(") ", 1)[1].startswith("Z"):
                return None
    except (FileNotFoundError, IndexError):
        return None
    return pid


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate: Callable[[], bool], timeout: float, what: str, *, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if not alive():
            raise ServiceError(f"{what}: the process exited during start-up")
        time.sleep(0.1)
    raise ServiceError(f"{what}: not ready after {timeout:.0f}s")


def _stop_pid(pidfile: Path, timeout: float) -> bool:
    """SIGTERM the process of ``pidfile`` and wait; SIGKILL if it does not exit. True if one was running.

    A pid file naming a process that is not ours (stale) is removed and nothing is signalled."""
    pid = _pid_from(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_from(pidfile) is not None:
        time.sleep(0.1)
    if _pid_from(pidfile) is not None:
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    pidfile.unlink(missing_ok=True)
    return True


def _run_quiet(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise ServiceError(
            f"{what} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )


# --- Redis ------------------------------------------------------------------------------------------------


def ensure_redis_installed(log: Log) -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    log("installing Debian's redis-server package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server"]
    if subprocess.run(install, capture_output=True, env=env).returncode != 0:
        _run_quiet(["apt-get", "update", "-qq"], "apt-get update", env)
        _run_quiet(install, "apt-get install redis-server", env)
    # The package starts a system-wide instance on 6379; we run our own, so stop that one if it came up.
    subprocess.run(["service", "redis-server", "stop"], capture_output=True)
    found = shutil.which("redis-server")
    if not found:
        raise ServiceError("redis-server is still missing after installing it")
    return found


def _redis_conf(port: int, directory: Path, extra: list[str] | None = None) -> str:
    return "\n".join(
        [
            f"port {port}",
            "bind 127.0.0.1",
            "protected-mode yes",
            "daemonize yes",
            f"pidfile {directory / 'redis.pid'}",
            f"dir {directory}",
            f"logfile {directory / 'redis.log'}",
            *(extra or []),
            # The fan-out queue lives in a stream: the append-only file keeps queued work across restarts.
            "appendonly yes",
            "appendfsync everysec",
            # Rewritten (to a compact RDB base) from 16 MB of log on: replaying a long log of writes since
            # deleted took over a minute at start (a benchmark's writes and deletes, on a busy machine).
            "auto-aof-rewrite-min-size 16mb",
            'save ""',
            # An 800-entry timeline stays in the compact listpack encoding (see DESIGN.md §2).
            "zset-max-listpack-entries 1024",
            "zset-max-listpack-value 64",
            "maxclients 10000",
            "",
        ]
    )


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


# Redis answers PING only once its append-only file is loaded; a process that exits fails the wait at once.
REDIS_LOAD_TIMEOUT_S = 300


def start_redis(plan: ServicePlan, log: Log) -> bool:
    """Start Redis unless ours is already running. Returns True if it was started now."""
    if _pid_from(plan.redis_pidfile) is not None and _redis_ping(plan.redis_port):
        return False
    if _port_open(plan.redis_port):
        raise ServiceError(f"port {plan.redis_port} is taken by a process that is not our Redis")
    binary = ensure_redis_installed(log)
    plan.redis_dir.mkdir(parents=True, exist_ok=True)
    conf = plan.redis_dir / "redis.conf"
    conf.write_text(_redis_conf(plan.redis_port, plan.redis_dir))
    _run_quiet([binary, str(conf)], "redis-server")
    _wait(
        lambda: _redis_ping(plan.redis_port),
        REDIS_LOAD_TIMEOUT_S,
        "redis",
        alive=lambda: _pid_from(plan.redis_pidfile) is not None or not plan.redis_pidfile.exists(),
    )
    return True


# --- Redis Cluster ----------------------------------------------------------------------------------------


def _redis_cli(port: int, *args: str) -> str:
    binary = shutil.which("redis-cli")
    if binary is None:
        raise ServiceError("redis-cli is missing (it comes with Debian's redis-server package: redis-tools)")
    proc = subprocess.run([binary, "-p", str(port), *args], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise ServiceError(
            f"redis-cli {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return proc.stdout


def cluster_state_ok(port: int) -> bool:
    """Whether the node on ``port`` reports ``cluster_state:ok`` (every slot served)."""
    try:
        return "cluster_state:ok" in _redis_cli(port, "cluster", "info")
    except (ServiceError, subprocess.TimeoutExpired):
        return False


def _cluster_formed(port: int) -> bool:
    """Whether the node already belongs to a cluster with slots (its nodes.conf survived a restart)."""
    try:
        return int(_redis_cli(port, "cluster", "info").split("cluster_slots_assigned:")[1].split()[0]) > 0
    except (ServiceError, subprocess.TimeoutExpired, IndexError, ValueError):
        return False


def _pinger(port: int) -> Callable[[], bool]:
    return lambda: _redis_ping(port)


def start_redis_cluster(plan: ServicePlan, log: Log) -> bool:
    """Start the local cluster's nodes that are not running, create the cluster on first start (redis-cli
    --cluster create: 3 primaries, a replica each) and wait until every slot is served. True if any node was
    started now."""
    binary = ensure_redis_installed(log)
    started = False
    for port in plan.redis_cluster_ports:
        directory = plan.redis_cluster_dir(port)
        if _pid_from(directory / "redis.pid") is not None and _redis_ping(port):
            continue
        if _port_open(port) or _port_open(port + 10000):
            raise ServiceError(
                f"port {port} (or its cluster bus) is taken by a process that is not our Redis"
            )
        directory.mkdir(parents=True, exist_ok=True)
        conf = directory / "redis.conf"
        extra = [
            "cluster-enabled yes",
            f"cluster-config-file {directory / 'nodes.conf'}",
            f"cluster-node-timeout {CLUSTER_NODE_TIMEOUT_MS}",
            # A test cluster with a primary down must still answer for the slots it has (partial reads).
            "cluster-require-full-coverage no",
        ]
        conf.write_text(_redis_conf(port, directory, extra))
        _run_quiet([binary, str(conf)], f"redis-server (cluster node {port})")
        _wait(_pinger(port), REDIS_LOAD_TIMEOUT_S, f"redis cluster node {port}", alive=lambda: True)
        started = True
    first = plan.redis_cluster_ports[0]
    if not _cluster_formed(first):
        log(f"creating the Redis Cluster on ports {first}-{plan.redis_cluster_ports[-1]}")
        nodes = [f"127.0.0.1:{port}" for port in plan.redis_cluster_ports]
        _redis_cli(first, "--cluster", "create", *nodes, "--cluster-replicas", "1", "--cluster-yes")
    _wait(
        lambda: all(cluster_state_ok(port) for port in plan.redis_cluster_ports),
        60,
        "redis cluster (cluster_state:ok on every node)",
        alive=lambda: True,
    )
    return started


def stop_redis_cluster(plan: ServicePlan) -> bool:
    """Stop the cluster's nodes (by their pid files). True if any was running."""
    if not plan.redis_cluster_base_port:
        return False
    stopped = [_stop_pid(plan.redis_cluster_dir(port) / "redis.pid", 30) for port in plan.redis_cluster_ports]
    return any(stopped)


# --- Neo4j ------------------------------------------------------------------------------------------------


def ensure_neo4j_jars(log: Log) -> Path:
    """Resolve Neo4j, its server and the Browser with Maven into the shared lib dir (once)."""
    if _JARS_MARKER.exists():
        return NEO4J_LIB_DIR
    if not shutil.which("mvn"):
        raise ServiceError("Maven (mvn) is needed to fetch Neo4j")
    log(f"fetching Neo4j {NEO4J_VERSION} and its Browser with Maven (first run only)")
    NEO4J_LIB_DIR.mkdir(parents=True, exist_ok=True)
    _run_quiet(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(NEO4J_MAVEN_PROJECT / "pom.xml"),
            "package",
            f"-Dneo4j.lib.dir={NEO4J_LIB_DIR}",
        ],
        "mvn package (Neo4j jars)",
    )
    _JARS_MARKER.write_text(NEO4J_VERSION + "\n")
    return NEO4J_LIB_DIR


def _neo4j_conf(plan: ServicePlan, lib_dir: Path) -> str:
    home = plan.neo4j_home
    guide_hosts = ",".join(sorted({plan.browser_guide_origin.split("//", 1)[1], "localhost", "127.0.0.1"}))
    return "\n".join(
        [
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{plan.neo4j_bolt_port}",
            f"server.bolt.advertised_address=127.0.0.1:{plan.neo4j_bolt_port}",
            f"server.http.listen_address=127.0.0.1:{plan.neo4j_http_port}",
            f"server.http.advertised_address=127.0.0.1:{plan.neo4j_http_port}",
            "server.https.enabled=false",
            f"server.directories.data={home / 'data'}",
            f"server.directories.logs={home / 'logs'}",
            f"server.directories.run={home / 'run'}",
            f"server.directories.plugins={home / 'plugins'}",
            f"server.directories.import={home / 'import'}",
            f"server.directories.lib={lib_dir}",
            "dbms.security.auth_enabled=true",
            "dbms.usage_report.enabled=false",
            # The Browser's product analytics (and its consent banner) start off as well.
            "client.allow_telemetry=false",
            f"server.memory.heap.initial_size={plan.neo4j_heap}",
            f"server.memory.heap.max_size={plan.neo4j_heap}",
            f"server.memory.pagecache.size={plan.neo4j_pagecache}",
            "db.tx_log.rotation.retention_policy=1G size",
            # Let the Browser open Feedline's guide (`:play <api>/guide/feedline.html`).
            f"browser.remote_content_hostname_whitelist={guide_hosts}",
            "",
        ]
    )


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start_neo4j(plan: ServicePlan, log: Log) -> bool:
    """Start Neo4j unless ours is already running. Returns True if it was started now."""
    if _pid_from(plan.neo4j_pidfile) is not None and _port_open(plan.neo4j_bolt_port):
        return False
    for port in (plan.neo4j_bolt_port, plan.neo4j_http_port):
        if _port_open(port):
            raise ServiceError(f"port {port} is taken by a process that is not our Neo4j")
    java = shutil.which("java")
    if not java:
        raise ServiceError("java is needed to run Neo4j")
    lib_dir = ensure_neo4j_jars(log)
    home = plan.neo4j_home
    for sub in ("conf", "data", "logs", "run", "plugins", "import"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").write_text(_neo4j_conf(plan, lib_dir))
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    classpath = f"{lib_dir}/*"
    if not (home / "data" / "dbms" / "auth.ini").exists():
        # The initial password can only be set before the very first start.
        _run_quiet(
            [
                java,
                "-cp",
                classpath,
                "org.neo4j.cli.AdminTool",
                "dbms",
                "set-initial-password",
                plan.neo4j_password,
            ],
            "neo4j-admin set-initial-password",
            env,
        )
    console = open(home / "logs" / "console.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [
            java,
            f"-Xms{plan.neo4j_heap}",
            f"-Xmx{plan.neo4j_heap}",
            *_JAVA_FLAGS,
            "-cp",
            classpath,
            "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={home}",
            f"--config-dir={home / 'conf'}",
            "--console-mode",
        ],
        stdout=console,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=home,
        start_new_session=True,  # survives the CLI that started it; Ctrl-C in a terminal does not reach it
    )
    console.close()
    plan.neo4j_pidfile.write_text(f"{proc.pid}\n")
    try:
        _wait(
            lambda: (
                _port_open(plan.neo4j_bolt_port) and _http_ok(f"http://127.0.0.1:{plan.neo4j_http_port}/")
            ),
            180,
            f"neo4j (log: {home / 'logs' / 'console.log'})",
            alive=lambda: proc.poll() is None,
        )
    except ServiceError:
        _stop_pid(plan.neo4j_pidfile, 30)
        raise
    return True


# --- the commands -----------------------------------------------------------------------------------------


def up(plan: ServicePlan, log: Log = print) -> dict[str, bool]:
    """Idempotent: starts whatever of ours is not running. Returns {service: started_now}."""
    plan.state_dir.mkdir(parents=True, exist_ok=True)
    if plan.redis_cluster:
        return {"redis cluster": start_redis_cluster(plan, log), "neo4j": start_neo4j(plan, log)}
    return {"redis": start_redis(plan, log), "neo4j": start_neo4j(plan, log)}


def stop_neo4j(plan: ServicePlan) -> bool:
    return _stop_pid(plan.neo4j_pidfile, 90)


def stop_redis(plan: ServicePlan) -> bool:
    return _stop_pid(plan.redis_pidfile, 30)


def down(plan: ServicePlan) -> dict[str, bool]:
    """Stops only processes that ``up`` started (by their pid files). Returns {service: was_running}."""
    stopped = {"neo4j": stop_neo4j(plan), "redis": stop_redis(plan)}
    if plan.redis_cluster:
        stopped["redis cluster"] = stop_redis_cluster(plan)
    return stopped


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    port: int
    answering: bool
    url: str


def status(plan: ServicePlan) -> list[ServiceStatus]:
    redis_pid = _pid_from(plan.redis_pidfile)
    neo4j_pid = _pid_from(plan.neo4j_pidfile)
    if plan.redis_cluster:
        redis = [
            ServiceStatus(
                f"redis cluster node {i + 1}",
                _pid_from(plan.redis_cluster_dir(port) / "redis.pid"),
                port,
                cluster_state_ok(port),
                plan.redis_url,
            )
            for i, port in enumerate(plan.redis_cluster_ports)
        ]
    else:
        redis = [
            ServiceStatus("redis", redis_pid, plan.redis_port, _redis_ping(plan.redis_port), plan.redis_url)
        ]
    return [
        *redis,
        ServiceStatus(
            "neo4j bolt", neo4j_pid, plan.neo4j_bolt_port, _port_open(plan.neo4j_bolt_port), plan.neo4j_uri
        ),
        ServiceStatus(
            "neo4j browser",
            neo4j_pid,
            plan.neo4j_http_port,
            _http_ok(f"http://127.0.0.1:{plan.neo4j_http_port}/"),
            plan.browser_url,
        ),
    ]
