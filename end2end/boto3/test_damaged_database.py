"""A damaged SQLite file stops `userpool serve` at once, with the cause on one line
and a non-zero exit, rather than a pool that times out or answers 500s later."""

import sqlite3
import subprocess

from conftest import BINARY, free_port, pool_env, write_config


def serve(data_dir):
    """Runs `userpool serve` on `data_dir`'s SQLite file; returns its exit code and log."""
    config = write_config(data_dir, free_port())
    done = subprocess.run(
        [str(BINARY), "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        env=pool_env(sqlite=True),  # SQLite's file is the subject, whatever database the run has
        timeout=30,
    )
    return done.returncode, done.stderr


def test_a_file_that_is_not_sqlite_is_named_at_start_up(tmp_path):
    database = tmp_path / "userpool.sqlite3"
    database.write_bytes(b"not a database, though it has the name " * 200)
    status, log = serve(tmp_path)
    assert status != 0
    assert f"the database file {database} is not a SQLite database" in log, log
    assert "timed out" not in log, log


def test_damaged_pages_fail_the_integrity_check_at_start_up(tmp_path):
    database = tmp_path / "userpool.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.executemany("INSERT INTO notes VALUES (?)", [("x" * 200,)] * 2000)
    data = bytearray(database.read_bytes())
    data[10 * 4096 : 20 * 4096] = b"\xab" * (10 * 4096)
    database.write_bytes(bytes(data))

    status, log = serve(tmp_path)
    assert status != 0
    assert f"the database file {database} is damaged: integrity check failed:" in log, log
