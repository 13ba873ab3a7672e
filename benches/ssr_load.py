#!/usr/bin/env python3
"""The release server under load beside its peers, and its footprint (`make bench`
runs it after `make release`):

- start-up: from spawning `target/release/server` on an existing database to
  its first served page (target: at most 200 ms), median of 5 starts;
- sign-ins: 200 (AdminInitiateAuth, 8 at a time), each an Argon2id check;
- throughput beside two peers, with wrk on 127.0.0.1 in interleaved rounds: the
  home page signed out and signed in (the page then greets the user), against
  a Node peer (benches/node_peer: node:http, aws-jwt-verify, React
  renderToString, one process per core) and a bare axum server sending the
  product's own page bytes (benches/axum_peer/server.rs). Targets: signed in at least
  3x the Node peer, signed out at least 1x, both at least 0.3x the axum server;
  the signed-in rate at least 0.8x the signed-out one; 0 errors. CPU time per
  request (from /proc/PID/stat) is printed beside the rates;
- memory: the server's resident set after the sign-ins and the load (target: at
  most 64 MB);
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
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
# BENCH_SERVER: another build of the server to measure (an A/B), with its hash.txt beside it.
SERVER = pathlib.Path(os.environ.get("BENCH_SERVER", ROOT / "target" / "release" / "server"))
AXUM_PEER = ROOT / "target" / "release" / "examples" / "axum_peer"
NODE_PEER = ROOT / "benches" / "node_peer" / "server.mjs"
CLIENT = "1ocal4pp5c1ient0leptos0cog"
POOL_ID = "us-east-1_LocalPool"
# The demo user a development pool seeds (see README).
EMAIL, PASSWORD = "user@example.com", "user password"
DURATION = os.environ.get("LOAD_SECONDS", "10")
CONNECTIONS = os.environ.get("LOAD_CONNECTIONS", "64")
ROUNDS = int(os.environ.get("LOAD_ROUNDS", "3"))
SIGN_INS = 200
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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
    the pool's admin keys), as the app's cookies: one sign-in."""
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


def cpu_seconds(pids):
    """User and system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def wrk(url, pids, cookie=None):
    """Requests/s, p99 in ms, errors, and CPU µs per request of `pids`."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    cpu_before = cpu_seconds(pids)
    out = subprocess.run(command + [url], check=True, capture_output=True, text=True).stdout
    cpu = cpu_seconds(pids) - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = float(p99.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout):? (\d+)", out))
    return {"rps": rps, "p99": p99_ms, "errors": errors, "cpu_us": cpu / max(requests, 1) * 1e6}


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


def disconnect_storm(port, bursts=50, connections=64):
    """Requests for the home page dropped mid-render: each burst opens `connections`,
    sends them, and resets them all (SO_LINGER 0) after a moment. Returns whether the
    server still answers afterwards."""
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    try:
        for burst in range(bursts):
            sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
            for s in sockets:
                s.sendall(request)
            time.sleep((burst % 10) / 2000)
            for s in sockets:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False


def threads(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"Threads:\s+(\d+)", status).group(1))


def rss_mb(pid):
    """The resident set now and at its peak, in MB."""
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    now, peak = (int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024 for field in ("VmRSS", "VmHWM"))
    return now, peak


def wait_for(url, process):
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit(f"the peer at {url} did not start")


def start_node_peer(port, pool_url):
    """The Node peer, given the pool's JWKS and issuer; returns it and its processes."""
    discovery = json.load(urllib.request.urlopen(f"{pool_url}/{POOL_ID}/.well-known/openid-configuration"))
    jwks = urllib.request.urlopen(discovery["jwks_uri"]).read().decode()
    env = dict(os.environ, NODE_ENV="production", PEER_PORT=str(port), PEER_ISSUER=discovery["issuer"])
    env.update(PEER_CLIENT_ID=CLIENT, PEER_JWKS=jwks)
    process = subprocess.Popen(["node", str(NODE_PEER)], env=env)
    wait_for(f"http://127.0.0.1:{port}/", process)
    children = pathlib.Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return process, [process.pid, *map(int, children)]


def median(rounds, key):
    return statistics.median(r[key] for r in rounds)


def report(rounds):
    errors = sum(r["errors"] for r in rounds)
    return (
        f"{median(rounds, 'rps'):.0f} req/s, {median(rounds, 'cpu_us'):.0f} µs CPU/request, "
        f"p99 {median(rounds, 'p99'):.1f} ms, {errors} errors"
    )


