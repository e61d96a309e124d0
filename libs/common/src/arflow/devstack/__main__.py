"""`python -m arflow.devstack run`: the whole platform on this machine (what `make run` calls).

Without ARFLOW_DATABASE_URL it starts an embedded PostgreSQL under ./var/postgres
(data kept across restarts); without ARFLOW_KAFKA_BOOTSTRAP it starts Tansu on
127.0.0.1:9092. Then it creates the databases and topics, applies migrations,
writes a development API key to ./var/dev-api-key (only when no ARFLOW_API_KEYS or
ARFLOW_API_KEYS_FILE is configured: then those keys alone are valid), makes the
key pair sign-in tokens are signed with under ./var/keys and the first administrator
(its one-time password printed once), and runs the services on 8001-8005 and the
web console on 8000 (its cookie secret made once under ./var/keys) until Ctrl-C.
Unless ARFLOW_SMTP_HOST is set, a development mail sink on 127.0.0.1:1025 keeps dunning's email in ./var/mail.

Every service process and Tansu run under `arflow.devstack.supervisor`: one that
dies is started again with backoff while the others run on; SIGINT or SIGTERM
stops them all (the services first, the broker last); processes a killed earlier
run left behind are stopped first. `--replicas N` (or ARFLOW_REPLICAS) runs N
processes per service, replica k on the service's port + 10·(k-1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from arflow.auth import generate_key, hash_key
from arflow.devstack.broker import TansuBroker
from arflow.devstack.platform import REPO_ROOT, SERVICES, ServiceSpec, prepare_databases, prepare_topics, spawn_service
from arflow.devstack.postgres import start_embedded_postgres
from arflow.devstack.status import print_status
from arflow.devstack.supervisor import Child, Supervisor
from arflow.tokens import ensure_signing_key

VAR = REPO_ROOT / "var"


def say(message: str) -> None:
    print(f"{'arflow':<14}| {message}", flush=True)


def configured_keys() -> bool:
    """Whether the operator configured API keys: then no development key is minted beside them."""
    return bool(os.environ.get("ARFLOW_API_KEYS") or os.environ.get("ARFLOW_API_KEYS_FILE"))


def dev_api_key() -> tuple[str, Path]:
    """The development key (created once) and the key file the services read."""
    key_path, keys_file = VAR / "dev-api-key", VAR / "api-keys.json"
    if not key_path.exists():
        key_path.write_text(generate_key() + "\n")
        key_path.chmod(0o600)
    key = key_path.read_text().strip()
    keys_file.write_text(json.dumps([{"name": "dev", "sha256": hash_key(key), "scopes": ["*"]}], indent=2))
    return key, keys_file


def token_signing_env() -> dict[str, str]:
    """The key pair people signs sign-in tokens with, made once under ./var/keys (unless configured)."""
    if os.environ.get("ARFLOW_TOKEN_PRIVATE_KEY_FILE") or os.environ.get("ARFLOW_TOKEN_PRIVATE_KEY"):
        return {}
    private, public = ensure_signing_key(VAR / "keys")
    # Every service gets the public key; only people reads the private one.
    return {"ARFLOW_TOKEN_PRIVATE_KEY_FILE": str(private), "ARFLOW_TOKEN_PUBLIC_KEY_FILE": str(public)}


def console_secret_env() -> dict[str, str]:
    """The secret the console seals its session cookie with, made once under ./var/keys (unless configured)."""
    if os.environ.get("ARFLOW_CONSOLE_SECRET_FILE") or os.environ.get("ARFLOW_CONSOLE_SECRET"):
        return {}
    return {"ARFLOW_CONSOLE_SECRET_FILE": str(ensure_console_secret(VAR / "keys" / "console-secret"))}


def ensure_console_secret(path: Path) -> Path:
    """A random cookie secret at `path`, made once and kept (so sign-ins survive a restart)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path


