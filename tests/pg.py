"""A throwaway PostgreSQL cluster for the test run: initdb in a temporary folder, own port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("CASEWORK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The tests' cluster trades durability for speed (a test's data is thrown away); a benchmark
# runs with production durability (fsync, synchronous commit and full-page writes on, the
# server's defaults) and a production server's memory, so its figures cannot flatter.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
PRODUCTION = "-c shared_buffers=2GB"


class Cluster:
    def __init__(self, durable: bool = False) -> None:
        self.settings = PRODUCTION if durable else FAST
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL server binaries are missing from {PG_BIN}: "
                "install them with `apt-get install -y postgresql`"
            )
        self.root = Path(tempfile.mkdtemp(prefix="casework-pg-"))
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
            self._run(
                str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                str(self.root / "server.log"), "-o",
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 {self.settings}",
                "start",
            )
            self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                      "-U", "postgres", "casework_test")
        except subprocess.CalledProcessError as error:
            raise RuntimeError(f"could not start PostgreSQL: {error.stderr}") from error
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/casework_test"

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
