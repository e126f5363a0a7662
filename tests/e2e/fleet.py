"""kb deployed as the README's "Production" says, on this machine: gunicorn hosts (each with
its own index folder) and `kb worker` processes on one PostgreSQL database, each a real
process group started here and killed when the fleet closes, whatever happened."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: how long a process may take to answer /healthz on a loaded 2-core machine
START_WITHIN = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    json: dict


def call(
    url: str,
    method: str = "GET",
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> Answer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {"text": raw.decode("utf-8", "replace")}
    return Answer(status, data)


@dataclass
class Host:
    name: str
    url: str
    index_dir: Path
    process: subprocess.Popen

    def api(self, method: str, path: str, token: str, payload: dict | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {token}"}
        body = None
        if payload is not None:
            body, headers["Content-Type"] = json.dumps(payload).encode(), "application/json"
        return call(self.url + path, method, body=body, headers=headers)

    def health(self) -> dict | None:
        try:
            answer = call(self.url + "/healthz", timeout=5)
        except OSError:  # not listening yet
            return None
        return answer.json if answer.status == 200 else None


class Fleet:
    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        # nothing from the caller's own KB_* settings leaks into the fleet
        base = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
        self.env = {**base, "PYTHONUNBUFFERED": "1", **env}  # logs readable while running
        self.processes: dict[str, subprocess.Popen] = {}

    @staticmethod
    def gunicorn_args(port: int, *, workers: int = 2) -> list[str]:
        """The README's production command, on 127.0.0.1:port."""
        return [
            str(BIN / "gunicorn"),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--chdir",
            str(ROOT),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "2",
        ]

    def host(self, name: str, *, workers: int = 2, preload: bool = False) -> Host:
        port = free_port()
        index_dir = self.workdir / f"index-{name}"
        args = self.gunicorn_args(port, workers=workers)
        if preload:
            args.append("--preload")
        env = {"KB_INDEX_DIR": str(index_dir), "KB_WORKER_THREAD": "false"}
        return Host(name, f"http://127.0.0.1:{port}", index_dir, self._start(name, args, env))

    def worker(self, name: str, index_dir: Path) -> subprocess.Popen:
        """`kb worker` sharing a host's index folder, as it would on that host."""
        args = [str(BIN / "kb"), "worker", "--lease", "2", "--interval", "0.1"]
        return self._start(name, args, {"KB_INDEX_DIR": str(index_dir)})

    def worker_name(self, name: str) -> str:
        """The name a `kb worker` gives itself (its runs' lease owner), once it has started."""
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited\n{self.log(name)}")
            if found := re.search(r"kb worker (\S+) started", self.log(name)):
                return found[1]
            time.sleep(0.1)
        raise AssertionError(f"{name} did not start within {START_WITHIN} s\n{self.log(name)}")

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "wb") as out:  # the child keeps its own copy
            process = subprocess.Popen(
                args,
                env={**self.env, **env},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.processes)

    def wait_healthy(self, hosts: list[Host], newest_seq: int) -> None:
        """Until every host answers /healthz with its index at newest_seq or beyond."""
        deadline = time.monotonic() + START_WITHIN
        waiting = list(hosts)
        while waiting and time.monotonic() < deadline:
            for host in list(waiting):
                if host.process.poll() is not None:
                    raise AssertionError(f"{host.name} exited\n{self.logs()}")
                health = host.health()
                if health and (health["index"]["last_seq"] or 0) >= newest_seq:
                    waiting.remove(host)
            time.sleep(0.1)
        assert not waiting, f"not healthy within {START_WITHIN} s: {waiting}\n{self.logs()}"

    def signal(self, name: str, sig: int) -> None:
        self.processes[name].send_signal(sig)

    def kill(self, name: str) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def close(self) -> None:
        """Every process group started here ends: SIGTERM, then SIGKILL after 10 s."""
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            # the group too: a gunicorn worker may outlive its master for a moment
            _signal_group(process, signal.SIGKILL)
            process.wait(10)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(process.pid, sig)
