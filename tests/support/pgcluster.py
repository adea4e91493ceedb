"""A throwaway PostgreSQL cluster on loopback, for tests and benchmarks.

``initdb`` and ``pg_ctl`` refuse to run as root, so as root the cluster is created and run
as the ``postgres`` OS user in a directory it owns. The cluster listens on 127.0.0.1 only,
trusts local connections and is deleted on stop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


def pg_bin(name: str) -> str:
    for folder in PG_BIN_CANDIDATES:
        if Path(folder, name).exists():
            return str(Path(folder, name))
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="c3p-pg-")))
    user: str = "postgres"
    #: PostgreSQL's defaults (fsync and synchronous_commit on) when True; tests keep the default
    #: False (fsync off: a throwaway cluster that never outlives a power loss, and crash tests
    #: kill processes, not the machine); benchmarks that report durable figures pass True
    durable: bool = False

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(pg_bin("initdb"), "-D", str(self.datadir), "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = " ".join(
            f"-c {setting}"
            for setting in (
                "listen_addresses=127.0.0.1",
                f"port={self.port}",
                f"unix_socket_directories={self.root}",
                *(() if self.durable else ("fsync=off",)),
                "max_connections=200",
                "shared_buffers=256MB",
            )
        )
        self._run(pg_bin("pg_ctl"), "-D", str(self.datadir), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def settings(self) -> str:
        """The durability settings the cluster runs with, for benchmarks to print."""
        found = self._run(
            pg_bin("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            "postgres",
            "-At",
            "-c",
            "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings "
            "WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')",
        )
        return found.stdout.strip()

    def create_database(self, name: str) -> str:
        self._run(pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(pg_bin("pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop")
        time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
