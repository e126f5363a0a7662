"""gunicorn settings for kb; gunicorn reads ./gunicorn.conf.py by default.

    gunicorn --preload --workers 4 --threads 4 --bind 127.0.0.1:8000

Command-line options override what is set here. See wsgi.py and the README's "Production".
"""

wsgi_app = "wsgi:app"
# gthread workers: a few threads per process for slow clients and long searches
worker_class = "gthread"
threads = 4
# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which
# two kb instances on one machine would share; kb needs none (older versions ignore the name)
control_socket_disable = True


def post_worker_init(worker) -> None:  # noqa: ANN001
    """In each worker, once it has the app (forked from --preload's master or loaded itself):
    its background threads, which a fork would have lost."""
    from kb.serving import start_background

    start_background(worker.wsgi)
