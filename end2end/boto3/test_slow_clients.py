"""A client that never finishes its headers is disconnected, by the standalone
pool and by both listeners of the app's server (the app and its embedded pool),
rather than holding a connection (and a file descriptor) for as long as it likes."""

import socket
import tempfile

from conftest import free_port, start_pool, start_server

# The servers allow 10 s for a request's headers; this bound only catches a server that never closes.
EVENTUALLY = 60


def half_a_request_line(port):
    probe = socket.create_connection(("127.0.0.1", port))
    probe.sendall(b"GET / HT")
    probe.settimeout(EVENTUALLY)
    return probe


def closed_without_an_answer(probe):
    try:
        return probe.recv(1024) == b""
    except ConnectionResetError:
        return True
    finally:
        probe.close()


def test_every_listener_drops_a_client_that_never_finishes_its_headers():
    pool_port, app_port, embedded_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as pool_dir, tempfile.TemporaryDirectory() as server_dir:
        processes = [start_pool(pool_dir, pool_port), start_server(server_dir, app_port, embedded_port)]
        try:
            # All at once: each waits out the same timeout.
            probes = {port: half_a_request_line(port) for port in (pool_port, app_port, embedded_port)}
            for port, probe in probes.items():
                assert closed_without_an_answer(probe), f"port {port} answered a half request line"
        finally:
            for process in processes:
                process.kill()
                process.wait(timeout=10)
