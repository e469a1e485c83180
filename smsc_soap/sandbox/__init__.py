"""A local SMSC SOAP service with the documented semantics, for demos and offline tests.

    from smsc_soap.sandbox import Sandbox

    with Sandbox() as sb:               # demo account alex / 123, balance 100.00
        client = zeep.Client(sb.wsdl_url)
        client.service.send_sms(login="alex", psw="123", phones="79999999999", mes="Hi")
        sb.advance(10)                  # the message is delivered
        assert sb.messages[0].status == 1

What the service's pages state is followed; everything else is a named assumption in
:mod:`smsc_soap.sandbox.assumptions`.
"""
from .faults import KINDS as FAULT_KINDS, Fault
from .sandbox import Sandbox
from .server import RecordedRequest
from .service import Account, SentMessage

__all__ = ["Sandbox", "Account", "SentMessage", "RecordedRequest", "Fault", "FAULT_KINDS"]
