"""Signing and verifying a callback (spec.CALLBACK_SIGNATURES): the digest of the event's signed
fields and the secret, joined by ":", compared in constant time.

The secret is held as a :class:`~smsc_soap.redact.Secret` and only revealed inside
:func:`digest`, whose frame is gone before any error is raised: it never reaches a repr, an
error message, a log or a traceback's locals.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Mapping, Optional, Union

from .. import spec
from ..errors import CallbackFormatError, CallbackSignatureError
from ..redact import Secret


def as_secret(secret: Union[str, Secret, None]) -> Optional[Secret]:
    """The secret as a :class:`Secret` (None or "" means: do not verify)."""
    if secret is None or isinstance(secret, Secret):
        return secret or None
    if not isinstance(secret, str):
        raise TypeError("secret must be a str")
    return Secret(secret) if secret else None


def check_algorithm(algorithm: Optional[str]) -> Optional[str]:
    """``algorithm`` if we verify it (md5, sha1), None for "whichever the callback carries";
    a ValueError for crc32 (spec.CALLBACK_SIGNATURES_REFUSED) or any other name."""
    if algorithm is None or algorithm in spec.CALLBACK_SIGNATURES:
        return algorithm
    if algorithm in spec.CALLBACK_SIGNATURES_REFUSED:
        raise ValueError(f"{algorithm} signatures are refused: no known recipe and no protection")
    raise ValueError(f"algorithm must be one of {', '.join(spec.CALLBACK_SIGNATURES)}, got {algorithm!r}")


def digest(kind: str, fields: Mapping[str, str], secret: Secret, algorithm: str, charset: str) -> str:
    """The lowercase hex digest that signs an event of ``kind`` with these fields."""
    names = spec.CALLBACK_SIGNED_FIELDS[kind]
    data = _encoded(spec.CALLBACK_SIGNATURE_SEPARATOR.join([fields.get(name, "") for name in names]
                                                           + [secret.reveal()]), charset)
    if data is None:  # raised here, outside the except block: no frame or context holds the secret
        raise CallbackFormatError(f"the signed fields cannot be written in {charset}")
    return hashlib.new(spec.CALLBACK_SIGNATURES[algorithm], data).hexdigest()


def _encoded(text: str, charset: str) -> Optional[bytes]:
    """``text`` in ``charset``, or None: the UnicodeEncodeError holds ``text`` (the secret
    included), and must not become the context of the error raised for it."""
    try:
        return text.encode(charset)
    except UnicodeEncodeError:
        return None


def verify(kind: Optional[str], fields: Mapping[str, str], secret: Secret, algorithm: Optional[str],
           charset: str) -> None:
    """Raise :class:`CallbackSignatureError` unless the callback carries a good signature."""
    for refused in spec.CALLBACK_SIGNATURES_REFUSED:
        if refused in fields:
            raise CallbackSignatureError(f"{refused} signatures are refused (no known recipe, no protection)")
    given = [name for name in spec.CALLBACK_SIGNATURES if name in fields]
    if not given:
        raise CallbackSignatureError("the callback is not signed (no " + " or ".join(spec.CALLBACK_SIGNATURES) + " field)")
    if algorithm is not None and algorithm not in given:
        raise CallbackSignatureError(f"the callback is signed with {', '.join(given)}, not {algorithm}")
    if kind is None:
        raise CallbackSignatureError("the callback is of an unknown kind: no known recipe verifies it")
    for name in given:
        if not _matches(kind, fields, secret, name, charset):
            raise CallbackSignatureError(f"the {name} signature does not match")


def _matches(kind: str, fields: Mapping[str, str], secret: Secret, algorithm: str, charset: str) -> bool:
    """The constant-time compare, in a frame of its own: the digest expected is gone before any
    error is raised (a traceback's locals never show it)."""
    expected = digest(kind, fields, secret, algorithm, charset).encode("ascii")
    return hmac.compare_digest(expected, fields[algorithm].strip().lower().encode("utf-8", "replace"))
