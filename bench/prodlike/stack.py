"""The production-like run: two gunicorn instances and a worker on loopback.

Everything is the production configuration (PORTAL_ENV=production, a fresh strong SECRET_KEY
shared by both instances) against a PostgreSQL database created for this run, Redis for the
shared rate limits (a key prefix of its own per run), and a local SMTP sink for the mail. The
instances reach PostgreSQL through a proxy that the outage check can cut (see dbproxy.py).

Settings changed for the run only (said in the report too): MAIL_CLAIM_TIMEOUT_SECONDS is 15
seconds instead of ten minutes, so the worker-kill check need not wait ten minutes for a dead
worker's claims to come back, and WORKER_POLL_SECONDS is 1. No rate limit is changed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import gunicorn
import httpx
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.prodlike.browser import BASE_URL, Browser, BrowserState, no_cookie_jar
from bench.prodlike.dbproxy import DatabaseProxy
from bench.prodlike.smtpsink import SlowSink, free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ACCESS_LOG_FORMAT = "access %(m)s %(U)s %(s)s %(M)sms"


class StackError(RuntimeError):
    """The run could not be started; the message carries the relevant log lines."""


@dataclass(frozen=True)
class Settings:
    admin_database_url: str  # a PostgreSQL server we may create databases on
    redis_url: str
    instances: int = 2
    workers_per_instance: int = 2
    threads_per_worker: int = 4
    claim_timeout_seconds: int = 15

    @classmethod
    def from_environment(cls) -> Settings | None:
        """From TEST_DATABASE_URL and REDIS_URL (as CI sets them), or None when either is unset."""
        database, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("REDIS_URL")
        if not database or not redis_url:
            return None
        return cls(admin_database_url=database, redis_url=redis_url)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None


class Stack:
    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.run_id = secrets.token_hex(4)
        self.database_name = f"prodlike_{os.getpid()}_{self.run_id}"
        self.key_prefix = f"prodlike-{self.run_id}"
        admin = make_url(settings.admin_database_url)
        self.admin_url = admin
        self.direct_url = admin.set(database=self.database_name)
        self.proxy = DatabaseProxy(admin.host or "127.0.0.1", admin.port or 5432)
        self.sink = SlowSink()
        self.ports = [free_port() for _ in range(settings.instances)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.instances: list[Process] = []
        self.worker: Process | None = None
        self.retired_workers: list[Process] = []
        self.engine: sa.Engine | None = None
        self.browsers: list[Browser] = []
        self.secret_key = secrets.token_urlsafe(48)

    # -- starting and stopping ---------------------------------------------------------------

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._create_database()
        self.proxy.start()
        self.sink.start()
        self.flask("db", "upgrade")
        for number, port in enumerate(self.ports, 1):
            self.instances.append(self._spawn(f"instance{number}", self._gunicorn(port)))
        self.start_worker()
        self.flask("courses", "sync")  # while the instances boot
        self.wait_until_ready()

    def stop(self) -> None:
        for browser in self.browsers:
            browser.close()
        processes = [*self.instances, *([self.worker] if self.worker else [])]
        for process in processes:
            self._signal(process, signal.SIGTERM)  # all at once: each takes a few seconds
        for process in processes:
            self._terminate(process)
        with contextlib.suppress(Exception):
            self.sink.stop()
        with contextlib.suppress(Exception):
            self.proxy.close()
        if self.engine is not None:
            self.engine.dispose()
        self._drop_database()
        with contextlib.suppress(redis.RedisError), \
                redis.Redis.from_url(self.settings.redis_url) as store:
            for key in store.scan_iter(match=f"*{self.key_prefix}*"):
                store.delete(key)

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _create_database(self) -> None:
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{self.database_name}"'))
        admin.dispose()
        self.engine = sa.create_engine(self.direct_url)

    def _drop_database(self) -> None:
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with contextlib.suppress(sa.exc.SQLAlchemyError), admin.connect() as connection:
            connection.execute(
                sa.text(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'))
        admin.dispose()

    # -- processes ---------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The production settings every process of the run shares."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PORTAL_", "RATELIMIT_", "MAIL_", "FLASK_"))
               and key not in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "TRUSTED_HOSTS",
                               "PROXY_FIX_HOPS", "WORKER_POLL_SECONDS")}
        through_proxy = self.admin_url.set(host="127.0.0.1", port=self.proxy.port,
                                           database=self.database_name)
        env.update({
            "PORTAL_ENV": "production",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": through_proxy.render_as_string(hide_password=False),
            "BASE_URL": BASE_URL,
            "PROXY_FIX_HOPS": "1",
            "RATELIMIT_STORAGE_URI": self.settings.redis_url,
            "RATELIMIT_KEY_PREFIX": self.key_prefix,
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.sink.port),
            "MAIL_USE_TLS": "false",
            "WORKER_POLL_SECONDS": "1",
            "MAIL_CLAIM_TIMEOUT_SECONDS": str(self.settings.claim_timeout_seconds),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def flask(self, *args: str) -> str:
        """Run one `flask --app portal` command to completion; its output, or StackError."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", *args],
                                cwd=PROJECT_ROOT, env=self.environment(), capture_output=True,
                                text=True, timeout=300, check=False)
        if result.returncode != 0:
            raise StackError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def _gunicorn(self, port: int) -> list[str]:
        settings = self.settings
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(settings.workers_per_instance), "--worker-class", "gthread",
                   "--threads", str(settings.threads_per_worker), "--timeout", "60",
                   # Idle connections outlive the client's (httpx: 5 s), as behind a load
                   # balancer, so a request never races the server closing its connection.
                   "--keep-alive", "75",
                   "--graceful-timeout", "5", "--access-logfile", "-",
                   "--access-logformat", ACCESS_LOG_FORMAT]
        if gunicorn.version_info >= (27,):
            # Otherwise every instance on the machine shares ~/.gunicorn/gunicorn.ctl.
            command.append("--no-control-socket")
        return [*command, "portal:create_app()"]

    def _spawn(self, name: str, command: list[str]) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as output:
            popen = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.environment(),
                                     stdout=output, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return Process(name, popen, log)

    def start_worker(self) -> Process:
        if self.worker is not None and self.worker.alive():
            raise StackError("a worker is already running")
        number = len(self.retired_workers) + 1
        self.worker = self._spawn(f"worker{number}", [sys.executable, "-m", "flask", "--app",
                                                      "portal", "worker"])
        return self.worker

    def kill_worker(self) -> None:
        """SIGKILL: no clean-up, no signal handler, exactly like a crash or an OOM kill."""
        assert self.worker is not None
        self.worker.popen.send_signal(signal.SIGKILL)
        self.worker.popen.wait(timeout=10)
        self.retired_workers.append(self.worker)
        self.worker = None

    @staticmethod
    def _signal(process: Process, signum: int) -> None:
        """Signal the process group we started: gunicorn's master and its workers."""
        if process.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signum)

    def _terminate(self, process: Process) -> None:
        self._signal(process, signal.SIGTERM)
        try:
            process.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal(process, signal.SIGKILL)
            process.popen.wait(timeout=5)

    # -- talking to the run ------------------------------------------------------------------

    def browser(self, address: str = "127.0.1.1") -> Browser:
        """A new browser (closed when the run stops)."""
        browser = Browser(self.urls, address)
        self.browsers.append(browser)
        return browser

    def ready_statuses(self) -> list[int]:
        """GET /readyz on each instance."""
        state = BrowserState("127.0.0.1")
        with httpx.Client(timeout=30, cookies=no_cookie_jar()) as http:
            return [http.get(url + "/readyz", headers=state.headers()).status_code
                    for url in self.urls]

    def wait_until_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in [*self.instances, self.worker]:
                if process is not None and not process.alive():
                    raise StackError(f"{process.name} exited:\n{self.tail(process)}")
            with contextlib.suppress(httpx.HTTPError):
                if self.ready_statuses() == [200] * len(self.urls):
                    return
            time.sleep(0.25)
        raise StackError("the instances did not become ready:\n" +
                         "\n".join(self.tail(p) for p in self.instances))

    def tail(self, process: Process, lines: int = 40) -> str:
        text = process.log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {process.name} ---\n" + "\n".join(text)

    def all_logs_tail(self) -> str:
        processes = [*self.instances, *self.retired_workers, *([self.worker] if self.worker
                                                             else [])]
        return "\n".join(self.tail(p) for p in processes)

    def access_log_statuses(self, since: dict[str, int] | None = None) -> Counter:
        """Status codes the instances logged, optionally only after a `log_positions()` mark."""
        statuses: Counter = Counter()
        for process in self.instances:
            with process.log.open("rb") as log:
                log.seek((since or {}).get(process.name, 0))
                for line in log.read().decode(errors="replace").splitlines():
                    parts = line.split()
                    if len(parts) == 5 and parts[0] == "access":
                        statuses[int(parts[3])] += 1
        return statuses

    def log_positions(self) -> dict[str, int]:
        return {process.name: process.log.stat().st_size for process in self.instances}

    def logged_failures(self) -> list[str]:
        """Log lines of requests that failed with an unexpected error (a 500) on any instance."""
        return [line for process in self.instances
                for line in process.log.read_text(errors="replace").splitlines()
                if '"event": "request.failed"' in line]
