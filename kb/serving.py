"""What the serving entry point adds to an app from create_app(): its background threads,
started in each process that serves, and trust in the reverse proxies in front of it.

create_app() starts no thread: a pre-forking server (`gunicorn --preload`, uWSGI) creates the
app in its master and forks workers from it, and threads do not survive a fork. `kb run` calls
start_background() itself; under gunicorn, gunicorn.conf.py calls it in each worker once the
app is loaded; wsgi.py also starts them at the first request of any other server's processes.
"""

from __future__ import annotations

import os

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
