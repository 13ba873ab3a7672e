"""Starts the standalone user pool (`target/debug/userpool serve`) on a free
loopback port with its own data directory and a configuration that adds a
confidential client, and hands boto3 clients pointed at it to the tests."""

import contextlib
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "userpool"
# The app's server, built by `cargo leptos build` (make test builds it before this suite).
SERVER = ROOT / "target" / "debug" / "server"
POOL_ID = "us-east-1_LocalPool"
PUBLIC_CLIENT = "5cr1pt5c1ient0leptos0cog"
SECRET_CLIENT = "c0nf1dent1alc1ient"
SECRET = "a-confidential-client-secret-for-tests"
PASSWORD = "correct horse battery"
# The origin of the pages that register and use passkeys in test_passkeys.py.
PASSKEY_ORIGIN = "http://localhost:5173"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(data_dir, port, config_dir=None):
    """The shipped configuration on `port` with its data in `data_dir`, plus a confidential client;
    written to `config_dir` (by default `data_dir`)."""
    config = (ROOT / "userpool.toml").read_text()
    config = config.replace('listen = "127.0.0.1:9229"', f'listen = "127.0.0.1:{port}"')
    config = config.replace('public_url = "http://127.0.0.1:9229"', f'public_url = "http://127.0.0.1:{port}"')
    config = config.replace('data_dir = "data"', f'data_dir = "{data_dir}"')
    # Passkeys need a domain name: the pages of test_passkeys.py are "at" http://localhost:5173.
    config = config.replace(
        '# webauthn_relying_party_id = "localhost"',
        f'webauthn_relying_party_id = "localhost"\nallowed_origins = ["{PASSKEY_ORIGIN}"]',
    )
    config += f"""
[[clients]]
name = "backend"
id = "{SECRET_CLIENT}"
secret = "{SECRET}"
auth_flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
allowed_scopes = ["openid"]
"""
    path = pathlib.Path(config_dir or data_dir) / "userpool.toml"
    path.write_text(config)
    return path