def first_administrator(env: dict[str, str]) -> str | None:
    """`python -m people.bootstrap`: the first admin's one-time credentials when it made them, else None."""
    done = subprocess.run(
        [sys.executable, "-m", "people.bootstrap"], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() or None


def wait_ready(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _shutdown(*_: object) -> None:
    raise KeyboardInterrupt


def replica_port(spec: ServiceSpec, replica: int) -> int:
    """Replica 1 on the service's own port, replica 2 ten above it (8011 for invoicing), and so on."""
    return spec.port + 10 * (replica - 1)


def run(replicas: int = 1) -> int:
    # First of all: a SIGTERM during start-up must still stop what was started (Tansu runs in its own
    # session and outlived a supervisor killed by the default handler). A shell that starts us in the
    # background ignores SIGINT, and Python then installs no KeyboardInterrupt handler of its own.
    signal.signal(signal.SIGINT, _shutdown)
    signal.signal(signal.SIGTERM, _shutdown)
    started = time.monotonic()
    VAR.mkdir(exist_ok=True)
    children: list[Child] = []
    supervisor = Supervisor(children, run_dir=VAR / "run", say=say)
    mailbox = None
    try:
        supervisor.stop_orphans()
        server_url = os.environ.get("ARFLOW_DATABASE_URL")
        if server_url:
            say("using the external PostgreSQL from ARFLOW_DATABASE_URL")
        else:
            server_url = start_embedded_postgres(VAR / "postgres")
            say(f"embedded PostgreSQL ready: {server_url}")
        bootstrap = os.environ.get("ARFLOW_KAFKA_BOOTSTRAP")
        tansu_env: dict[str, str] = {}
        if bootstrap:
            say(f"using the external Kafka at {bootstrap}")
        else:
            broker = TansuBroker(int(os.environ.get("ARFLOW_KAFKA_PORT", "9092")), log_path=VAR / "tansu.log")
            # Supervised like a service: a broker that dies is started again, and the outbox relays
            # publish again what the new, empty broker never had.
            children.append(Child("tansu", lambda: _started(broker), stop_last=True))
            supervisor.start_all()
            bootstrap = broker.bootstrap
            say(f"Tansu broker listening on {bootstrap} (in memory; restarted if it dies)")
            # Tansu holds an empty fetch for the whole wait even when data arrives (Kafka answers at once):
            # 25 ms instead of 100 takes a hop from ~22 to ~5 ms for ~12% of a core while idle.
            tansu_env = {"ARFLOW_CONSUMER_FETCH_MAX_WAIT_MS": os.environ.get("ARFLOW_CONSUMER_FETCH_MAX_WAIT_MS", "25")}

        prefix = os.environ.get("ARFLOW_DATABASE_PREFIX", "arflow_")
        asyncio.run(prepare_databases(server_url, prefix))
        created = asyncio.run(prepare_topics(bootstrap))
        say(f"migrations applied; topics created: {', '.join(created) or 'none (all present)'}")
        key, keys_file = (None, None) if configured_keys() else dev_api_key()
        signing = token_signing_env()
        first_admin = first_administrator(
            {**os.environ, **signing, "ARFLOW_DATABASE_URL": server_url, "ARFLOW_DATABASE_PREFIX": prefix}
        )
        if not os.environ.get("ARFLOW_SMTP_HOST"):
            from arflow.devstack.mailbox import start_mailbox  # aiosmtpd is a development dependency

            smtp_port = int(os.environ.get("ARFLOW_SMTP_PORT", "1025"))
            mailbox = start_mailbox(VAR / "mail", smtp_port, say)
            say(f"development mail sink on 127.0.0.1:{smtp_port}: messages are saved in {VAR / 'mail'}")
        env = {
            "ARFLOW_DATABASE_URL": server_url,
            "ARFLOW_DATABASE_PREFIX": prefix,
            "ARFLOW_KAFKA_BOOTSTRAP": bootstrap,
            **({"ARFLOW_API_KEYS_FILE": str(keys_file)} if keys_file else {}),
            **signing,
            **console_secret_env(),
            **tansu_env,
            # Until the operator sets the creditor, documents show the demo creditor, marked DEMO.
            "ARFLOW_CREDITOR_DEMO": os.environ.get("ARFLOW_CREDITOR_DEMO", "true"),
            "PYTHONUNBUFFERED": "1",
        }
        ports = {}
        for spec in SERVICES:
            for replica in range(1, replicas + 1):
                name = spec.name if replicas == 1 else f"{spec.name}-{replica}"
                ports[name] = replica_port(spec, replica)
                children.append(
                    Child(name, _service_starter(spec, env, ports[name]), url=f"http://127.0.0.1:{ports[name]}")
                )
        supervisor.start_all()

        deadline = time.monotonic() + 60
        not_ready = [name for name, port in ports.items() if not wait_ready(port, deadline)]
        if not_ready:
            say(f"not ready after 60 s: {', '.join(not_ready)}")
        else:
            say(f"all {len(ports)} service processes ready in {time.monotonic() - started:.1f} s")
        for name, port in ports.items():
            page = "/" if name.startswith("console") else "/docs"  # the console is pages, not an API
            say(f"  {name:<18}http://127.0.0.1:{port}{page}")
        if key:
            say(f"development API key (also in {VAR / 'dev-api-key'}): {key}")
        else:
            say("API keys: the ones configured in ARFLOW_API_KEYS / ARFLOW_API_KEYS_FILE (no development key)")
        if first_admin:
            console = next((port for name, port in ports.items() if name.startswith("console")), None)
            where = f"the console, http://127.0.0.1:{console}/" if console else "POST http://127.0.0.1:8005/sessions"
            say(f"{first_admin} - sign in at {where} (shown this once)")
        if env["ARFLOW_CREDITOR_DEMO"] == "true":
            say(
                "documents and emails show a DEMO creditor (payee account, name, USCC) until you set yours: "
                "PUT http://127.0.0.1:8001/creditor (services/invoicing/README.md, 'The creditor')"
            )
        say(f"a process that dies is started again; {VAR / 'run' / 'status.json'} says which run. Ctrl-C stops all.")
        while True:
            supervisor.tick()
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping…")
        return 0
    finally:
        supervisor.stop_all()
        if mailbox:
            mailbox.stop()
        say("stopped")


def _started(broker: TansuBroker) -> subprocess.Popen[bytes]:
    broker.start()
    assert broker.process is not None
    return broker.process


def _service_starter(spec: ServiceSpec, env: dict[str, str], port: int) -> Callable[[], subprocess.Popen[str]]:
    return lambda: spawn_service(spec, env, port=port)


def migrate() -> int:
    """Create databases and topics and apply migrations against external servers (deploy/)."""
    server_url = os.environ["ARFLOW_DATABASE_URL"]
    bootstrap = os.environ["ARFLOW_KAFKA_BOOTSTRAP"]
    prefix = os.environ.get("ARFLOW_DATABASE_PREFIX", "arflow_")
    asyncio.run(prepare_databases(server_url, prefix))
    created = asyncio.run(prepare_topics(bootstrap))
    say(f"migrations applied; topics created: {', '.join(created) or 'none (all present)'}")
    private = os.environ.get("ARFLOW_TOKEN_PRIVATE_KEY_FILE")
    if private:  # compose: the pair lives on a volume people and every service mount
        ensure_signing_key(Path(private).parent)
    console_secret = os.environ.get("ARFLOW_CONSOLE_SECRET_FILE")
    if console_secret:  # compose: beside them, read by the console
        ensure_console_secret(Path(console_secret))
    first_admin = first_administrator(dict(os.environ))
    if first_admin:
        say(f"{first_admin} (shown this once)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m arflow.devstack")
    parser.add_argument("command", choices=["run", "migrate", "status"])
    parser.add_argument(
        "--replicas",
        type=int,
        default=int(os.environ.get("ARFLOW_REPLICAS", "1")),
        help="processes per service (run only): consumer groups share the partitions, jobs take advisory locks",
    )
    args = parser.parse_args()
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    if args.command == "status":
        return print_status(VAR / "run")
    return run(args.replicas) if args.command == "run" else migrate()


if __name__ == "__main__":
    sys.exit(main())
