"""One HTTP POST of a delivery to a receiver: no redirects followed, bounded in time (in all,
not only per wait), the start of an error answer kept for the delivery log."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

#: bytes of a receiver's answer read at most (for the delivery log), so a huge body costs nothing
EXCERPT_BYTES = 2048


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not an instruction: POST only to the configured URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # urllib then raises HTTPError with the 3xx status


def _excerpt(stream, deadline: float) -> str:  # noqa: ANN001
    """The start of an answer's body, read in small pieces until EXCERPT_BYTES or the deadline."""
    chunks: list[bytes] = []
    size = 0
    read = getattr(stream, "read1", None) or stream.read
    try:
        while size < EXCERPT_BYTES and time.monotonic() < deadline:
            chunk = read(EXCERPT_BYTES - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, http.client.HTTPException, ValueError):
        pass  # an excerpt is a courtesy
    return " ".join(b"".join(chunks).decode("utf-8", "replace").split())[:200]


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror})"
    name = type(exc).__name__
    if "SSL" in name or "Certificate" in name:
        return f"TLS: {exc}"
    return f"{name}: {exc}"


class _Watchdog:
    """Hangs up an attempt still under way at its deadline. The socket timeout bounds each
    wait; a receiver trickling its answer a byte at a time would otherwise hold a delivery
    thread (and outlive the worker's lease) for as long as it likes."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.fired = False
        self._timer: threading.Timer | None = None

    def watch(self, sock: socket.socket) -> None:
        def fire() -> None:
            self.fired = True
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

        self.cancel()  # a reconnect watches its new socket instead
        self._timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), fire)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def connection(self, base: type[http.client.HTTPConnection]) -> Callable:
        def make(host: str, **kwargs) -> http.client.HTTPConnection:
            conn = base(host, **kwargs)
            opened = conn.connect

            def connect_and_watch() -> None:
                opened()
                self.watch(conn.sock)

            conn.connect = connect_and_watch  # type: ignore[method-assign]
            return conn

        return make


class _WatchedHTTP(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog):
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req):  # noqa: ANN001, ANN201
        return self.do_open(self.watchdog.connection(http.client.HTTPConnection), req)


class _WatchedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog):
        super().__init__()
        self.watchdog = watchdog

    def https_open(self, req):  # noqa: ANN001, ANN201
        return self.do_open(
            self.watchdog.connection(http.client.HTTPSConnection), req, context=self._context
        )


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """One POST, no redirects, `timeout` seconds in all (connecting and the answer)."""
    started = time.monotonic()
    watchdog = _Watchdog(started + timeout)
    opener = urllib.request.build_opener(
        _NoRedirect, _WatchedHTTP(watchdog), _WatchedHTTPS(watchdog)
    )
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    elapsed = lambda: int((time.monotonic() - started) * 1000)  # noqa: E731
    # cut off at the deadline, a status line or headers may look complete and are not
    incomplete = lambda: Outcome(None, elapsed(), f"no answer within {timeout:g} s")  # noqa: E731
    try:
        with opener.open(request, timeout=timeout) as response:
            if watchdog.fired:
                return incomplete()
            return Outcome(response.status, elapsed(), None)  # a 2xx: its body is not needed
    except urllib.error.HTTPError as exc:  # every other status
        with exc:
            if watchdog.fired:
                return incomplete()
            if 300 <= exc.code < 400:
                where = (exc.headers.get("Location") or "")[:200]
                return Outcome(
                    exc.code, elapsed(), f"HTTP {exc.code} redirect to {where} (not followed)"
                )
            excerpt = _excerpt(exc.fp, started + timeout) if exc.fp else ""
        error = f"HTTP {exc.code} {exc.reason}" + (f": {excerpt}" if excerpt else "")
        return Outcome(exc.code, elapsed(), error)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return incomplete() if watchdog.fired else Outcome(None, elapsed(), _reason(exc, timeout))
    finally:
        watchdog.cancel()
