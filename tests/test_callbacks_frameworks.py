"""The recipes of docs/callbacks.rst (docs/examples/callbacks_*.py) run in the real frameworks,
through each framework's own test client: a signed callback reaches user code once, a replay is
answered OK and dropped, a bad signature is 403 and garbage 400, and none reaches user code."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, List, Tuple

import pytest

from smsc_soap.results import DeliveryStatus

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SECRET = "recipe-secret"


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("SMSC_CALLBACK_SECRET", SECRET)
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def signed(status: str = "1", id: str = "77", phone: str = "79991234567") -> str:  # noqa: A002
    digest = hashlib.md5(f"{id}:{phone}:{status}:{SECRET}".encode()).hexdigest()
    return f"id={id}&phone={phone}&status={status}&err=0&md5={digest}"


FORM = "application/x-www-form-urlencoded"


def check(post: Any, module: ModuleType, path: str) -> None:
    """``post(path, body, content_type) -> (status, text)`` against a recipe."""
    assert post(path, signed(), FORM) == (200, "OK")
    assert post(path, signed(), FORM) == (200, "OK")  # the service's retry: answered, dropped
    assert module.delivered == [("77", "79991234567", DeliveryStatus.DELIVERED)]
    assert post(path, signed().replace("md5=", "md5=0"), FORM)[0] == 403
    assert post(path, "id=1&phone=2&status=1", FORM)[0] == 403  # unsigned
    assert post(path, "id=1&id=2", FORM)[0] in (400, 403)
    assert post(path, '{"id": {"a": 1}}', "application/json")[0] in (400, 403)
    assert module.delivered == [("77", "79991234567", DeliveryStatus.DELIVERED)]


def test_the_django_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        settings.configure(DEBUG=False, ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=__name__, SECRET_KEY="x",
                           MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"])
        import django

        django.setup()
    from django.test import Client

    module = load("callbacks_django", monkeypatch)
    global urlpatterns
    from django.urls import clear_url_caches, path

    urlpatterns = [path("smsc/callback", module.smsc_callback)]
    clear_url_caches()
    client = Client(enforce_csrf_checks=True)  # as the service posts: no CSRF token

    def post(where: str, body: str, content_type: str) -> Tuple[int, str]:
        response = client.post(where, data=body, content_type=content_type)
        return response.status_code, response.content.decode()

    check(post, module, "/smsc/callback")
    response = client.get("/smsc/callback?" + signed("3", id="78"))  # GET works too
    assert (response.status_code, module.delivered[-1]) == (200, ("78", "79991234567", DeliveryStatus.EXPIRED))


urlpatterns: List[Any] = []


def test_the_flask_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("flask")
    module = load("callbacks_flask", monkeypatch)
    client = module.app.test_client()

    def post(where: str, body: str, content_type: str) -> Tuple[int, str]:
        response = client.post(where, data=body, content_type=content_type)
        return response.status_code, response.get_data(as_text=True)

    check(post, module, "/smsc/callback")
    assert client.post("/smsc/callback", data=b"x" * (1 << 20), content_type=FORM).status_code == 413


def test_the_fastapi_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    module = load("callbacks_fastapi", monkeypatch)
    with TestClient(module.app) as client:
        def post(where: str, body: str, content_type: str) -> Tuple[int, str]:
            response = client.post(where, content=body, headers={"content-type": content_type},
                                   follow_redirects=False)
            return response.status_code, response.text

        check(post, module, "/smsc/callback")
        huge = client.post("/smsc/callback", content=b"x" * (1 << 20), headers={"content-type": FORM})
        assert huge.status_code == 413
