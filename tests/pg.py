"""A throwaway PostgreSQL cluster for the test run: initdb in a temporary folder, own port;
for the drills (tests/drills) also a streaming replica of it, and a stop and start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("CASEWORK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _worker_share() -> tuple[int, int]:
    """(this worker's number, how many workers) under pytest-xdist; (0, 1) without it."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if name.startswith("gw") and name[2:].isdigit() and count > 1:
        return int(name[2:]), count
    return 0, 1


def _free_port() -> int:
    """A free loopback port: from CASEWORK_TEST_PORTS (e.g. 5151-5169) when set, so that
    runs sharing a machine keep to their own ports; otherwise one the system chooses.
    Under pytest-xdist each worker takes every n-th port of the range (gw0 the first, gw1
    the second, ...), so that two workers never hand out the same port."""
    ports = os.environ.get("CASEWORK_TEST_PORTS")
    if ports:
        first, _, last = ports.partition("-")
        index, count = _worker_share()
        if int(last or first) - int(first) + 1 < count:
            raise RuntimeError(f"CASEWORK_TEST_PORTS={ports} has fewer ports than the "
                               f"{count} test workers")
        for _attempt in range(2):
            for port in range(int(first) + index, int(last or first) + 1, count):
                if port in _taken:
                    continue
                with socket.socket() as s:
                    try:
                        s.bind(("127.0.0.1", port))
                    except OSError:
                        continue
                _taken.add(port)
                return port
            _taken.clear()  # every port handed out once: those whose servers stopped are free
        raise RuntimeError(f"no free port left in CASEWORK_TEST_PORTS={ports}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_taken: set[int] = set()  # handed out in this run (a server may not have bound it yet)

# The tests' cluster trades durability for speed (a test's data is thrown away); a benchmark
# runs with production durability (fsync, synchronous commit and full-page writes on, the
# server's defaults) and a production server's memory, so its figures cannot flatter; the
# drills (tests/drills) with durability and the default memory, since they stop the server
# part way and run several at once.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
PRODUCTION = "-c shared_buffers=2GB"
DURABLE = ""


class Cluster:
    def __init__(self, durable: bool = False, settings: str | None = None,
                 parent: Path | None = None) -> None:
        self.settings = settings if settings is not None else PRODUCTION if durable else FAST
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL server binaries are missing from {PG_BIN}: "
                "install them with `apt-get install -y postgresql`"
            )
        self.root = Path(tempfile.mkdtemp(prefix="casework-pg-", dir=parent))
        self.data = self.root / "data"
        self.port = _free_port()
        # The server refuses to run as root: run it as the postgres user when we are root.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.root, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> str:
        try:
            self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                      "-U", "postgres", "--no-sync", "-E", "UTF8")
            self._start_on_a_free_port()
            self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                      "-U", "postgres", "casework_test")
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"could not start PostgreSQL: {error.stderr}") from error
        return self.url

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/casework_test"

    def _options(self) -> str:
        return f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 {self.settings}"

    def _start_on_a_free_port(self, tries: int = 3) -> None:
        """Start the server; if another process took the port between our choosing it and
        the server binding it (another test run, or a drill's server), choose again."""
        for attempt in range(tries):
            try:
                self.start_server()
                return
            except subprocess.CalledProcessError:
                log = self.root / "server.log"
                taken = log.exists() and "could not bind" in log.read_text(errors="replace")
                if not taken or attempt == tries - 1:
                    raise
                self.port = _free_port()

    def start_server(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                  str(self.root / "server.log"), "-o", self._options(), "start")

    def running(self) -> bool:
        return subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data),
                               "status"], capture_output=True).returncode == 0

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server (fast: disconnect everyone, roll back what is open), leaving the
        cluster to be started again."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def replica(self) -> Replica:
        """A hot standby streaming from this cluster: pg_basebackup -R, its own port."""
        replica = Replica(self)
        replica.start()
        return replica

    def stop(self) -> None:
        try:
            subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                            "immediate", "stop"], capture_output=True)  # stopped already: fine
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class Replica(Cluster):
    """A streaming replica of a running Cluster: read-only, a little behind the primary."""

    def __init__(self, primary: Cluster) -> None:
        super().__init__(settings=primary.settings)
        self.primary = primary

    def start(self) -> str:
        try:
            self._run(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1",
                      "-p", str(self.primary.port), "-U", "postgres", "-D", str(self.data),
                      "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
            self.start_server()
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"could not start the PostgreSQL replica: {error.stderr}") from error
        return self.url

    def _options(self) -> str:
        return super()._options() + " -c hot_standby=on"
