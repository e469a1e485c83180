"""The service's callbacks in Django: one view (urls.py: path("smsc/callback", smsc_callback))."""
import os

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from smsc_soap import DeliveryStatus
from smsc_soap.callbacks import Event, Receiver, StatusEvent

# The value after md5= in the handler URL set in the account.
receiver = Receiver(secret=os.environ["SMSC_CALLBACK_SECRET"])
delivered: list[tuple[str, str, DeliveryStatus]] = []


def on_event(event: Event) -> None:
    if isinstance(event, StatusEvent) and event.final:
        delivered.append((event.id, event.phone, event.status))


def callback_view(request: HttpRequest) -> HttpResponse:
    answer = receiver.handle(on_event, request.method or "GET", request.META.get("QUERY_STRING", ""),
                             request.body, request.content_type or "")
    return HttpResponse(answer.body, status=answer.status, content_type="text/plain; charset=utf-8")


# The service posts without Django's CSRF token: the signature protects the view.
smsc_callback = csrf_exempt(callback_view)
