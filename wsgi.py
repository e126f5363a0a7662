"""The app for any WSGI server: `gunicorn wsgi:app`, `waitress-serve wsgi:app`.

create_app() starts no background thread (the index follower; the event worker unless
KB_WORKER_THREAD=false): a pre-forking server such as `gunicorn --preload` imports this module
in its master and forks the workers from it, and threads do not survive a fork. So they start
in each process that serves:

- gunicorn: gunicorn.conf.py (read from the current folder, or `-c path/gunicorn.conf.py`)
  starts them in each worker as soon as it has loaded the app, with or without --preload;
- any other server: at the first request each process serves (start_on_first_request below);
  with a post-fork hook of its own (uWSGI's @postfork), call kb.serving.start_background(app).

Each host's processes share its KB_INDEX_DIR: one of them follows the event log into it (an
OS lock decides which; another takes over when it exits), the others only read it.
"""

from kb import create_app
from kb.serving import start_on_first_request

app = create_app()
start_on_first_request(app)
