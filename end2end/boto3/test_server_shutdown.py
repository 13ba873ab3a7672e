"""SIGTERM stops the app's server (`target/debug/server`, built by `cargo leptos
build`) gracefully, its embedded pool included: JSON API sign-ins already in
flight at the pool get their answers, then both listeners are closed and the
process exits 0. (test_graceful_shutdown.py is the standalone pool's version.)"""

import tempfile

from conftest import free_port, sign_ins_survive_sigterm, start_server


def test_sigterm_drains_the_embedded_pool_and_the_app():
    app_port, pool_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_server(data_dir, app_port, pool_port)
        try:
            sign_ins_survive_sigterm(process, f"http://127.0.0.1:{pool_port}", 20, [app_port, pool_port])
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
