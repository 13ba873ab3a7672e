"""A confirmed sign-up survives a crash: the pool is killed with SIGKILL while
sign-ups and confirmations stream in, restarted on the same data, and every
change it acknowledged is there, in a database that passes an integrity check."""

import signal
import sqlite3
import tempfile
import threading
import time

from botocore.config import Config

from conftest import PASSWORD, POOL_ID, PUBLIC_CLIENT, client_for, free_port, start_pool


def test_acknowledged_sign_ups_survive_sigkill():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_pool(data_dir, port)
        # One attempt per call: an answer is an acknowledgement, anything else is not.
        client = client_for(url, Config(retries={"max_attempts": 1, "mode": "standard"}))
        signed_up, confirmed = [], []
        stop = threading.Event()

        def stream():
            for i in range(10_000):
                if stop.is_set():
                    return
                email = f"crash{i}-{time.time_ns()}@example.com"
                try:
                    client.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD)
                    signed_up.append(email)
                    client.admin_confirm_sign_up(UserPoolId=POOL_ID, Username=email)
                    confirmed.append(email)
                except Exception:
                    return  # the pool is gone

        writer = threading.Thread(target=stream)
        writer.start()
        deadline = time.monotonic() + 60
        while len(confirmed) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        writer.join(timeout=30)
        assert len(confirmed) >= 40, "too few sign-ups before the deadline"

        process = start_pool(data_dir, port)
        try:
            client = client_for(url)
            for email in signed_up:
                user = client.admin_get_user(UserPoolId=POOL_ID, Username=email)
                if email in confirmed:
                    assert user["UserStatus"] == "CONFIRMED", email
        finally:
            process.terminate()
            process.wait(timeout=10)

        db = sqlite3.connect(f"{data_dir}/userpool.sqlite3")
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.close()
        print(f"{len(signed_up)} sign-ups and {len(confirmed)} confirmations acknowledged, all kept")
