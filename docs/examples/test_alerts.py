import os

import pytest

import smsc_soap
from smsc_soap import SendResult


def send_alert(client: smsc_soap.Client, phone: str, text: str) -> SendResult:  # your code, which calls smsc_soap.Client
    return client.send_sms(phone, text)


@pytest.fixture
def client() -> smsc_soap.Client:
    # The password is needed only to record: passwords are not matched in replay.
    # SMSC_URL unset means the service itself, https://smsc.ru/sys/soap.php.
    return smsc_soap.Client(login=os.environ.get("SMSC_LOGIN", "alex"),
                            psw=os.environ.get("SMSC_PASSWORD", "replaying"),
                            url=os.environ.get("SMSC_URL"))


def test_alert_is_sent(client: smsc_soap.Client, smsc_cassette: object, smsc_no_network: None) -> None:
    result = send_alert(client, "79991234567", "Disk full")
    assert result.cnt == 1


@pytest.mark.smsc_cassette("alerts/unknown_message.yaml")
def test_status_of_an_unknown_message(client: smsc_soap.Client, smsc_cassette: object,
                                      smsc_no_network: None) -> None:
    with pytest.raises(smsc_soap.MessageNotFound):
        client.get_status("79991234567", "no-such-id")
