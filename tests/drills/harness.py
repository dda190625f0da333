"""Real servers for the drills: Redis, the app served by gunicorn, `casework worker`, each a
process of its own that a drill can kill -9, stop and start again, and a small HTTP client
that signs in through the real form (no mocks: the processes talk over real sockets).

PostgreSQL and its streaming replica come from tests/pg.py.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..pg import _free_port

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def wait_for(condition, seconds: float = 60, what: str = "", every: float = 0.2):
    """Poll `condition` until it returns something true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = condition()
        except (OSError, urllib.error.URLError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(every)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict, folder: Path):
        self.name, self.command, self.env, self.folder = name, command, env, folder
        self.log = folder / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        out = open(self.log, "a")
        self.popen = subprocess.Popen(self.command, env=self.env, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      cwd=ROOT)
        out.close()

    def kill9(self) -> None:
        """kill -9 the whole process group: no handler runs, nothing is tidied up."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, sig: int = signal.SIGINT, seconds: float = 30) -> int | None:
        if self.popen is None or self.popen.poll() is not None:
            return self.popen.returncode if self.popen else None
        os.killpg(self.popen.pid, sig)
        try:
            return self.popen.wait(seconds)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


class Redis(Process):
    """redis-server on its own port, persisting to an append-only file in its folder (as the
    README asks of production), so a restart keeps what was queued."""

    def __init__(self, folder: Path):
        self.port = _free_port()
        (folder / "redis").mkdir(exist_ok=True)
        super().__init__("redis", [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                   "--dir", str(folder / "redis"), "--appendonly", "yes",
                                   "--appendfsync", "always", "--save", "",
                                   "--protected-mode", "yes"], dict(os.environ), folder)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not Path(REDIS_SERVER).exists():
            raise RuntimeError("redis-server is missing: install it with "
                               "`apt-get install -y redis-server` (.ci/run does)")
        super().start()
        wait_for(lambda: self.ping(), 20, "redis-server to answer")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")

    def queued(self) -> int:
        """How many messages wait in casework's queue (Huey's Redis list)."""
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            return sum(client.llen(key) for key in client.keys("huey.redis.casework*"))
        finally:
            client.close()


def casework_env(database_url: str, queue_url: str, **more: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CASEWORK_", "DATABASE_"))}
    env.update({"CASEWORK_ENV": "development", "DATABASE_URL": database_url,
                "CASEWORK_JOBS_QUEUE_URL": queue_url,
                # One key for every server: a session signed by one is good on the other.
                "CASEWORK_SECRET_KEY": "drills-only-" + "x7Qp2LmZ9vRtY4kW8sNa3Jd6Fh1Gc5Be",
                "PYTHONUNBUFFERED": "1", **more})
    return env


class AppServer(Process):
    """The app served by gunicorn, as the README runs it, on its own port."""

    def __init__(self, name: str, env: dict, folder: Path, workers: int = 1):
        self.port = _free_port()
        super().__init__(name, [str(BIN / "gunicorn"), "-w", str(workers), "--timeout", "30",
                                "-b", f"127.0.0.1:{self.port}", "casework:create_app()"],
                         env, folder)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        self.ready()

    def ready(self) -> None:
        """Wait until it answers (started with Process.start, several start at once)."""
        wait_for(lambda: self.popen.poll() is None and _listening(self.port)
                 or self.popen.poll() is not None, 120, f"{self.name} to listen")
        assert self.popen.poll() is None, self.output()


class Worker(Process):
    """`casework worker`: runs the queued jobs."""

    def __init__(self, name: str, env: dict, folder: Path, threads: int = 1,
                 command: list[str] | None = None):
        super().__init__(name, command or [str(BIN / "casework"), "worker", "--threads",
                                           str(threads)], env, folder)

    def runs(self, job_id: int) -> int:
        """How many runs of the job this worker started (casework.jobs.service logs each)."""
        return len(re.findall(rf"job {job_id} \(\w+\): run \d+ started", self.output()))


class Client:
    """A browser's part of HTTP: cookies, forms with their CSRF token, no redirects followed."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar | None = None):
        self.base = base
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, path: str, data: dict | None = None, timeout: float = 30
                ) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def get(self, path: str, timeout: float = 30) -> tuple[int, dict, str]:
        return self.request(path, timeout=timeout)

    def post_form(self, path: str, data: dict, page: str | None = None) -> tuple[int, dict, str]:
        status, _, html = self.get(page or path)
        assert status == 200, (status, html[:500])
        return self.request(path, {**data, "csrf_token": csrf_token(html)})

    def sign_in(self, email: str, password: str) -> None:
        status, headers, text = self.post_form("/login", {"email": email, "password": password})
        assert status == 302, (status, text[:500])

    def json(self, path: str) -> dict:
        status, _, text = self.get(path)
        assert status == 200, (status, text[:300])
        return json.loads(text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def job_path(headers: dict) -> str:
    location = headers["Location"]
    return urllib.parse.urlparse(location).path


def scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
