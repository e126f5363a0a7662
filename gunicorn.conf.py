"""gunicorn settings for kb; gunicorn reads ./gunicorn.conf.py by default.

    gunicorn --preload --bind 127.0.0.1:8000     # one worker per core, 2 threads each

Command-line options override what is set here (`--workers 4 --threads 2`). See wsgi.py and
the README's "Production" and "Benchmarks".
"""

import gc
import os

wsgi_app = "wsgi:app"
# Python runs one thread of a process at a time (the GIL): processes use the cores, so one
# worker per core. In each, a second thread overlaps what waits (the database, a slow client)
# with work; more would add memory (each thread reads the index through a searcher of its
# own), not speed.
workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
worker_class = "gthread"
threads = 2
# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which
# two kb instances on one machine would share; kb needs none (older versions ignore the name)
control_socket_disable = True


def post_worker_init(worker) -> None:  # noqa: ANN001
    """In each worker, once it has the app (forked from --preload's master or loaded itself):
    its background threads, which a fork would have lost."""
    from kb.serving import start_background

    start_background(worker.wsgi)


def pre_fork(server, worker) -> None:  # noqa: ANN001
    """In the master, before each worker is forked: move the objects the preloaded app made
    out of the garbage collector's reach. A worker's collections would otherwise write to
    every object's header and copy, page by page, the memory it shares with the master
    (10,000 lessons, after load: PSS 262 -> 207 MB for the three processes)."""
    gc.freeze()
