"""Work a request asks for that its answer need not wait for: run after the answer is sent
(the WSGI server closes the response), in the same thread, so the person never waits on it.
Recording a search or a page view goes this way (kb.usage): a busy database delays nobody's
results."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, after_this_request

log = logging.getLogger(__name__)


def after_response(work: Callable[[], None]) -> None:
    """Run `work()` once the current answer has been sent; a failure is logged, never shown."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("work after the answer failed")

    @after_this_request
    def attach(response: Response) -> Response:
        response.call_on_close(run)
        return response
