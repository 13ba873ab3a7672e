"""A full disk under the SQLite database, as an operator meets it: while it lasts,
writes fail with InternalErrorException and /healthz answers 503; once space is
freed, writes work again at once, without a restart.

The pool runs in a mount namespace of its own with its data directory on a 4 MiB
tmpfs (`unshare`; root, or unprivileged user namespaces, can do this), which the
test fills and empties through /proc/<pid>/root."""

import errno
import json
import os
import pathlib
import time
import urllib.error
import urllib.request

from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PASSWORD, POOL_ID, PUBLIC_CLIENT, client_for, free_port, pool_env, serve, write_config

DISK = "4m"


def start_pool_on_small_disk(tmp_path, port):
    disk = tmp_path / "disk"
    disk.mkdir()
    config = write_config(disk, port, config_dir=tmp_path)
    as_root = [] if os.getuid() == 0 else ["--map-root-user"]
    mount_then_serve = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'
    wrapper = ["unshare", "--mount", "--propagation", "private", *as_root, "sh", "-c", mount_then_serve, "sh",
               DISK, str(disk)]
    # SQLite's disk is the subject, whatever database the run has.
    process = serve(config, port, tmp_path / "userpool.log", wrapper, pool_env(sqlite=True))
    # The same process all along (unshare and sh exec), so its root shows its mounts.
    return process, pathlib.Path(f"/proc/{process.pid}/root{disk}")


def fill(directory):
    """Writes a file in `directory` until the filesystem has no block left; returns it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
    finally:
        os.close(fd)
    return filler


def health(url):
    """`/healthz`'s status and body, once the last probe's answer has expired."""
    time.sleep(1.1)
    try:
        with urllib.request.urlopen(f"{url}/healthz") as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_writes_resume_as_soon_as_a_full_disk_has_room_again(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, disk = start_pool_on_small_disk(tmp_path, port)
    cognito = client_for(url, Config(retries={"max_attempts": 1, "mode": "standard"}))
    try:
        email = f"full-disk-{time.time_ns()}@example.com"
        cognito.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=POOL_ID, Username=email, Password=PASSWORD, Permanent=True)

        def sign_up(n):
            try:
                cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=f"new{n}-{time.time_ns()}@example.com", Password=PASSWORD)
                return "OK"
            except ClientError as error:
                return error.response["Error"]["Code"]

        def sign_in():
            try:
                cognito.initiate_auth(
                    ClientId=PUBLIC_CLIENT,
                    AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
                )
                return "OK"
            except ClientError as error:
                return error.response["Error"]["Code"]

        filler = fill(disk)
        assert [sign_up(n) for n in range(3)] == ["InternalErrorException"] * 3
        assert health(url) == (503, {"status": "unavailable", "database": "disk full"})

        filler.unlink()
        freed_at = time.monotonic()
        while (answer := sign_up(99)) != "OK" and time.monotonic() - freed_at < 10:
            time.sleep(0.05)
        resumed_after = time.monotonic() - freed_at
        print(f"first successful write {resumed_after:.2f} s after the disk was freed")
        assert answer == "OK", answer

        assert [sign_up(n) for n in range(5)] == ["OK"] * 5
        assert [sign_in() for _ in range(5)] == ["OK"] * 5
        assert health(url) == (200, {"status": "ok"})
        assert process.poll() is None, "the pool restarted or stopped"
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = (tmp_path / "userpool.log").read_text()
    assert "database or disk is full (the disk holding the database is full; writes resume once space is freed)" in log
