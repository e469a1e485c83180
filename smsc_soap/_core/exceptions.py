"""How a lower layer's exception becomes ours: the logic, shared; the table, each shell's own.

A shell keeps a table of (its library's exception class, our class, what happened), most
specific first, and calls :func:`translate` at its one boundary. What it returns is a fresh
error, raised by the shell *outside* its ``except`` block: so it has no ``__context__`` (the
library's exception, which may hold the request and its body, with the password) and no frame
of the library's I/O on its traceback. An error of ours that crossed the lower layers is
cut loose with :func:`detach` the same way.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence, Tuple, Type

from .. import errors
from ..redact import Secret, redact

ExceptionRule = Tuple[Type[BaseException], Type[errors.TransportError], str]

#: Once a whole answer came back, these from the SOAP layer mean the answer has a shape it did
#: not expect: a ProtocolError, not a bug of ours.
ANSWER_SHAPE_ERRORS: Tuple[Type[BaseException], ...] = (TypeError, ValueError, AttributeError, LookupError)


def translate(exc: BaseException, rules: Sequence[ExceptionRule], operation: str, address: str,
              secrets: Iterable[Secret] = (), *, answered: bool = False) -> Optional[errors.TransportError]:
    """Our error for ``exc`` by the first rule that matches, secrets scrubbed from its text; None
    when no rule matches (the shell re-raises ``exc`` untouched)."""
    for source, target, what in rules:
        if isinstance(exc, source):
            return target(f"{operation} at {address}: {what}: {redact(str(exc), secrets)}")
    if answered and isinstance(exc, ANSWER_SHAPE_ERRORS):
        return errors.ProtocolError(f"{operation} at {address}: the answer does not follow the WSDL: "
                                    f"{type(exc).__name__}: {redact(str(exc), secrets)}")
    return None


def detach(error: errors.SmscError, secrets: Sequence[Secret] = ()) -> errors.SmscError:
    """``error`` cut from what it crossed: no ``__cause__``/``__context__`` (a lower layer's
    exception, holding the request) and no traceback (frames of the I/O and their locals); the
    shell raises it again from its own frame. A transport error's texts are scrubbed of
    ``secrets``: a reader quotes the value it could not read, and an answer may echo the request.
    (An ApiError's are the page's own words, which a short password such as "wrong" would turn
    into REDACTED.) The error it wraps (a SendOutcomeUnknown's ``cause``) is detached too."""
    error.__cause__ = error.__context__ = None
    error.__suppress_context__ = False
    if secrets and isinstance(error, errors.TransportError):
        _scrub(error, secrets)
    inner = vars(error).get("cause")
    if isinstance(inner, errors.SmscError) and inner is not error:
        detach(inner, secrets)
    return error.with_traceback(None)


def _scrub(error: errors.SmscError, secrets: Sequence[Secret]) -> None:
    """``error``'s message, notes and text attributes with ``secrets`` REDACTED, in place."""
    error.args = tuple(redact(arg, secrets) if isinstance(arg, str) else arg for arg in error.args)
    for name, value in list(vars(error).items()):
        if isinstance(value, str):
            setattr(error, name, redact(value, secrets))
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):  # __notes__
            setattr(error, name, [redact(item, secrets) for item in value])


def soap_fault(code: object, message: object, secrets: Iterable[Secret] = ()) -> errors.SoapFault:
    """The error for a SOAP Fault the server answered with (HTTP 500 in SOAP 1.1)."""
    return errors.SoapFault(str(code or ""), redact(str(message or ""), secrets), status_code=500)
