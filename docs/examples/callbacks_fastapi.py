"""The service's callbacks in FastAPI: the package's ASGI app, on an exact path."""
import os

from fastapi import FastAPI
from starlette.routing import Route

from smsc_soap import DeliveryStatus
from smsc_soap.callbacks import Event, StatusEvent, make_asgi_app

delivered: list[tuple[str, str, DeliveryStatus]] = []


async def on_event(event: Event) -> None:
    if isinstance(event, StatusEvent) and event.final:
        delivered.append((event.id, event.phone, event.status))


app = FastAPI()
# The value after md5= in the handler URL set in the account.
app.router.routes.append(Route("/smsc/callback", make_asgi_app(on_event, secret=os.environ["SMSC_CALLBACK_SECRET"]),
                               methods=["GET", "POST"]))
