"""``make_wsgi_app``: a WSGI application that answers the service's callbacks (stdlib only)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Union

from ..redact import Secret
from .body import read_body
from .events import Event
from .receiver import Answer, Receiver

Handler = Callable[[Event], Any]
_REASONS = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden", 405: "405 Method Not Allowed",
            413: "413 Payload Too Large"}


def make_wsgi_app(handler: Handler, *, secret: Union[str, Secret, None] = None,
                  algorithm: Optional[str] = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI app calling ``handler(event)`` once per verified event: 200 ``OK``, 403 on a bad
    or missing signature (with ``secret``), 400 on anything unreadable (also a Content-Length that
    is no number, or that the body falls short of), 413 on a body too big (never read past the
    bound). A repeated POST of an event already handled is answered ``OK`` without calling ``handler``;
    an exception in ``handler`` becomes the server's 500, so the service tries again."""
    receiver = Receiver(secret=secret, algorithm=algorithm)

    def app(environ: Any, start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = read_body(environ.get("wsgi.input"), environ.get("CONTENT_LENGTH"),
                         terminated=bool(environ.get("wsgi.input_terminated")))
        if isinstance(body, Answer):
            answer = body
        else:
            query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")  # PEP 3333: bytes as latin-1
            answer = receiver.handle(handler, environ.get("REQUEST_METHOD", "GET"), query, body,
                                     environ.get("CONTENT_TYPE", ""))
        payload = answer.body.encode("utf-8")
        start_response(_REASONS.get(answer.status, f"{answer.status} Error"),
                       [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))])
        return [payload]

    return app
