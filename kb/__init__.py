"""kb — the PMO's corporate memory."""

from __future__ import annotations

import logging

from flask import Flask, request

from kb.config import Config


def create_app(config: Config | None = None) -> Flask:
    """The application factory: `create_app()` reads KB_* variables from the environment."""
    config = (config or Config.from_env()).finalise()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(config.flask_mapping())
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    from kb.context import Kb

    kb = Kb.open(config)
    try:
        kb.register_event_secret()
    except ValueError:
        kb.close()
        raise
    app.extensions["kb"] = kb

    from kb import api, errors, inputs, params, security, serving, web

    errors.init_app(app)  # one handler answers every error, JSON or page (kb.errors)
    params.init_app(app)  # first: bounded `<int:...>` converters before any route exists
    inputs.init_limits(app)  # before security's CSRF check reads the form
    security.init_app(app)
    inputs.init_app(app)
    web.init_app(app)
    api.init_app(app)
    serving.behind_proxies(app, config.TRUSTED_PROXIES)
    share_reads_in_get_requests(app, kb.db)
    # No background thread here: the serving entry point starts them (kb.serving).
    return app


def share_reads_in_get_requests(app: Flask, db) -> None:  # noqa: ANN001
    """A GET or HEAD request reads through one session from its first check (who is signed
    in) to its rendered answer (kb.db.Database.share_reads)."""

    def share() -> None:
        if request.method in ("GET", "HEAD"):
            db.share_reads()

    app.before_request_funcs.setdefault(None, []).insert(0, share)  # before every other check
    app.teardown_request(lambda _exc: db.end_shared_reads())