def main():
    for needed, how in [(SERVER, "make release"), (AXUM_PEER, "make release"), (NODE_PEER.parent / "node_modules", "make bench")]:
        if not needed.exists():
            sys.exit(f"{needed} is missing: run `{how}` first")
    app_port, pool_port, node_port, axum_port = free_port(), free_port(), free_port(), free_port()
    home = f"http://127.0.0.1:{app_port}/"
    pool_url = f"http://127.0.0.1:{pool_port}"
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
            peers = []
            try:
                with ThreadPoolExecutor(8) as sign_ins:
                    cookie = list(sign_ins.map(lambda _: session_cookie(pool_url), range(SIGN_INS)))[-1]
                signed_in = urllib.request.urlopen(urllib.request.Request(home, headers={"Cookie": cookie})).read()
                assert f"Hello {EMAIL}".encode() in signed_in, "the session cookie is not accepted"
                signed_out = urllib.request.urlopen(home).read()
                (data_dir / "in.html").write_bytes(signed_in)
                (data_dir / "out.html").write_bytes(signed_out)

                node, node_pids = start_node_peer(node_port, pool_url)
                peers.append(node)
                axum = subprocess.Popen([str(AXUM_PEER), str(axum_port), data_dir / "in.html", data_dir / "out.html"])
                peers.append(axum)
                wait_for(f"http://127.0.0.1:{axum_port}/in", axum)
                node_page = urllib.request.urlopen(
                    urllib.request.Request(f"http://127.0.0.1:{node_port}/", headers={"Cookie": cookie})
                ).read()
                assert f"Hello {EMAIL}".encode() in node_page, "the Node peer does not accept the session"

                runs = {
                    ("product", "in"): (home, [process.pid], cookie),
                    ("node", "in"): (f"http://127.0.0.1:{node_port}/", node_pids, cookie),
                    ("axum", "in"): (f"http://127.0.0.1:{axum_port}/in", [axum.pid], None),
                    ("product", "out"): (home, [process.pid], None),
                    # A cookie the app does not read: the same signed-out page, rendered
                    # each time instead of answered from the kept copy (`anonymous_page`).
                    ("product", "rendered"): (home, [process.pid], "theme=dark"),
                    ("node", "out"): (f"http://127.0.0.1:{node_port}/", node_pids, None),
                    ("axum", "out"): (f"http://127.0.0.1:{axum_port}/out", [axum.pid], None),
                }
                # Interleaved, so that a slower stretch of the machine falls on all of them alike.
                results = {run: [] for run in runs}
                for _ in range(ROUNDS):
                    for run, (url, pids, with_cookie) in runs.items():
                        results[run].append(wrk(url, pids, with_cookie))
                rss_now, rss_peak = rss_mb(process.pid)

                stylesheet = re.search(rb'href="(/pkg/[^"]+\.css)"', signed_in).group(1).decode()
                asset_rps, asset_slowest = keep_alive(app_port, stylesheet)
                subprocess.run(
                    ["wrk", "-t2", "-c64", "-d3s", f"http://127.0.0.1:{app_port}{stylesheet}"],
                    check=True,
                    capture_output=True,
                )
                asset_threads = threads(process.pid)
                survived = disconnect_storm(app_port) and process.poll() is None
            finally:
                stop(process)
                for peer in peers:
                    peer.terminate()
                    peer.wait(timeout=30)

    rate = {run: median(rounds, "rps") for run, rounds in results.items()}
    errors = sum(r["errors"] for rounds in results.values() for r in rounds)
    setting = f"wrk -t2 -c{CONNECTIONS}, {ROUNDS} interleaved rounds of {DURATION} s, medians"
    for page, words in [("in", "signed in"), ("out", "signed out")]:
        print(
            f"SSR {words}: product {report(results[('product', page)])}; "
            f"Node peer {report(results[('node', page)])}; "
            f"axum serving the same bytes {report(results[('axum', page)])} ({setting})"
        )
    print(
        f"SSR signed out, rendered each time (a cookie the app does not read): product "
        f"{report(results[('product', 'rendered')])}; "
        f"{rate[('product', 'rendered')] / rate[('node', 'out')]:.2f}x the Node peer, "
        f"{rate[('product', 'rendered')] / rate[('axum', 'out')]:.2f}x bare axum ({setting}; "
        f"no target: the render itself)"
    )
    print(
        f"SSR vs Node peer: signed in {rate[('product', 'in')] / rate[('node', 'in')]:.2f}x "
        f"({rate[('product', 'in')]:.0f} / {rate[('node', 'in')]:.0f} req/s), "
        f"signed out {rate[('product', 'out')] / rate[('node', 'out')]:.2f}x "
        f"({rate[('product', 'out')]:.0f} / {rate[('node', 'out')]:.0f} req/s) "
        f"(target ≥ 3 signed in, ≥ 1 signed out)"
    )
    print(
        f"SSR vs bare axum: signed in {rate[('product', 'in')] / rate[('axum', 'in')]:.2f}x "
        f"({rate[('product', 'in')]:.0f} / {rate[('axum', 'in')]:.0f} req/s), "
        f"signed out {rate[('product', 'out')] / rate[('axum', 'out')]:.2f}x "
        f"({rate[('product', 'out')]:.0f} / {rate[('axum', 'out')]:.0f} req/s) (target ≥ 0.3 each)"
    )
    print(
        f"SSR signed in vs signed out, both rendered: "
        f"{rate[('product', 'in')] / rate[('product', 'rendered')]:.2f}x, "
        f"{errors} errors in all (target ≥ 0.8, 0 errors)"
    )
    print(
        f"server memory: {rss_now:.1f} MB resident after {SIGN_INS} sign-ins and "
        f"{ROUNDS * sum(who == 'product' for who, _ in runs) * int(DURATION)} s of SSR load, peak {rss_peak:.1f} MB (target ≤ 64 MB)"
    )
    print(
        f"keep-alive stylesheet: {asset_rps:.0f} requests/s on one connection, slowest {asset_slowest:.1f} ms "
        f"(target ≥ 1000 requests/s, none over 5 ms)"
    )
    print(f"server threads: {asset_threads} after 64 connections on the stylesheet (target ≤ 32)")
    print(
        f"abrupt disconnects: the server {'still answers' if survived else 'DIED'} after 50 bursts of "
        f"64 requests reset mid-render (target: still answers)"
    )
    print(
        f"server start-up: {statistics.median(startups):.0f} ms to the first page, median of 5 "
        f"(max {max(startups):.0f} ms) (target ≤ 200 ms)"
    )


if __name__ == "__main__":
    main()
