"""What every benchmark and fault script shares: throw-away databases, `kam serve` (or the
baseline app) as a subprocess, seeding through the real services, wrk, and memory readings.

Everything listens on and targets 127.0.0.1 only; every load run is bounded in requests and
time. Databases are created fresh for a run and dropped afterwards (SQLite: a file in a
temporary directory; PostgreSQL: ``kam_bench_<hex>`` on ``KAM_BENCH_POSTGRES_URL``).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "benchmarks"
VENV_BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get(
    "KAM_BENCH_POSTGRES_URL",
    os.environ.get("KAM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
SECRET = "benchmark-secret-key-that-is-long-enough-for-production-use"
LOOPBACK = "127.0.0.1"
ORG = "Bench Spa"
HR_EMAIL = "bench.hr@example.com"
PASSWORD = "bench-password-123"
USER_AGENT = "kam-bench"


def log(message: str) -> None:
    """Progress on stderr (stdout carries the tables)."""
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def default_threads() -> int:
    """The app's default KAM_WORKER_THREADS (what a run without ``--threads`` uses)."""
    from app.core.config import Settings

    return int(Settings.model_fields["worker_threads"].default)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    load = "unknown"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {"cpus": str(os.cpu_count()), "cpu": cpu, "memory": memory, "load_avg": load,
            "python": platform.python_version(), "kernel": platform.release(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


# --- databases ---------------------------------------------------------------------------


@dataclass
class Database:
    """A throw-away database of one backend; ``url`` is what KAM_DATABASE_URL gets."""

    backend: str
    workdir: Path
    url: str = ""
    name: str = ""
    admin_url: str = POSTGRES_ADMIN_URL

    def create(self) -> Database:
        """Make the empty database."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        self.name = f"kam_bench_{uuid.uuid4().hex[:10]}"
        if self.backend == "sqlite":
            self.url = f"sqlite:///{self.workdir / (self.name + '.db')}"
            return self
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        self.url = make_url(self.admin_url).set(database=self.name).render_as_string(
            hide_password=False)
        return self

    def drop(self) -> None:
        """Remove it (PostgreSQL: DROP DATABASE ... WITH (FORCE))."""
        if self.backend != "postgresql" or not self.name:
            return
        from sqlalchemy import create_engine, text

        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def use_database(url: str) -> None:
    """Point this process's settings and engine at ``url`` (for seeding and checks)."""
    os.environ["KAM_DATABASE_URL"] = url
    from app.core.config import get_settings
    from app.core.db import swap_engine

    get_settings.cache_clear()
    old = swap_engine(None)
    if old is not None:
        old.dispose()


def release_database() -> None:
    """Close this process's connections (before a server takes over the database)."""
    from app.core.db import swap_engine

    old = swap_engine(None)
    if old is not None:
        old.dispose()


def prepare(url: str, *, bank_dir: Path | None = None) -> None:
    """Migrate ``url`` to head and publish the questionnaire bank."""
    use_database(url)
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        if bank_dir is not None:
            # A copy of the bank with compressed time limits: the reading-time rule would
            # refuse it, on purpose; everything else is checked as usual.
            bank_service.publish(session, directory=bank_dir, delivery_rules=False)


@dataclass
class Seeded:
    """One organization's HR user and a position."""

    organization_id: int
    hr_id: int
    position_id: int


def seed_position(*, questionnaires: list[str] | None = None, title: str = "KAM bench") -> Seeded:
    """The bench organization (made once), its HR user and a new open position."""
    from app.auth import service as auth_service
    from app.core.db import session_scope
    from app.positions import service as position_service
    from app.positions.schemas import PositionCreate
    from app.setup import provision

    with session_scope() as session:
        provisioned = provision(session, org_name=ORG, admin_email="bench.admin@example.com",
                                admin_password=PASSWORD)
        hr = auth_service.find_by_email(session, organization_id=provisioned.organization.id,
                                        email=HR_EMAIL)
        if hr is None:
            hr = auth_service.create_user(session, organization=provisioned.organization,
                                          email=HR_EMAIL, full_name="Bench HR", role="hr",
                                          password=PASSWORD)
        data = PositionCreate(title=title, **({"questionnaires": questionnaires}
                                              if questionnaires else {}))
        position = position_service.create(session, data=data, actor=hr)
        return Seeded(provisioned.organization.id, hr.id, position.id)


def invite(seeded: Seeded, count: int, *, prefix: str = "bench") -> list[str]:
    """Invite ``count`` candidates to the position; returns their invitation tokens."""
    from app.auth.models import User
    from app.candidates import service as candidate_service
    from app.candidates.schemas import CandidateCreate
    from app.core.db import session_scope
    from app.positions.models import Position

    tokens = []
    with session_scope() as session:
        hr = session.get(User, seeded.hr_id)
        position = session.get(Position, seeded.position_id)
        for n in range(count):
            _candidate, _invitation, token = candidate_service.invite(
                session, position=position, actor=hr, base_url="http://127.0.0.1",
                data=CandidateCreate(full_name=f"Bench Candidate {n}",
                                     email=f"{prefix}.{n}@example.com", language="en"),
            )
            tokens.append(token)
    return tokens


SCREENING = {"education": "master", "languages": [{"language": "en", "cefr_self": "B2"}],
             "years_sales": 6, "years_key_accounts": 4, "client_base_size": 25,
             "salary_expectation_monthly": 3800}


@dataclass(frozen=True)
class Started:
    """A started attempt and answers it may give: (item id, value) of its current section."""

    token: str
    attempt_id: int
    answers: tuple[tuple[str, Any], ...]


def start_attempts(tokens: list[str]) -> list[Started]:
    """Start each invitation through the service (as the start API does)."""
    from app.assessments import service as assessment_service
    from app.assessments.schemas import StartRequest
    from app.core.db import session_scope

    started = []
    for token in tokens:
        with session_scope() as session:
            ctx = assessment_service.resolve(session, token=token)
            attempt = assessment_service.start(
                session, ctx=ctx, data=StartRequest(consent=True, screening=SCREENING),
                ip=LOOPBACK, user_agent=USER_AGENT)
            items = assessment_service.state(session, ctx=ctx)["current_section"]["items"]
            answers = tuple((item["id"], _some_answer(item)) for item in items)
            started.append(Started(token, attempt.id, answers))
    return started


def _some_answer(item: dict[str, Any]) -> Any:
    if item.get("options"):
        return item["options"][0]["id"]
    if item.get("scale"):
        return item["scale"]["min"]
    return 42


# --- servers -----------------------------------------------------------------------------


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like server on ``database_url``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAM_")}
    env.update({
        "KAM_ENV": "production", "KAM_SECRET_KEY": SECRET, "KAM_DATABASE_URL": database_url,
        "KAM_LOG_LEVEL": "WARNING", "KAM_BASE_URL": "http://127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@dataclass
class Server:
    """A server process (and its workers) on 127.0.0.1; started in its own process group."""

    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen | None = None
    memory: list[dict[int, float]] = field(default_factory=list)

    @classmethod
    def kam(cls, database_url: str, workdir: Path, *, workers: int = 1, port: int | None = None,
            name: str = "kam", **env: str) -> Server:
        """`kam serve` on a free port."""
        port = port or free_port()
        argv = [str(VENV_BIN / "kam"), "serve", "--host", LOOPBACK, "--port", str(port),
                "--workers", str(workers)]
        return cls(argv, server_env(database_url, **env), port, workdir / f"{name}-{port}.log")

    @classmethod
    def baseline(cls, database_url: str, workdir: Path, *, workers: int = 1) -> Server:
        """The bare FastAPI baseline app under the same uvicorn settings."""
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "benchmarks.baseline_app:create_app",
                "--factory", "--host", LOOPBACK, "--port", str(port), "--workers", str(workers),
                "--no-access-log", "--log-level", "warning"]
        return cls(argv, server_env(database_url), port, workdir / f"baseline-{port}.log")

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        """Start and wait until /healthz (or /ping) answers."""
        with self.log_path.open("a") as out:
            self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            if self.answers():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer in {timeout} s: {self.log_path}")

    def answers(self) -> bool:
        """True when the server answers its health probe with 200."""
        import httpx

        for path in ("/healthz", "/ping"):
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return True
            except httpx.TransportError:
                return False
        return False

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *_children(self.process.pid)]

    def worker_rss_mb(self) -> dict[int, float]:
        """Resident memory (MB) of each process serving requests (the workers, or the single
        process when there are none)."""
        pids = self.pids()
        workers = [pid for pid in pids[1:] if _is_worker(pid)] or pids[:1]
        return {pid: rss for pid in workers if (rss := rss_mb(pid)) is not None}

    def sample_memory(self) -> None:
        """Remember the workers' RSS now."""
        self.memory.append(self.worker_rss_mb())

    def peak_rss_mb(self) -> float:
        """Highest RSS of any worker over the samples taken."""
        return max((v for sample in self.memory for v in sample.values()), default=0.0)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM the process group and wait."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL the server and its workers at once (a crash)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)

    def log_text(self) -> str:
        """Everything the server printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found + [grandchild for child in found for grandchild in _children(child)]


def _is_worker(pid: int) -> bool:
    # uvicorn's multiprocessing helpers (resource tracker) are children too; workers are the
    # ones running uvicorn's spawn entry point.
    with contextlib.suppress(OSError):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        return b"resource_tracker" not in cmdline
    return False


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (None when it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Start ``server`` and stop it afterwards, whatever happens."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


def staff_token(base_url: str, email: str = HR_EMAIL, password: str = PASSWORD) -> str:
    """An API bearer token for a staff user."""
    import httpx

    response = httpx.post(f"{base_url}/api/v1/auth/token",
                          data={"username": email, "password": password}, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


# --- wrk ---------------------------------------------------------------------------------


def wrk(url: str, *, script: str, connections: int, duration_s: int, threads: int = 2,
        env: dict[str, str] | None = None, timeout_s: int = 5) -> dict[str, Any]:
    """Run wrk (a closed loop of ``connections`` keep-alive connections for ``duration_s``);
    the Lua script prints one JSON line in its ``done`` hook."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s",
            f"--timeout={timeout_s}s", "-s", str(BENCH_DIR / "wrk" / script), url]
    completed = subprocess.run(argv, capture_output=True, text=True, check=False,
                               env={**os.environ, "BENCH_WRK_DIR": str(BENCH_DIR / "wrk"),
                                    "BENCH_THREADS": str(threads), **(env or {})},
                               timeout=duration_s + 60)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk exited with {completed.returncode}: "
                           f"{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"wrk printed no JSON: {completed.stdout}\n{completed.stderr}")


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
