import pytest

import smsc_soap
from smsc_soap.sandbox import Sandbox


@pytest.mark.smsc_sandbox(accounts=["shop:secret:50"], senders=["SHOP"])
def test_order_confirmation(smsc_sandbox: Sandbox) -> None:
    client = smsc_soap.Client(login="shop", psw="secret", url=smsc_sandbox.url)
    client.send_sms("79991234567", "Order 17 confirmed", sender="SHOP")
    smsc_sandbox.advance(10)
    [message] = smsc_sandbox.messages
    assert (message.phone, message.text, message.status) == ("79991234567", "Order 17 confirmed", 1)
