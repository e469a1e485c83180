"""``make_asgi_app``: an ASGI (HTTP) application that answers the service's callbacks (stdlib only)."""
from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, List, Optional, Union

from .. import spec
from ..redact import Secret
from .body import declared_length, too_large
from .events import Event
from .receiver import Answer, Receiver

Handler = Callable[[Event], Any]
Scope = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


async def _body(receive: Receive) -> Union[bytes, Answer, None]:
    """The request body; a 413 once it passes spec.CALLBACK_MAX_BODY_BYTES (nothing more read);
    None when the client went away before its end (a cut body is never parsed)."""
    chunks: List[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > spec.CALLBACK_MAX_BODY_BYTES:
            return too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class AsgiApp:
    """The ASGI application :func:`make_asgi_app` makes. An object, not a function, so that
    routers that tell the two apart (Starlette's ``Route``, FastAPI's ``add_route``) serve it as
    an ASGI app on an exact path."""

    def __init__(self, handler: Handler, receiver: Receiver) -> None:
        self._handler, self._receiver = handler, receiver

    def __repr__(self) -> str:
        return f"AsgiApp({self._handler!r}, {self._receiver!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            if scope.get("type") == "lifespan":  # nothing to set up: acknowledge start and stop
                while True:
                    message = await receive()
                    kind = message.get("type", "")
                    await send({"type": kind + ".complete"})
                    if kind == "lifespan.shutdown":
                        return
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
        declared = declared_length(headers.get("content-length"))
        body = declared if isinstance(declared, Answer) else await _body(receive)
        if body is None:
            return  # nobody is left to answer
        if isinstance(body, Answer):
            answer = body
        else:
            answer = self._receiver.answer(scope.get("method", "GET"), scope.get("query_string", b""), body,
                                           headers.get("content-type", ""))
        if answer.event is not None:
            try:
                result = self._handler(answer.event)
                if inspect.isawaitable(result):
                    await result
            except BaseException:
                self._receiver.forget(answer.event)
                raise
        payload = answer.body.encode("utf-8")
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(payload)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": payload})


def make_asgi_app(handler: Handler, *, secret: Union[str, Secret, None] = None,
                  algorithm: Optional[str] = None) -> AsgiApp:
    """An ASGI app that does what :func:`~smsc_soap.callbacks.make_wsgi_app` does; ``handler``
    may be a plain function or a coroutine function."""
    return AsgiApp(handler, Receiver(secret=secret, algorithm=algorithm))
