"""Throughput as a ratio: the portal against a Flask hello world, same server, same client.

Both apps run under gunicorn with the same settings (GUNICORN_ARGS) for the whole run. For each
page, wrk loads hello world and then the portal, alternately, for ROUNDS rounds of DURATION
seconds each after a short warm-up of both; the page's ratio is the median of the rounds'
portal/hello ratios. On a shared, noisy machine both halves of a round see much the same noise,
so the ratio is steadier than either figure. GET pages send the signed-in cookie with -H; the
quiz submission uses quiz.lua, which sends a different prepared submission with every request,
to both apps.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4",
                 "--log-level", "warning"]
# A long timeout: a slow page must count as slow, not vanish as a socket error.
WRK_ARGS = ["--threads", "1", "--connections", "8", "--timeout", "30s"]
QUIZ_SCRIPT = BENCH_DIR / "quiz.lua"


def settings() -> dict:
    return {"gunicorn": " ".join(GUNICORN_ARGS), "wrk": " ".join(WRK_ARGS),
            "duration_s": duration(), "rounds": rounds(), "warmup_s": warmup()}


def duration() -> int:
    return int(os.environ.get("BENCH_DURATION", "5"))


def rounds() -> int:
    return int(os.environ.get("BENCH_ROUNDS", "3"))


def warmup() -> int:
    return int(os.environ.get("BENCH_WARMUP", "2"))


class Server:
    """A gunicorn serving one app on a free loopback port, until stop()."""

    def __init__(self, name: str, app: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        log_dir.mkdir(parents=True, exist_ok=True)  # bench/.data/ is made only for SQLite
        self.log = (log_dir / f"gunicorn-{name}.log").open("w")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), *GUNICORN_ARGS,
             "--bind", f"127.0.0.1:{self.port}", app],
            env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn for {self.name} stopped; see {self.log.name}")
            try:
                request(self.url, "GET", "/healthz")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn for {self.name} did not start; see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(base_url: str, method: str, path: str, headers: dict | None = None,
            body: str | None = None) -> int:
    """One request, no redirects followed: the status code."""
    port = int(base_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


@dataclass
class WrkResult:
    requests_per_s: float
    requests: int
    bad_responses: int  # non-2xx/3xx
    socket_errors: int


def wrk(url: str, seconds: int, *, cookie: str | None = None,
        script_args: list[str] | None = None) -> WrkResult:
    command = ["wrk", *WRK_ARGS, "--duration", f"{seconds}s"]
    if cookie:
        command += ["--header", f"Cookie: {cookie}"]
    if script_args is not None:
        command += ["--script", str(QUIZ_SCRIPT)]
    command.append(url)
    if script_args is not None:
        command += ["--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> WrkResult:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    if rate is None or total is None:
        raise RuntimeError(f"Could not read wrk's output:\n{output}")
    return WrkResult(float(rate.group(1)), int(total.group(1)), int(bad.group(1)) if bad else 0,
                     sum(int(n) for n in errors.groups()) if errors else 0)


@dataclass
class Comparison:
    hello: list[float] = field(default_factory=list)
    portal: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # The machine's 1-minute load average after each round: ratios fall as load rises, so a
    # figure means little without it.
    load: list[float] = field(default_factory=list)
    # A third server loaded in the same rounds (Your training's floor), so that the page's share
    # of the floor is measured under the same conditions, round by round.
    floor: list[float] = field(default_factory=list)

    @property
    def floor_ratio(self) -> float | None:
        if not self.floor or self.problems:
            return None
        return statistics.median(p / f for p, f in zip(self.portal, self.floor, strict=True))

    @property
    def ratio(self) -> float | None:
        if not self.portal or self.problems:
            return None
        return statistics.median(p / h for p, h in zip(self.portal, self.hello, strict=True))

    def as_json(self) -> dict:
        return {"hello_rps": round(statistics.median(self.hello), 1) if self.hello else None,
                "portal_rps": round(statistics.median(self.portal), 1) if self.portal else None,
                "rounds": [{"hello": round(h, 1), "portal": round(p, 1), "load": load}
                           for h, p, load in zip(self.hello, self.portal, self.load,
                                                 strict=True)],
                "load": round(statistics.median(self.load), 2) if self.load else None,
                **({"floor_rps": round(statistics.median(self.floor), 1),
                    "floor_rounds": [round(f, 1) for f in self.floor],
                    "share_of_floor": round(self.floor_ratio, 3)
                    if self.floor_ratio is not None else None} if self.floor else {}),
                "ratio": round(self.ratio, 3) if self.ratio is not None else None,
                "problems": self.problems}


def compare_get(hello: Server, portal: Server, path: str, cookie: str | None,
                floor: Server | None = None) -> Comparison:
    result = Comparison()
    loaded = [(hello, result.hello), (portal, result.portal)]
    if floor is not None:
        loaded.append((floor, result.floor))
    for server, _ in loaded[1:]:
        status = request(server.url, "GET", path, {"Cookie": cookie} if cookie else {})
        if status != 200:
            result.problems.append(f"{server.name}: GET {path} answered {status}, not 200")
            return result
    for server, _ in loaded:
        wrk(server.url + path, warmup(), cookie=cookie)
    for _ in range(rounds()):
        for server, figures in loaded:
            outcome = wrk(server.url + path, duration(), cookie=cookie)
            _check(outcome, server.name, result)
            figures.append(outcome.requests_per_s)
        result.load.append(load_average())
    return result


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def compare_script(hello: Server, portal: Server, next_file: callable) -> Comparison:
    """Scripted requests (quiz submission); `next_file()` writes the requests still usable."""
    result = Comparison()
    threads = WRK_ARGS[WRK_ARGS.index("--threads") + 1]
    for server in (hello, portal):
        wrk(server.url, warmup(), script_args=[threads, str(next_file())])
    for _ in range(rounds()):
        for server, figures in ((hello, result.hello), (portal, result.portal)):
            outcome = wrk(server.url, duration(), script_args=[threads, str(next_file())])
            _check(outcome, server.name, result)
            figures.append(outcome.requests_per_s)
        result.load.append(load_average())
    return result


def _check(outcome: WrkResult, name: str, result: Comparison) -> None:
    if not outcome.requests:
        result.problems.append(f"{name}: no request finished in {duration()} s")
    elif outcome.bad_responses or outcome.socket_errors:
        result.problems.append(f"{name}: {outcome.bad_responses} error responses, "
                               f"{outcome.socket_errors} socket errors of {outcome.requests}")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench-"))
