"""Two `userpool serve` replicas on one database behave as one pool, as they do
behind a load balancer: an authorization code redeemed on one is spent on the
other, a sign-up race across both creates one account, and a key rotation is
picked up by both. `make test` runs this on a throwaway PostgreSQL
(end2end/with-postgres); on its own it shares one SQLite file."""

import base64
import hashlib
import html
import http.cookiejar
import json
import re
import secrets
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (
    BINARY,
    PASSWORD,
    POOL_ID,
    PUBLIC_CLIENT,
    client_for,
    free_port,
    pool_env,
    serve,
    write_config,
)

APP_CLIENT = "1ocal4pp5c1ient0leptos0cog"
CALLBACK = "http://127.0.0.1:3000/callback"
SIGN_UPS = 50


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Two replicas sharing one database and one public URL (the first one's, standing in
    for the load balancer's); yields their URLs and the first one's configuration."""
    data_dir = tmp_path_factory.mktemp("replicas")
    ports = [free_port(), free_port()]
    public_url = f"http://127.0.0.1:{ports[0]}"
    configs, processes = [], []
    try:
        for n, port in enumerate(ports):
            config_dir = data_dir / f"replica{n}"
            config_dir.mkdir()
            config = write_config(data_dir, port, config_dir=config_dir)
            config.write_text(config.read_text().replace(f"http://127.0.0.1:{port}", public_url))
            configs.append(config)
            processes.append(serve(config, port, config_dir / "userpool.log"))
        yield [f"http://127.0.0.1:{port}" for port in ports], configs[0]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def authorization_code(url, email):
    """Signs `email` in through `url`'s hosted UI as a browser would; returns the code
    the callback got, and the PKCE verifier it is bound to."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
    )
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": APP_CLIENT,
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "replicas",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page = follow(browser, f"{url}/oauth2/authorize?{query}")
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    form = {name: html.unescape(value) for name, value in form.items()}
    form.update({"username": email, "password": PASSWORD})
    request = urllib.request.Request(
        f"{url}/login", data=urllib.parse.urlencode(form).encode(), headers={"Origin": url}
    )
    try:
        browser.open(request)
        raise AssertionError("the sign-in did not redirect")
    except urllib.error.HTTPError as reply:
        location = reply.headers["Location"]
    assert location.startswith(CALLBACK), location
    return urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0], verifier


def follow(browser, url):
    """GETs `url`, following same-site redirects; returns the page."""
    while True:
        try:
            with browser.open(url) as reply:
                return reply.read().decode()
        except urllib.error.HTTPError as reply:
            if reply.code not in (302, 303):
                raise
            url = urllib.parse.urljoin(url, reply.headers["Location"])


def token_request(url, fields):
    """POSTs `fields` to `url`'s token endpoint; returns the status and the JSON answer."""
    request = urllib.request.Request(f"{url}/oauth2/token", data=urllib.parse.urlencode(fields).encode())
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as reply:
        return reply.code, json.load(reply)


def jwt_header(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))


def published_kids(url):
    with urllib.request.urlopen(f"{url}/{POOL_ID}/.well-known/jwks.json") as reply:
        return {key["kid"] for key in json.load(reply)["keys"]}


def confirmed_user(cognito):
    email = f"replicas-{time.time_ns()}@example.com"
    cognito.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=POOL_ID, Username=email, Password=PASSWORD, Permanent=True)
    return email


def test_a_code_redeemed_on_one_replica_is_spent_on_the_other(replicas):
    (first, second), _ = replicas
    email = confirmed_user(client_for(first))
    code, verifier = authorization_code(first, email)
    exchange = {
        "grant_type": "authorization_code",
        "client_id": APP_CLIENT,
        "redirect_uri": CALLBACK,
        "code": code,
        "code_verifier": verifier,
    }

    status, tokens = token_request(second, exchange)
    assert status == 200, tokens
    status, answer = token_request(first, exchange)
    assert (status, answer["error"]) == (400, "invalid_grant")

    # The replay revoked what the code gave (RFC 9700 §4.5), on the replica that issued it too.
    refresh = {"grant_type": "refresh_token", "client_id": APP_CLIENT, "refresh_token": tokens["refresh_token"]}
    status, answer = token_request(second, refresh)
    assert (status, answer["error"]) == (400, "invalid_grant")


def test_a_sign_up_race_across_replicas_creates_one_account(replicas):
    urls, _ = replicas
    config = Config(max_pool_connections=SIGN_UPS, retries={"max_attempts": 1, "mode": "standard"})
    clients = [client_for(url, config) for url in urls]
    email = f"race-{time.time_ns()}@example.com"
    start = threading.Barrier(SIGN_UPS)

    def sign_up(n):
        start.wait()
        try:
            clients[n % 2].sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=f"password number {n}")
            return "OK"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(SIGN_UPS) as threads:
        answers = sorted(threads.map(sign_up, range(SIGN_UPS)))
    print(f"{answers.count('OK')} of {SIGN_UPS} sign-ups across two replicas succeeded: {answers}")
    assert answers.count("OK") == 1, answers
    assert set(answers) <= {"OK", "UsernameExistsException", "TooManyRequestsException"}, answers
    for client in clients:
        assert client.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserStatus"] == "UNCONFIRMED"


def test_a_key_rotation_is_picked_up_by_both_replicas(replicas):
    (first, second), config = replicas
    before = published_kids(first)
    assert published_kids(second) == before

    rotated = subprocess.run(
        [str(BINARY), "keys", "rotate", "--config", str(config), "--publish-ahead", "0"],
        capture_output=True, text=True, env=pool_env(), check=True,
    )
    kid = rotated.stdout.strip()
    assert kid and kid not in before

    # Running pools reload their keys every 30 s.
    deadline = time.monotonic() + 45
    while not all(kid in published_kids(url) for url in (first, second)):
        assert time.monotonic() < deadline, "the new key was not published by both replicas"
        time.sleep(1)

    # The second replica signs with it, and the first accepts what it signed.
    cognito = client_for(second)
    tokens = cognito.initiate_auth(
        ClientId=PUBLIC_CLIENT,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": confirmed_user(cognito), "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    assert jwt_header(tokens["IdToken"])["kid"] == kid
    assert client_for(first).get_user(AccessToken=tokens["AccessToken"])["Username"]
