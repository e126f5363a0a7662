"""What the serving entry point adds to an app from create_app(): its background threads,
started in each process that serves, and trust in the reverse proxies in front of it; and
the pre-forking server of `kb run` (gunicorn, the hooks of which ./gunicorn.conf.py uses too).

create_app() starts no thread: a pre-forking server (`gunicorn --preload`, uWSGI) creates the
app in its master and forks workers from it, and threads do not survive a fork. `kb run` calls
start_background() itself; under gunicorn, gunicorn.conf.py calls it in each worker once the
app is loaded; wsgi.py also starts them at the first request of any other server's processes.
"""

from __future__ import annotations

import gc
import os
import signal
import socket

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def start_background(app: Flask) -> None:
    """Start the app's index follower and in-process worker (as KB_INDEXER_THREAD and
    KB_WORKER_THREAD say) in this process; again is harmless."""
    app.extensions["kb"].start()


def start_on_first_request(app: Flask) -> None:
    """For servers without a hook after forking: each process starts its threads when it
    serves its first request (after that, one comparison per request)."""
    started_in = 0  # the process that started them: a forked child has not

    def start() -> None:
        nonlocal started_in
        if started_in != os.getpid():
            start_background(app)
            started_in = os.getpid()

    # first: the access check before it may answer a request (a redirect to sign in) itself
    app.before_request_funcs.setdefault(None, []).insert(0, start)


def behind_proxies(app: Flask, count: int) -> None:
    """Trust X-Forwarded-For, -Proto, -Host, -Port and -Prefix from `count` reverse proxies
    (KB_TRUSTED_PROXIES): the client's address for the login throttle and the audit log, the
    scheme and host people used for redirects and absolute links. With 0 the headers are ignored: anyone could send
    them to a kb reached directly."""
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=count
        )


# -- gunicorn: `kb run` with several processes, and ./gunicorn.conf.py ----------------------


def cores() -> int:
    """The cores this process may run on: one serving process each."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def post_worker_init(worker) -> None:  # noqa: ANN001
    """In each worker, once it has the app (forked from --preload's master or loaded itself):
    its background threads, which a fork would have lost.

    Ctrl+C in a terminal signals the whole process group; a worker leaves it to the master,
    which stops the workers itself. A gthread worker (gunicorn 27) that got both signals hung
    in its thread pool's shutdown, entered again from the second signal's handler, until the
    master killed it 30 s later."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    start_background(worker.wsgi)


def worker_exit(server, worker) -> None:  # noqa: ANN001
    """In a worker as it exits: the usage counts it still holds are written, its threads
    stop and its socket for news is removed (kb.context.Kb.close). Nothing when it never
    loaded the app."""
    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        app.extensions["kb"].close()


def pre_fork(server, worker) -> None:  # noqa: ANN001
    """In the master, before each worker is forked: move the objects the preloaded app made
    out of the garbage collector's reach. A worker's collections would otherwise write to
    every object's header and copy, page by page, the memory it shares with the master
    (10,000 lessons, after load: PSS 262 -> 207 MB for the three processes)."""
    gc.freeze()


def on_starting(server) -> None:  # noqa: ANN001
    """In gunicorn's master, before any socket is made: with reuse_port, refuse a port
    something listens on already (check_port), as a shared socket's bind would."""
    if server.cfg.reuse_port:
        for address in server.cfg.address:
            if isinstance(address, tuple):  # not a Unix socket's path or a file descriptor
                check_port(*address)


def check_port(host: str, port: int) -> None:
    """OSError (EADDRINUSE) when something listens on the port already. The workers' sockets
    share it with SO_REUSEPORT, which would let a second kb of the same user share it too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    socket.create_server((host, port), family=family).close()


def serve_forked(app: Flask, host: str, port: int, processes: int, threads: int) -> None:
    """Serve `app` from `processes` worker processes of `threads` threads each, forked from
    this one (gunicorn's gthread workers; this process only watches them), until a signal.
    Call check_port() first."""
    from gunicorn.app.base import BaseApplication

    settings = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": processes,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,  # the workers share the app's memory with this process
        # a listening socket per worker (SO_REUSEPORT): the kernel spreads new connections
        # over them. On one shared socket the worker awake first took the next connection,
        # and a few kept-alive clients (a proxy's pool, wrk's 8) could all sit on one process:
        # 313 page requests a second against 609-700 when spread, 10,000 lessons
        "reuse_port": True,
        "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
        "pre_fork": pre_fork,
        "proc_name": "kb",
        "loglevel": "warning",  # kb run prints where it listens itself
        # gunicorn 27's control socket is one path per user, which two kbs would share
        "control_socket_disable": True,
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in settings.items():
                if name in self.cfg.settings:  # older versions lack some
                    self.cfg.set(name, value)

        def load(self) -> Flask:
            return app

    Server().run()