def pool_env(sqlite=False):
    """Its own configuration only: other USERPOOL_* variables and DATABASE_URL would override it.
    The data goes to SQLite, or to USERPOOL_TEST_DATABASE_URL's PostgreSQL when that is set
    (`make test` runs the JSON API suite on both) unless `sqlite` (tests of SQLite's file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("USERPOOL_") and k != "DATABASE_URL"}
    env.update({"USERPOOL_DEV_OUTBOX": "true", "NO_COLOR": "1"})
    if "USERPOOL_TEST_DATABASE_URL" in os.environ and not sqlite:
        env["DATABASE_URL"] = os.environ["USERPOOL_TEST_DATABASE_URL"]
    return env


def serve(config_path, port, log_path, wrapper=(), env=None):
    """Runs `userpool serve` on `config_path`, logging to `log_path`, behind `wrapper` (a
    command that ends by exec'ing it), with `env` (by default `pool_env()`); returns the
    process once it answers on `port`."""
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [*wrapper, str(BINARY), "serve", "--config", str(config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env or pool_env(),
        )
    return wait_until_healthy(process, f"http://127.0.0.1:{port}", 30, f"the user pool did not start; see {log_path}")


def start_pool(data_dir, port, env=None):
    """Starts `userpool serve` on `data_dir` and waits until it answers; returns the process."""
    return serve(write_config(data_dir, port), port, pathlib.Path(data_dir) / "userpool.log", env=env)


def wait_until_healthy(process, url, seconds, failure):
    """Returns `process` once `url`/healthz answers; kills it and raises `failure` if it
    exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(failure)
            time.sleep(0.1)


def start_server(data_dir, app_port, pool_port, extra_config="", extra_env=None, own_database=False):
    """Starts the server with an embedded pool on `pool_port` whose app client calls back to
    the app on `app_port`, with `extra_config` added to the pool's configuration and
    `extra_env` to the environment; waits until the app is healthy (it has fetched the pool's keys).
    `own_database`: in SQLite of its own even where the run's pools share PostgreSQL, for a
    declared pool configured unlike theirs (which would change theirs too)."""
    assert os.access(SERVER, os.X_OK), f"{SERVER} is missing: run `cargo leptos build --split`"
    app_url = f"http://127.0.0.1:{app_port}"
    config_path = write_config(data_dir, pool_port)
    config = config_path.read_text()
    config = config.replace(
        'callback_urls = ["http://127.0.0.1:3000/callback"]', f'callback_urls = ["{app_url}/callback"]'
    )
    config = config.replace('logout_urls = ["http://127.0.0.1:3000/"]', f'logout_urls = ["{app_url}/"]')
    config_path.write_text(config + extra_config)
    env = {k: v for k, v in pool_env(sqlite=own_database).items() if not k.startswith(("COGNITO_", "AWS_"))}
    env.update(
        {
            "APP_URL": app_url,
            "USERPOOL_CONFIG": str(config_path),
            "LEPTOS_SITE_ROOT": "target/site",
            "LEPTOS_SITE_ADDR": f"127.0.0.1:{app_port}",
            **(extra_env or {}),
        }
    )
    log = open(pathlib.Path(data_dir) / "server.log", "a")
    process = subprocess.Popen([str(SERVER)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    return wait_until_healthy(process, app_url, 60, f"the server did not start; see {data_dir}/server.log")


def admin_credential():
    """The admin key pair of the shipped configuration (the public local development pair)."""
    first = tomllib.loads((ROOT / "userpool.toml").read_text())["admin_credentials"][0]
    return first["access_key_id"], first["secret_access_key"]


# The AWS CLI of the virtualenv (requirements.txt), beside its Python.
AWS_CLI = os.path.join(os.path.dirname(sys.executable), "aws")


def aws_cli(pool_url, *arguments, secret_access_key=None):
    """Runs `aws cognito-idp <arguments> --output json` against the pool, signed with the admin
    key pair (or its key id and `secret_access_key`), with no other AWS configuration."""
    access_key_id, secret = admin_credential()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_MAX_ATTEMPTS="1",
        AWS_ACCESS_KEY_ID=access_key_id,
        AWS_SECRET_ACCESS_KEY=secret_access_key or secret,
    )
    return subprocess.run(
        [AWS_CLI, "cognito-idp", *arguments, "--endpoint-url", pool_url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def client_for(url, config=None, credential=None):
    """A boto3 client as an app would make it: admin calls are SigV4-signed, with the
    pool's admin key pair unless `credential` names another (access key id, secret)."""
    access_key_id, secret_access_key = credential or admin_credential()
    return boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )


@contextlib.contextmanager
def running_pool(own_database=False):
    """A `userpool serve` of its own on a free port and a fresh data directory; yields its URL,
    and prints the end of its log when it stops. `own_database`: in SQLite of its own even where
    the run's pools share PostgreSQL, for another pool than theirs (an upstream provider)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_pool(data_dir, port, env=pool_env(sqlite=own_database))
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
            print((pathlib.Path(data_dir) / "userpool.log").read_text()[-4000:])


@pytest.fixture(scope="session")
def pool_url():
    with running_pool() as url:
        yield url


@pytest.fixture(scope="session")
def cognito(pool_url):
    return client_for(pool_url)


@pytest.fixture(scope="session")
def outbox(pool_url):
    def latest(email, pattern=r"\b(\d{6})\b"):
        query = urllib.parse.urlencode({"to": email})
        with urllib.request.urlopen(f"{pool_url}/_dev/outbox.json?{query}") as reply:
            mail = json.load(reply)
        for message in mail:
            found = re.search(pattern, message["body"])
            if found:
                return found.group(1)
        raise AssertionError(f"no mail matching {pattern} to {email}: {mail}")

    return latest


_counter = iter(range(1_000_000))


@pytest.fixture
def email():
    return f"user{next(_counter)}-{time.time_ns()}@example.com"


@pytest.fixture
def confirmed_user(cognito, outbox, email):
    """A user who signed up and confirmed with the mailed code."""
    cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD)
    cognito.confirm_sign_up(
        ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=outbox(email)
    )
    return email


def sign_ins_survive_sigterm(process, pool_url, sign_ins, ports):
    """Starts `sign_ins` JSON API sign-ins at `pool_url`, sends SIGTERM to `process` while
    they are in flight, and checks that every one got its tokens, that the process exited 0
    and that none of `ports` takes connections any more."""
    client = client_for(
        pool_url,
        Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=sign_ins),
    )
    email = f"shutdown-{time.time_ns()}@example.com"
    client.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="SUPPRESS")
    client.admin_set_user_password(UserPoolId=POOL_ID, Username=email, Password=PASSWORD, Permanent=True)

    # Each sign-in costs an Argon2 verification, one per core at a time: they keep
    # the pool busy well past the signal.
    answers = []

    def sign_in():
        try:
            reply = client.initiate_auth(
                ClientId=PUBLIC_CLIENT,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
            )
            answers.append((time.monotonic(), "IdToken" in reply["AuthenticationResult"]))
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            answers.append((time.monotonic(), error))

    threads = [threading.Thread(target=sign_in) for _ in range(sign_ins)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    signalled_at = time.monotonic()
    process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(timeout=60)

    assert [ok for _, ok in answers] == [True] * sign_ins, answers
    assert any(at > signalled_at for at, _ in answers), "no sign-in was still in flight"
    assert process.wait(timeout=30) == 0
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"{port} still accepts connections"


def unique_name(prefix="pool"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def delete_quietly(client, pool_id):
    """Deletes `pool_id` whatever its deletion protection; a pool already gone is fine."""
    try:
        client.delete_user_pool(UserPoolId=pool_id)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ResourceNotFoundException":
            return
        if code != "InvalidParameterException":
            raise
        # Deletion protection, or a domain (Cognito deletes no pool that has one).
        domain = client.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("Domain")
        if domain:
            client.delete_user_pool_domain(Domain=domain, UserPoolId=pool_id)
        client.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
        client.delete_user_pool(UserPoolId=pool_id)


@pytest.fixture
def new_pool(cognito):
    """Creates pools with CreateUserPool (a unique PoolName unless given) and deletes them
    after the test, as suites written for AWS do: `new_pool(**settings)` returns the UserPool."""
    created = []

    def create(**settings):
        settings.setdefault("PoolName", unique_name())
        pool = cognito.create_user_pool(**settings)["UserPool"]
        created.append(pool["Id"])
        return pool

    yield create
    for pool_id in created:
        delete_quietly(cognito, pool_id)
