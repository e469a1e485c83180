"""The kit's vcrpy configuration: matchers, scrubbers, patches and a record mode that refuses.

:func:`vcr_config` gives it as keyword arguments (for pytest-recording or any ``vcr.VCR``),
:func:`make_vcr` as a ready ``vcr.VCR``. vcrpy is imported only when a recorder is made.
"""
from __future__ import annotations

import functools
import os
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from .._extras import require
from .matchers import MATCH_ON, register_matchers
from .patches import custom_patches
from .scrubbing import SecretsArg, scrub_request, scrub_response, secrets_to_scrub

if TYPE_CHECKING:  # pragma: no cover
    import vcr  # type: ignore[import-untyped,unused-ignore]  # vcrpy ships no type hints

#: A request that is not in the cassette raises instead of being recorded.
DEFAULT_RECORD_MODE = "none"
#: vcrpy's record modes, as ``--smsc-record-mode`` accepts them.
RECORD_MODES = ("none", "once", "new_episodes", "all")


def vcr_config(*, secrets: SecretsArg = None, record_mode: Optional[str] = None, **overrides: Any) -> Dict[str, Any]:
    """Keyword arguments for ``vcr.VCR(...)`` or ``use_cassette(...)``: the kit's configuration.

    ``match_on`` names two matchers that must be registered (:func:`register_matchers`;
    :func:`make_vcr` does it). ``secrets`` are scrubbed by value on top of the scrubbing by shape
    (None: the values of :data:`SECRET_ENV_VARS`). ``record_mode`` defaults to ``"none"``.
    ``overrides`` replace or add any other vcrpy option; a ``before_record_request`` or
    ``before_record_response`` given here runs AFTER the kit's scrubbers, and
    ``custom_patches`` are added to the thread guard.
    """
    found = secrets_to_scrub(secrets)
    before_request: List[Callable[..., Any]] = [functools.partial(scrub_request, secrets=found)]
    before_response: List[Callable[..., Any]] = [functools.partial(scrub_response, secrets=found)]
    for key, hooks in (("before_record_request", before_request), ("before_record_response", before_response)):
        extra = overrides.pop(key, None)
        if extra is not None:
            hooks.extend(extra if isinstance(extra, (list, tuple)) else [extra])
    config: Dict[str, Any] = {
        "match_on": MATCH_ON,
        "record_mode": record_mode or DEFAULT_RECORD_MODE,
        "decode_compressed_response": True,
        "before_record_request": tuple(before_request),
        "before_record_response": tuple(before_response),
        "custom_patches": custom_patches() + tuple(overrides.pop("custom_patches", ())),
        "serializer": "yaml",
    }
    config.update(overrides)
    return config


def make_vcr(cassette_library_dir: Union[str, "os.PathLike[str]", None] = None, *, secrets: SecretsArg = None,
             record_mode: Optional[str] = None, **overrides: Any) -> "vcr.VCR":
    """A ``vcr.VCR`` with the kit's configuration (see :func:`vcr_config`) and matchers.

    >>> recorder = make_vcr("tests/cassettes")                     # doctest: +SKIP
    >>> with recorder.use_cassette("balance.yaml"):                # doctest: +SKIP
    ...     Client(login="alex", psw="...").get_balance()
    """
    vcr = require("vcr", "smsc_soap.testing.make_vcr")
    config = vcr_config(secrets=secrets, record_mode=record_mode, **overrides)
    if cassette_library_dir is not None:
        config["cassette_library_dir"] = os.fspath(cassette_library_dir)
    return register_matchers(vcr.VCR(**config))


def cassette_name(nodeid_module: str, test_name: str) -> str:
    """The default cassette of a test: ``<module>/<test name>.yaml``, unsafe characters as ``_``."""
    return os.path.join(nodeid_module, re.sub(r"[^\w.-]+", "_", test_name).strip("_") + ".yaml")
