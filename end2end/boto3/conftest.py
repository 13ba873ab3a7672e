"""Starts the standalone user pool (`target/debug/userpool serve`) on a free
loopback port with its own data directory and a configuration that adds a
confidential client, and hands boto3 clients pointed at it to the tests."""

import json
import os
import pathlib
import re
import socket
import subprocess
import tempfile
import time
import tomllib
import urllib.parse
import urllib.request

import boto3
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "userpool"
POOL_ID = "us-east-1_LocalPool"
PUBLIC_CLIENT = "5cr1pt5c1ient0leptos0cog"
SECRET_CLIENT = "c0nf1dent1alc1ient"
SECRET = "a-confidential-client-secret-for-tests"
PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(data_dir, port):
    """The shipped configuration on `port` with its data in `data_dir`, plus a confidential client."""
    config = (ROOT / "userpool.toml").read_text()
    config = config.replace('listen = "127.0.0.1:9229"', f'listen = "127.0.0.1:{port}"')
    config = config.replace('public_url = "http://127.0.0.1:9229"', f'public_url = "http://127.0.0.1:{port}"')
    config = config.replace('data_dir = "data"', f'data_dir = "{data_dir}"')
    config += f"""
[[clients]]
name = "backend"
id = "{SECRET_CLIENT}"
secret = "{SECRET}"
auth_flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
allowed_scopes = ["openid"]
"""
    path = pathlib.Path(data_dir) / "userpool.toml"
    path.write_text(config)
    return path


def pool_env():
    """Its own configuration only: other USERPOOL_* variables and DATABASE_URL would override it.
    The data goes to SQLite, or to USERPOOL_TEST_DATABASE_URL's PostgreSQL when that is set
    (`make test` runs the JSON API suite on both)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("USERPOOL_") and k != "DATABASE_URL"}
    env.update({"USERPOOL_DEV_OUTBOX": "true", "NO_COLOR": "1"})
    if "USERPOOL_TEST_DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["USERPOOL_TEST_DATABASE_URL"]
    return env


def start_pool(data_dir, port):
    """Starts `userpool serve` and waits until it answers; returns the process."""
    config_path = write_config(data_dir, port)
    log = open(pathlib.Path(data_dir) / "userpool.log", "a")
    process = subprocess.Popen(
        [str(BINARY), "serve", "--config", str(config_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=pool_env(),
    )
    log.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the user pool did not start; see its log")
            time.sleep(0.1)


def admin_credential():
    """The admin key pair of the shipped configuration (the public local development pair)."""
    first = tomllib.loads((ROOT / "userpool.toml").read_text())["admin_credentials"][0]
    return first["access_key_id"], first["secret_access_key"]


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


@pytest.fixture(scope="session")
def pool_url():
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_pool(data_dir, port)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
            print((pathlib.Path(data_dir) / "userpool.log").read_text()[-4000:])


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
