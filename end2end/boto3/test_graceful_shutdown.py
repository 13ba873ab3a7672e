"""SIGTERM stops the pool gracefully: sign-ins already in flight get their
answers, then the process exits 0 and takes no new connections."""

import tempfile

from conftest import free_port, sign_ins_survive_sigterm, start_pool


def test_sigterm_lets_sign_ins_in_flight_finish():
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_pool(data_dir, port)
        try:
            sign_ins_survive_sigterm(process, f"http://127.0.0.1:{port}", 16, [port])
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
