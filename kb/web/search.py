"""The search page: ranked results, facets that add or remove filters, sort, pages."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import current_app, render_template, request, url_for
from werkzeug.datastructures import iter_multi_items

from kb.access_rules import READER, needs
from kb.context import current
from kb.core.errors import ValidationError
from kb.core.time import utcnow
from kb.documents import access
from kb.documents.queries import hit_details
from kb.documents.vocabulary import TOPICS
from kb.search import QueryError
from kb.security import viewer
from kb.web import bp
from kb.web.params import args_with, filters_from, page_arg

#: a word a "fewer words" link may leave out: no quotes, brackets, fields or operators
PLAIN_WORD = re.compile(r"(?!(?:AND|OR|NOT)$)[^\W_][\w'-]*")
#: facets shown beside the results, in this order
FACETS = ("type", "topic", "phase", "project", "tag")
#: filters a search link may carry (the API accepts the same)
FILTERS = ("type", "topic", "phase", "project", "tag", "status", "polarity")
SORTS = (("relevance", "Best match"), ("date", "Newest"))
#: what werkzeug leaves unescaped in a query string, so links read as url_for writes them
URL_SAFE = "!$'()*,/:;?@"


class SearchLinks:
    """URLs that change one thing about the current search and keep the rest. A page has
    a hundred of them (facet values, tags, pages): the query string is encoded here, as
    url_for would, without building the route for each."""

    def __init__(self, q: str, filters: dict[str, list[str]], sort: str | None):
        self.q, self.filters, self.sort = q, filters, sort
        self._path = url_for("web.search")

    def _url(self, filters: dict[str, list[str]], **changes) -> str:
        args = args_with({"q": self.q, **filters}, sort=self.sort)  # q first: readable URLs
        query = urlencode(list(iter_multi_items(args_with(args, **changes))), safe=URL_SAFE)
        return f"{self._path}?{query}" if query else self._path

    def toggle(self, key: str, value: str) -> str:
        values = list(self.filters.get(key, []))
        values = [x for x in values if x != value] if value in values else [*values, value]
        return self._url({**self.filters, key: values})

    def without_filters(self) -> str:
        return self._url({})

    def sorted_by(self, sort: str) -> str:
        return self._url(self.filters, sort=sort)

    def page(self, number: int) -> str:
        return self._url(self.filters, page=str(number) if number > 1 else None)

    def query(self, q: str) -> str:
        return self._url(self.filters, q=q)

    def is_active(self, key: str, value: str) -> bool:
        return value in self.filters.get(key, [])

    def fewer_words(self) -> list[tuple[str, str]]:
        """(query, link) for the same search with one word left out, and with any of the
        words: ways out of "nothing found". Only for plain words (no quotes or operators)."""
        words = self.q.split()
        if not 1 < len(words) <= 6 or not all(PLAIN_WORD.fullmatch(w) for w in words):
            return []
        shorter = [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]
        return [(q, self.query(q)) for q in [*shorter, " OR ".join(words)]]


def normalise(key: str, value: str) -> str:
    """The index compares filter values case-insensitively; show project keys as keys."""
    return value.upper() if key == "project" else value.lower()


def with_shown_values(facets: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    return {
        key: [(normalise(key, value), n) for value, n in values] for key, values in facets.items()
    }


@bp.get("/search")
@needs(READER)
def search():
    q = request.args.get("q", "")
    filters = {
        key: list(dict.fromkeys(normalise(key, value) for value in values))
        for key, values in filters_from(FILTERS).items()
    }
    sort = request.args.get("sort") or None
    links = SearchLinks(q, filters, sort)
    context = {
        "q": q,
        "filters": filters,
        "links": links,
        "sorts": SORTS,
        "facet_keys": FACETS,
        "topics": TOPICS,
        "results": None,
        "error": None,
    }
    try:
        results = current().index.query(
            q,
            filters=filters,
            sort=sort or ("relevance" if q.strip() else "date"),
            page=page_arg(),
            per_page=current_app.config["KB_PER_PAGE"],
            reader=access.reader(viewer()),
        )
    except (QueryError, ValidationError) as exc:
        return render_template("search.html", **{**context, "error": exc.message}), 400
    if page_arg() == 1:
        current().tally.search(q, results.total, utcnow())
    results.facets = with_shown_values(results.facets)
    details = hit_details(current().db, [h.id for h in results.hits], viewer())
    return render_template("search.html", **{**context, "results": results}, details=details)
