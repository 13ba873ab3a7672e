"""SIGTERM stops the pool gracefully: sign-ins already in flight get their
answers, then the process exits 0 and takes no new connections."""

import signal
import socket
import tempfile
import threading
import time

from botocore.config import Config

from conftest import PASSWORD, POOL_ID, PUBLIC_CLIENT, client_for, free_port, start_pool

SIGN_INS = 16


def test_sigterm_lets_sign_ins_in_flight_finish():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_pool(data_dir, port)
        try:
            client = client_for(
                url,
                Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=SIGN_INS),
            )
            email = f"shutdown-{time.time_ns()}@example.com"
            client.admin_create_user(UserPoolId=POOL_ID, Username=email, MessageAction="SUPPRESS")
            client.admin_set_user_password(
                UserPoolId=POOL_ID, Username=email, Password=PASSWORD, Permanent=True
            )

            # Each sign-in costs an Argon2 verification, one per core at a time:
            # sixteen of them keep the pool busy well past the signal.
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

            threads = [threading.Thread(target=sign_in) for _ in range(SIGN_INS)]
            for thread in threads:
                thread.start()
            time.sleep(0.05)
            signalled_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            for thread in threads:
                thread.join(timeout=60)

            assert [ok for _, ok in answers] == [True] * SIGN_INS, answers
            assert any(at > signalled_at for at, _ in answers), "no sign-in was still in flight"
            assert process.wait(timeout=30) == 0
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", port)) != 0, "still accepting connections"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
