"""gunicorn settings for kb; gunicorn reads ./gunicorn.conf.py by default.

    gunicorn --preload --bind 127.0.0.1:8000     # one worker per core, 2 threads each

Command-line options override what is set here (`--workers 4 --threads 2`). See wsgi.py and
the README's "Production" and "Benchmarks".
"""

from kb.serving import (  # noqa: F401 (hooks)
    cores,
    on_starting,
    post_worker_init,
    pre_fork,
    worker_exit,
)

wsgi_app = "wsgi:app"
# Python runs one thread of a process at a time (the GIL): processes use the cores, so one
# worker per core. In each, a second thread overlaps what waits (the database, a slow client)
# with work; more would add memory (each thread reads the index through a searcher of its
# own), not speed.
workers = cores()
worker_class = "gthread"
threads = 2
# a listening socket per worker (SO_REUSEPORT, gunicorn >= 27): the kernel spreads new
# connections over the workers. On one shared socket the worker awake first takes the next
# connection, and a proxy's few kept-alive connections can all sit on one process (10,000
# lessons, document pages: 313 req/s against 609-700 spread). on_starting refuses a port
# already in use, which SO_REUSEPORT would otherwise let two servers of one user share.
reuse_port = True
# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which
# two kb instances on one machine would share; kb needs none (older versions ignore the name)
control_socket_disable = True
