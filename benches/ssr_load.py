#!/usr/bin/env python3
"""The release server under load, and its footprint (`make bench` runs it after
`make release`):

- start-up: from spawning `target/release/server` on an existing database to
  its first served page (target: at most 200 ms), median of 5 starts;
- throughput: wrk on 127.0.0.1 against the home page, signed out and then with
  a valid session cookie (the page then greets the user); the signed-in rate
  must be at least 0.8x the signed-out one, with 0 errors; p99 is reported;
- memory: the server's peak resident set after the load (target: at most 64 MB);
- static assets: the page's stylesheet fetched 1,000 times over one keep-alive
  connection (target: at least 1,000 requests/s, none slower than 5 ms), and the
  server's threads after 64 connections fetched it for a few seconds (target: at
  most 32; the blocking pool is bounded).

Each figure is printed on a line with its target, which `make bench` collects
into target/bench-report.md."""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import pathlib
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
SERVER = ROOT / "target" / "release" / "server"
CLIENT = "1ocal4pp5c1ient0leptos0cog"
POOL_ID = "us-east-1_LocalPool"
# The demo user a development pool seeds (see README).
EMAIL, PASSWORD = "user@example.com", "user password"
DURATION = os.environ.get("LOAD_SECONDS", "10")
CONNECTIONS = os.environ.get("LOAD_CONNECTIONS", "16")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(data_dir, app_port, pool_port):
    """A pool configuration on free ports, and the server's environment."""
    config = (ROOT / "userpool.toml").read_text()
    config = config.replace("127.0.0.1:3000", f"127.0.0.1:{app_port}")
    config = config.replace("127.0.0.1:9229", f"127.0.0.1:{pool_port}")
    path = data_dir / "userpool.toml"
    path.write_text(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("USERPOOL_") and k != "DATABASE_URL"}
    env.update(
        LEPTOS_SITE_ROOT=str(ROOT / "target" / "site"),
        LEPTOS_SITE_ADDR=f"127.0.0.1:{app_port}",
        APP_URL=f"http://127.0.0.1:{app_port}",
        USERPOOL_CONFIG=str(path),
        USERPOOL_DATA_DIR=str(data_dir / "pool"),
        RUST_LOG="warn",
    )
    return env


def start(env, url, log):
    """Starts the server; returns it and the seconds until it served `url`."""
    started = time.perf_counter()
    process = subprocess.Popen([str(SERVER)], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = started + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return process, time.perf_counter() - started
        except OSError:
            pass
        if process.poll() is not None or time.perf_counter() > deadline:
            process.kill()
            sys.exit("the server did not start; see its log")
        time.sleep(0.002)


def stop(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def sigv4_headers(url, target, body):
    """The headers of a JSON API call signed (AWS Signature Version 4) with the admin key
    pair of userpool.toml. Written out with the standard library, as this script runs
    without the AWS SDK; the pool checks it with the SDK's signer (aws-sigv4)."""
    credential = tomllib.loads((ROOT / "userpool.toml").read_text())["admin_credentials"][0]
    key_id, secret = credential["access_key_id"], credential["secret_access_key"]
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": urllib.parse.urlsplit(url).netloc,
        "x-amz-date": amz_date,
        "x-amz-target": target,
    }
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        ["POST", "/", ""]
        + [f"{name}:{headers[name]}" for name in sorted(headers)]
        + ["", signed, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{day}/{POOL_ID.split('_')[0]}/cognito-idp/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
    return headers


def session_cookie(pool_url):
    """Tokens of the app client for the demo user (AdminInitiateAuth, which needs
    the pool's admin keys), as the app's cookies."""
    body = json.dumps(
        {
            "UserPoolId": POOL_ID,
            "ClientId": CLIENT,
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": EMAIL, "PASSWORD": PASSWORD},
        }
    ).encode()
    request = urllib.request.Request(
        pool_url + "/",
        data=body,
        headers=sigv4_headers(pool_url + "/", "AWSCognitoIdentityProviderService.AdminInitiateAuth", body),
    )
    with urllib.request.urlopen(request) as reply:
        tokens = json.load(reply)["AuthenticationResult"]
    return "; ".join(
        f"{name}={tokens[key]}"
        for name, key in [("id_token", "IdToken"), ("access_token", "AccessToken"), ("refresh_token", "RefreshToken")]
    )


def wrk(url, cookie=None):
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = float(p99.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout):? (\d+)", out))
    return rps, p99_ms, errors


def keep_alive(port, path, count=1000):
    """`path` fetched `count` times over one keep-alive connection: requests/s and the slowest, in ms."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    slowest = 0.0
    started = time.perf_counter()
    for _ in range(count):
        sent = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, f"{path}: {response.status}"
        slowest = max(slowest, time.perf_counter() - sent)
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed, slowest * 1e3


def threads(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"Threads:\s+(\d+)", status).group(1))


def peak_rss_mb(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def main():
    if not SERVER.exists():
        sys.exit(f"{SERVER} is missing: run `make release` first")
    app_port, pool_port = free_port(), free_port()
    home = f"http://127.0.0.1:{app_port}/"
    with tempfile.TemporaryDirectory(dir=ROOT / "target") as tmp:
        data_dir = pathlib.Path(tmp)
        env = setup(data_dir, app_port, pool_port)
        with open(data_dir / "server.log", "ab") as log:
            # The first start creates the database, the keys and the demo users.
            process, _ = start(env, home, log)
            stop(process)
            startups = []
            for _ in range(5):
                process, seconds = start(env, home, log)
                startups.append(seconds * 1e3)
                stop(process)

            process, _ = start(env, home, log)
            try:
                cookie = session_cookie(f"http://127.0.0.1:{pool_port}")
                greeted = urllib.request.urlopen(urllib.request.Request(home, headers={"Cookie": cookie})).read()
                assert f"Hello {EMAIL}".encode() in greeted, "the session cookie is not accepted"
                out_rps, out_p99, out_errors = wrk(home)
                in_rps, in_p99, in_errors = wrk(home, cookie)
                rss = peak_rss_mb(process.pid)
                stylesheet = re.search(rb'href="(/pkg/[^"]+\.css)"', greeted).group(1).decode()
                asset_rps, asset_slowest = keep_alive(app_port, stylesheet)
                subprocess.run(
                    ["wrk", "-t2", "-c64", "-d3s", f"http://127.0.0.1:{app_port}{stylesheet}"],
                    check=True,
                    capture_output=True,
                )
                asset_threads = threads(process.pid)
            finally:
                stop(process)

    print(
        f"SSR throughput: signed in {in_rps:.0f} req/s (p99 {in_p99:.1f} ms, {in_errors} errors), "
        f"signed out {out_rps:.0f} req/s (p99 {out_p99:.1f} ms, {out_errors} errors), "
        f"ratio {in_rps / out_rps:.2f} (target ≥ 0.8, 0 errors)"
    )
    print(f"server memory: peak RSS {rss:.1f} MB under load (target ≤ 64 MB)")
    print(
        f"keep-alive stylesheet: {asset_rps:.0f} requests/s on one connection, slowest {asset_slowest:.1f} ms "
        f"(target ≥ 1000 requests/s, none over 5 ms)"
    )
    print(f"server threads: {asset_threads} after 64 connections on the stylesheet (target ≤ 32)")
    print(
        f"server start-up: {statistics.median(startups):.0f} ms to the first page, median of 5 "
        f"(max {max(startups):.0f} ms) (target ≤ 200 ms)"
    )


if __name__ == "__main__":
    main()
