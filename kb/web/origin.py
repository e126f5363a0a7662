"""The same-origin check on every form post (kb.errors answers what it refuses)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from werkzeug.exceptions import Forbidden

from kb.web import bp


class CrossSitePost(Forbidden):
    description = "Forms can only be sent from kb's own pages."
    page_message = description  # written for people: the error page shows it as it is


@bp.before_request
def same_origin_posts():
    """Forms may only be posted from kb's own pages. Browsers say where a request comes from:
    Sec-Fetch-Site (computed by the browser, so a proxy rewriting Host does not matter) or,
    from older browsers, Origin. A cross-site post is refused before any view runs."""
    if request.method != "POST":
        return None
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site == "cross-site":
            raise CrossSitePost()
        return None
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise CrossSitePost()
    return None
