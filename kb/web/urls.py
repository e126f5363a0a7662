"""Addresses for the pages, each built once: `url_for` as the templates call it.

A page links ~30 addresses (navigation, header, footer, its own actions), and Werkzeug
builds each anew on every request (the rule's builder, URL quoting, Flask's defaults): a
tenth of a document page's processor time. An address depends only on the routes, the
endpoint, its arguments and where the application answers (its root, host and scheme), so
it is kept per app under exactly those; nothing about the reader is in it. Arguments that
cannot be a key (a list of tags) and blueprint-relative endpoints are built every time, as
is everything while the app has URL defaults (they could depend on the request).
"""

from __future__ import annotations

from flask import Flask, url_for
from flask.globals import _cv_request

#: addresses kept per app; past this the store starts afresh (a page's own links -- one
#: document's edit and history -- pass through; the shared ones are soon back)
KEPT = 20_000


def page_url(endpoint: str, **values) -> str:
    """flask.url_for(endpoint, **values), built once per application root, host and scheme."""
    ctx = _cv_request.get(None)
    if ctx is None or ctx.url_adapter is None or endpoint[:1] == ".":
        return url_for(endpoint, **values)
    app = ctx.app
    if app.url_default_functions:
        return url_for(endpoint, **values)
    adapter = ctx.url_adapter
    # the value's type too: page=1 and page=True are equal keys but different addresses
    key = (adapter.script_name, adapter.server_name, adapter.url_scheme, endpoint)
    key += tuple((k, v.__class__, v) for k, v in values.items())
    kept = app.extensions["kb_urls"]
    try:
        return kept[key]
    except KeyError:
        pass
    except TypeError:  # an argument that cannot be a key
        return url_for(endpoint, **values)
    url = url_for(endpoint, **values)
    if len(kept) >= KEPT:
        kept.clear()
    kept[key] = url
    return url


def init_app(app: Flask) -> None:
    app.extensions["kb_urls"] = {}
    app.add_template_global(page_url, "url_for")
