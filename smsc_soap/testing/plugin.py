"""smsc-soap's one pytest plugin: the sandbox fixture, and the cassette fixtures and options.

Installing smsc-soap registers it through the ``pytest11`` entry point named ``smsc_soap``
(with plugin autoloading off: ``-p smsc_soap``). It gives

* ``smsc_sandbox``: a fresh, running :class:`smsc_soap.sandbox.Sandbox` per test, its options
  through ``@pytest.mark.smsc_sandbox(accounts=[...], senders=[...])``;
* ``smsc_cassette``, ``smsc_no_network``, ``smsc_vcr``, ``smsc_vcr_config``,
  ``smsc_cassette_dir``, ``smsc_record_mode`` and the ``--smsc-record-mode`` option: the
  cassette kit (:mod:`smsc_soap.testing`), named so as not to collide with pytest-recording.

It loads in every pytest run of every project that installs smsc-soap, so it imports neither
zeep, requests nor vcrpy until a fixture is used.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional

import pytest

from .._compat import add_note
from .config import DEFAULT_RECORD_MODE, RECORD_MODES, cassette_name, make_vcr
from .network import block_network

if TYPE_CHECKING:  # pragma: no cover
    import vcr  # type: ignore[import-untyped,unused-ignore]  # vcrpy ships no type hints
    import vcr.cassette  # type: ignore[import-untyped,unused-ignore]

    from ..sandbox import Sandbox

#: The name the plugin is registered under (that of its ``pytest11`` entry point).
PLUGIN_NAME = "smsc_soap"


def register_once(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register this plugin unless it already is: what the old plugin modules
    (``-p smsc_soap.testing``, ``-p smsc_soap.pytest_plugin``) do now, so that naming them, or an
    install whose metadata still lists them, registers each fixture once."""
    import sys

    this = sys.modules[__name__]
    if not pluginmanager.is_registered(this) and not pluginmanager.has_plugin(PLUGIN_NAME):
        pluginmanager.register(this, PLUGIN_NAME)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smsc-soap cassettes")
    group.addoption("--smsc-record-mode", action="store", default=None, choices=RECORD_MODES,
                    help="record mode of smsc_cassette (default: none, replay only). "
                         "'once' records missing cassettes, 'all' re-records every one.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "smsc_cassette(name=None, **options): the cassette file of the smsc_cassette "
                   "fixture (relative to smsc_cassette_dir) and use_cassette options for it")
    config.addinivalue_line(
        "markers", "smsc_sandbox(**options): options for the smsc_sandbox fixture, as Sandbox(**options) takes "
                   "them (accounts=, apikeys=, senders=, realtime=, start_time=)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: "pytest.CallInfo[None]") -> Iterator[None]:
    """A test whose request is not in its kit cassette gets a note naming this plugin's option
    (vcrpy's own message speaks of ``record_mode``, which pytest has no option for)."""
    if call.excinfo is not None and "smsc_cassette" in getattr(item, "fixturenames", ()):
        error: Optional[BaseException] = call.excinfo.value
        while error is not None:
            if type(error).__name__ == "CannotOverwriteExistingCassetteException":
                note = (f"smsc-soap: to add the missing requests to the cassette, run once: "
                        f"pytest --smsc-record-mode=new_episodes {item.nodeid}")
                if note not in getattr(error, "__notes__", ()):
                    add_note(error, note)
                break
            error = error.__cause__ or error.__context__
    yield


# --- the sandbox --------------------------------------------------------------------------------


@pytest.fixture
def smsc_sandbox(request: pytest.FixtureRequest) -> Iterator["Sandbox"]:
    """A running SMSC SOAP sandbox, fresh for this test; stopped afterwards."""
    from ..sandbox import Sandbox

    marker = request.node.get_closest_marker("smsc_sandbox")
    options = dict(marker.kwargs) if marker else {}
    with Sandbox(**options) as sandbox:
        yield sandbox


# --- cassettes ----------------------------------------------------------------------------------


@pytest.fixture
def smsc_vcr_config() -> Dict[str, Any]:
    """Keyword arguments for :func:`smsc_soap.testing.vcr_config`; override it in a
    conftest.py to pass ``secrets=[...]``, ``record_mode=...`` or any vcrpy option."""
    return {}


@pytest.fixture
def smsc_cassette_dir(request: pytest.FixtureRequest) -> str:
    """Where cassettes live: ``cassettes/`` beside the test module. Override to move them."""
    return os.path.join(os.path.dirname(str(request.node.path)), "cassettes")


@pytest.fixture
def smsc_record_mode(request: pytest.FixtureRequest, smsc_vcr_config: Dict[str, Any]) -> str:
    """The record mode in force: ``--smsc-record-mode``, else the config's, else ``none``."""
    return str(request.config.getoption("smsc_record_mode") or smsc_vcr_config.get("record_mode")
               or DEFAULT_RECORD_MODE)


@pytest.fixture
def smsc_vcr(smsc_vcr_config: Dict[str, Any], smsc_cassette_dir: str, smsc_record_mode: str) -> "vcr.VCR":
    """A ``vcr.VCR`` with the kit's matchers, scrubbers, thread guard and record mode."""
    try:
        import vcr  # noqa: F401
    except ImportError:
        pytest.fail("smsc_vcr and smsc_cassette need vcrpy: pip install 'smsc-soap[testing]' (or vcrpy)",
                    pytrace=False)
    options = dict(smsc_vcr_config)
    options["record_mode"] = smsc_record_mode
    return make_vcr(smsc_cassette_dir, **options)


@pytest.fixture
def smsc_cassette(request: pytest.FixtureRequest, smsc_vcr: "vcr.VCR", smsc_cassette_dir: str,
                  smsc_record_mode: str) -> Iterator["vcr.cassette.Cassette"]:
    """The test's cassette, in use for the whole test; yields the ``vcr`` Cassette.

    The file is ``<smsc_cassette_dir>/<module>/<test name>.yaml``, or the name given by
    ``@pytest.mark.smsc_cassette("name.yaml", **use_cassette_options)``. In record mode
    ``none`` a missing file fails the test at once, and a request not in the file raises
    vcrpy's ``CannotOverwriteExistingCassetteException``.
    """
    marker = request.node.get_closest_marker("smsc_cassette")
    name = marker.args[0] if marker is not None and marker.args else None
    if name is None:
        module = os.path.splitext(os.path.basename(str(request.node.path)))[0]
        name = cassette_name(module, request.node.name)
    options = dict(marker.kwargs) if marker is not None else {}
    path = os.path.join(smsc_cassette_dir, name)
    mode = str(options.get("record_mode", smsc_record_mode))
    if mode == "all" and os.path.isfile(path):  # re-recording: this run's conversation, nothing older
        os.remove(path)  # vcrpy 7.0 (the newest for Python 3.9) would keep the old interactions
    if mode == "none" and not os.path.isfile(path):
        pytest.fail(f"cassette {path} does not exist and the record mode is 'none'; record it with "
                    f"pytest --smsc-record-mode=once {request.node.nodeid}", pytrace=False)
    with smsc_vcr.use_cassette(path, **options) as cassette:
        yield cassette


@pytest.fixture
def smsc_no_network(smsc_record_mode: str) -> Iterator[None]:
    """Every socket connection attempt during the test raises NetworkBlockedError, unless
    the test is recording (``--smsc-record-mode`` other than ``none``)."""
    if smsc_record_mode != "none":
        yield
        return
    with block_network():
        yield
