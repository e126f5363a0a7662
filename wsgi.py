"""For any WSGI server: `waitress-serve wsgi:app`, `gunicorn wsgi:app`."""

from kb import create_app

app = create_app()
