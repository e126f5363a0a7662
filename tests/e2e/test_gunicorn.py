"""The production server as the README starts it (gunicorn with ./gunicorn.conf.py): each
worker listens on a socket of its own, so the kernel spreads connections over them, and a port
something already listens on is refused rather than shared."""

from __future__ import annotations

import socket
import subprocess
import time

from kb.migrate import upgrade
from tests.e2e.fleet import START_WITHIN, Fleet, free_port


def listening(port: int) -> int:
    """The IPv4 TCP sockets of this machine listening on `port`."""
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def test_each_worker_listens_on_a_socket_of_its_own(tmp_path):
    database = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    upgrade(database)  # as the README's production set-up does before starting gunicorn
    fleet = Fleet(tmp_path, {"KB_DATABASE_URL": database})
    try:
        host = fleet.host("host", workers=2, preload=True)
        port = int(host.url.rsplit(":", 1)[1])
        deadline = time.monotonic() + START_WITHIN
        while listening(port) < 2 and time.monotonic() < deadline:
            assert host.process.poll() is None, fleet.logs()
            time.sleep(0.05)
        assert listening(port) == 2, fleet.logs()  # one per worker, none in the master
        fleet.wait_healthy([host], 0)  # and they serve
    finally:
        fleet.close()


def test_a_port_in_use_is_refused_not_shared(tmp_path):
    port = free_port()
    # another server listens there with SO_REUSEPORT, as a second gunicorn of the same user
    # would: without the check the workers' sockets would join it and share its connections
    with socket.create_server(("127.0.0.1", port), reuse_port=True):
        started = subprocess.run(
            Fleet.gunicorn_args(port),
            env={**Fleet(tmp_path, {}).env, "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert started.returncode != 0
    assert "Address already in use" in started.stderr, started.stderr
