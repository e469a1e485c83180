"""vcrpy cassettes for SMSC SOAP conversations: configuration, matchers, scrubbers and pytest fixtures.

Recorded conversations let a test suite that uses :class:`smsc_soap.Client` run offline and
repeatably. vcrpy's defaults get a few things wrong for this service; each fix is a module:

* :mod:`~smsc_soap.testing.matchers`: every operation is a POST to one URL, so the kit also
  matches the SOAP operation and the normalised body (:data:`MATCH_ON`);
* :mod:`~smsc_soap.testing.scrubbing`: ``psw`` and ``apikey`` become ``REDACTED`` in XML
  bodies, the ``query`` inside them, URLs and headers, before anything is written;
* :mod:`~smsc_soap.testing.patches`: the client's own urllib3 pools are put under the cassette,
  and requests from several threads are serialised so that none slips past the recorder;
* :mod:`~smsc_soap.testing.network`: :func:`block_network`, so a replay cannot reach a server;
* :mod:`~smsc_soap.testing.config`: :func:`vcr_config` / :func:`make_vcr` put it all together;
  record mode ``none`` by default, so a request not in the cassette fails loudly;
* :mod:`~smsc_soap.testing.plugin`: the pytest plugin (``smsc_cassette``, ``smsc_no_network``,
  ``smsc_vcr``, ``smsc_vcr_config``, ``smsc_cassette_dir``, ``smsc_record_mode``,
  ``smsc_sandbox``).

vcrpy is a test extra and this package is imported by every pytest run of every project that
installs smsc-soap: nothing here imports vcrpy, zeep or requests until it is used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..redact import REDACTED, secret_forms
from .config import DEFAULT_RECORD_MODE, make_vcr, vcr_config
from .matchers import (
    BODY_MATCHER, CLIENT_ID, CLIENT_ID_PATTERN, MATCH_ON, OPERATION_MATCHER, SoapBody, match_body, match_operation,
    normalise_body, register_matchers, soap_operation,
)
from .network import NetworkBlockedError, block_network
from .patches import HTTP_LOCK, client_connection_patches, custom_patches, serialised_http_patches
from .scrubbing import (
    SECRET_ENV_VARS, SECRET_FIELDS, scrub_query, scrub_request, scrub_response, scrub_text, scrub_url,
)

# Public here when this package was one module, though not in __all__: importable as they were.
from ..redact import Secret as Secret, redact as redact  # noqa: E402
from .config import RECORD_MODES as RECORD_MODES, cassette_name as cassette_name  # noqa: E402
from .scrubbing import SECRET_HEADERS as SECRET_HEADERS, Body as Body, SecretsArg as SecretsArg  # noqa: E402
# Added later (a sandbox's port in cassettes; a mailing's multipart body); __all__ stays what the module exported.
from .matchers import PORT_MATCHER as PORT_MATCHER, match_port as match_port  # noqa: E402
from .matchers import MultipartBody as MultipartBody, MultipartPart as MultipartPart  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    import pytest

__all__ = [
    "BODY_MATCHER", "CLIENT_ID", "CLIENT_ID_PATTERN", "DEFAULT_RECORD_MODE", "HTTP_LOCK", "MATCH_ON",
    "OPERATION_MATCHER", "REDACTED", "SECRET_ENV_VARS", "SECRET_FIELDS", "NetworkBlockedError", "SoapBody",
    "block_network", "client_connection_patches", "custom_patches", "make_vcr", "match_body", "match_operation",
    "normalise_body", "register_matchers", "scrub_query", "scrub_request", "scrub_response", "scrub_text",
    "scrub_url", "secret_forms", "serialised_http_patches", "soap_operation", "vcr_config",
]

# Names this module had when it was one file and also the plugin. They live in .plugin now and
# are looked up on use only: were they attributes here, pytest would register them twice
# whenever this module is named as a plugin too (an old ``-p smsc_soap.testing``).
_PLUGIN_NAMES = frozenset({
    "pytest_addoption", "pytest_configure", "smsc_vcr_config", "smsc_cassette_dir", "smsc_record_mode",
    "smsc_vcr", "smsc_cassette", "smsc_no_network",
})

def __getattr__(name: str) -> Any:
    if name in _PLUGIN_NAMES:
        from . import plugin

        return getattr(plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pytest_addhooks(pluginmanager: "pytest.PytestPluginManager") -> None:
    """This module was the cassette plugin once (``-p smsc_soap.testing``): register the one
    plugin, :mod:`smsc_soap.testing.plugin`, unless it already is."""
    from .plugin import register_once

    register_once(pluginmanager)
