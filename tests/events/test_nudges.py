"""Nudges on SQLite (kb.events.log.nudges): a commit with news reaches every other process
listening on the same database file, never this process's own sockets, and what a process
that died left behind is cleared."""

from __future__ import annotations

import socket
import threading

import pytest

from kb.events.log.nudges import Nudges, folder_of


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "kb.sqlite3"
    yield path
    for leftover in folder_of(path).glob("*"):  # the raw sockets a test bound itself
        leftover.unlink()
    if folder_of(path).exists():
        folder_of(path).rmdir()


def nudge(database, pid: str) -> None:
    """What a commit with news does in the process `pid`."""
    Nudges(database, me=lambda: pid).send()


def raw_socket(database, name: str) -> socket.socket:
    """A socket in the folder that nobody reads: what was sent to it stays queued."""
    folder_of(database).mkdir(mode=0o700, exist_ok=True)
    inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    inbox.bind(str(folder_of(database) / name))
    inbox.setblocking(False)
    return inbox


def test_a_nudge_wakes_the_other_processes_listening(database):
    woken = threading.Event()
    listener = Nudges(database, me=lambda: "200")
    listener.add(woken.set)
    try:
        assert listener.listening.wait(30)
        assert woken.wait(30)  # the first wake-up: what came before it listened
        woken.clear()
        nudge(database, "100")
        assert woken.wait(30)
    finally:
        listener.stop()
    assert not folder_of(database).exists()  # the last listener removes the folder


def test_a_process_does_not_nudge_its_own_sockets(database):
    own, other = raw_socket(database, "100.7"), raw_socket(database, "300.1")
    with own, other:
        nudge(database, "100")
        assert other.recv(8) == b"!"  # delivered when send() returned: no waiting
        with pytest.raises(BlockingIOError):
            own.recv(8)


def test_the_socket_of_a_process_that_died_is_removed(database):
    raw_socket(database, "400.1").close()  # its file stays, nobody reads it
    nudge(database, "100")
    assert not (folder_of(database) / "400.1").exists()


def test_other_databases_are_not_nudged(database, tmp_path):
    elsewhere = raw_socket(tmp_path / "other.sqlite3", "300.1")
    try:
        with elsewhere:
            nudge(database, "100")
            with pytest.raises(BlockingIOError):
                elsewhere.recv(8)
    finally:
        (folder_of(tmp_path / "other.sqlite3") / "300.1").unlink()
        folder_of(tmp_path / "other.sqlite3").rmdir()
