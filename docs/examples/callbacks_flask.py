"""The service's callbacks in Flask: one route."""
import os

from flask import Flask, Response, request

from smsc_soap import spec
from smsc_soap import DeliveryStatus
from smsc_soap.callbacks import Event, Receiver, StatusEvent

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = spec.CALLBACK_MAX_BODY_BYTES  # a bigger body gets 413 unread
# The value after md5= in the handler URL set in the account.
receiver = Receiver(secret=os.environ["SMSC_CALLBACK_SECRET"])
delivered: list[tuple[str, str, DeliveryStatus]] = []


def on_event(event: Event) -> None:
    if isinstance(event, StatusEvent) and event.final:
        delivered.append((event.id, event.phone, event.status))


@app.route("/smsc/callback", methods=["GET", "POST"])
def smsc_callback() -> Response:
    answer = receiver.handle(on_event, request.method, request.query_string, request.get_data(),
                             request.content_type or "")
    return Response(answer.body, status=answer.status, content_type="text/plain; charset=utf-8")
