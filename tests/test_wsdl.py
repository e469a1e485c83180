"""The vendored WSDL is the live one, element for element (../shared/spec/wsdl-evidence.md)."""
from __future__ import annotations

from importlib import resources

import pytest
from lxml import etree

from smsc_soap._wsdl import VENDORED_NAMESPACE, endpoint_url, wsdl_for
from smsc_soap._zeep import wsdl_document

XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
NSMAP = {"xsd": XSD, "wsdl": WSDL, "soap": SOAP}

SEND = [("login", "1", "1"), ("psw", "1", "1"), ("phones", "1", "1"), ("mes", "1", "1"),
        ("id", "0", "1"), ("sender", "0", "1"), ("time", "0", "1")]
STATUS_RESULT = [(name, "0", "1") for name in (
    "status", "last_date", "last_timestamp", "err", "error", "send_date", "send_timestamp", "phone",
    "cost", "sender_id", "status_name", "message", "operator", "region")]

# Declaration order, and for each: the children (name, minOccurs, maxOccurs), all xsd:string
# unless a type is given. Transcribed from the evidence file's tables.
EXPECTED_SCHEMA = [
    ("element", "balance", [("login", "1", "1"), ("psw", "1", "1")]),
    ("complexType", "BalanceResponseType", [("balance", "0", "1"), ("error", "0", "1")]),
    ("element", "BalanceResponse", [("balanceresult", "1", "1", "tns:BalanceResponseType")]),
    ("element", "send", SEND),
    ("complexType", "SendResponseType", [(n, "0", "1") for n in ("id", "balance", "cost", "cnt", "error")]),
    ("element", "SendResponse", [("sendresult", "1", "1", "tns:SendResponseType")]),
    ("element", "send2", SEND + [("query", "0", "1")]),
    ("complexType", "Error", [("phone", "1", "1"), ("status", "1", "1")]),
    ("complexType", "Send2ResponseType", [(n, "0", "1") for n in ("id", "balance", "cost", "cnt", "error")]
     + [("errors", "0", "unbounded", "tns:Error")]),
    ("element", "Send2Response", [("sendresult", "1", "1", "tns:Send2ResponseType")]),
    ("element", "cost", [(n, "1", "1") for n in ("login", "psw", "phones", "mes")]),
    ("complexType", "CostResponseType", [(n, "0", "1") for n in ("cost", "cnt", "error")]),
    ("element", "CostResponse", [("costresult", "1", "1", "tns:CostResponseType")]),
    ("element", "cost2", [(n, "1", "1") for n in ("login", "psw", "phones", "mes", "query")]),
    ("complexType", "Cost2ResponseType", [(n, "0", "1") for n in ("cost", "cnt", "error")]),
    ("element", "Cost2Response", [("costresult", "1", "1", "tns:Cost2ResponseType")]),
    ("element", "status", [("login", "1", "1"), ("psw", "1", "1"), ("phone", "1", "1"), ("id", "1", "1"),
                           ("all", "0", "1")]),
    ("complexType", "StatusResponseType", STATUS_RESULT),
    ("element", "StatusResponse", [("statusresult", "1", "1", "tns:StatusResponseType")]),
    ("element", "status2", [("login", "1", "1"), ("psw", "1", "1"), ("phone", "1", "1"), ("id", "1", "1"),
                            ("all", "0", "1"), ("query", "1", "1")]),
    ("complexType", "Status2ResponseType", STATUS_RESULT),
    ("element", "Status2Response", [("statusresult", "1", "1", "tns:Status2ResponseType")]),
]
OPERATIONS = [("get_balance", "Balance", "balance", "BalanceResponse"),
              ("send_sms", "Send", "send", "SendResponse"),
              ("send_sms2", "Send2", "send2", "Send2Response"),
              ("get_sms_cost", "Cost", "cost", "CostResponse"),
              ("get_sms_cost2", "Cost2", "cost2", "Cost2Response"),
              ("get_status", "Status", "status", "StatusResponse"),
              ("get_status2", "Status2", "status2", "Status2Response")]


def _find(element: etree._Element, path: str) -> etree._Element:
    """``element.find(path, NSMAP)``, which the test needs to be there."""
    found = element.find(path, NSMAP)
    assert found is not None, path
    return found


@pytest.fixture(scope="module")
def root() -> etree._Element:
    # The copy installed with the package, which is what the client uses.
    return etree.fromstring(resources.files("smsc_soap.wsdl").joinpath("soap.wsdl").read_bytes())


def test_schema_declares_every_element_and_type_in_order(root: etree._Element) -> None:
    schema = root.find("wsdl:types/xsd:schema", NSMAP)
    assert schema is not None
    assert schema.get("targetNamespace") == VENDORED_NAMESPACE
    assert schema.get("elementFormDefault") is None  # children travel unqualified
    found = []
    for decl in schema:
        kind = etree.QName(decl).localname
        sequence = decl.find("xsd:complexType/xsd:sequence" if kind == "element" else "xsd:sequence", NSMAP)
        assert sequence is not None
        children = []
        for child in sequence:
            entry = (child.get("name"), child.get("minOccurs"), child.get("maxOccurs"))
            children.append(entry if child.get("type") == "xsd:string" else entry + (child.get("type"),))
        found.append((kind, decl.get("name"), children))
    assert found == EXPECTED_SCHEMA


def test_messages_porttype_binding_service(root: etree._Element) -> None:
    messages = [(m.get("name"), _find(m, "wsdl:part").get("name"), _find(m, "wsdl:part").get("element"))
                for m in root.findall("wsdl:message", NSMAP)]
    assert messages == [item for _, m, i, o in OPERATIONS
                        for item in ((f"{m}In", "parameters", f"tns:{i}"), (f"{m}Out", "parameters", f"tns:{o}"))]

    port_type = root.find("wsdl:portType", NSMAP)
    assert port_type is not None
    assert port_type.get("name") == "ServiceSoap"
    assert [(op.get("name"), _find(op, "wsdl:input").get("message"), _find(op, "wsdl:output").get("message"))
            for op in port_type] == [(op, f"tns:{m}In", f"tns:{m}Out") for op, m, _, _ in OPERATIONS]

    binding = root.find("wsdl:binding", NSMAP)
    assert binding is not None
    assert (binding.get("name"), binding.get("type")) == ("ServiceSoap", "tns:ServiceSoap")
    assert _find(binding, "soap:binding").get("transport") == "http://schemas.xmlsoap.org/soap/http"
    operations = binding.findall("wsdl:operation", NSMAP)
    assert [op.get("name") for op in operations] == [op for op, *_ in OPERATIONS]
    for op in operations:
        soap_op = op.find("soap:operation", NSMAP)
        assert soap_op is not None
        assert (soap_op.get("soapAction"), soap_op.get("style")) == (VENDORED_NAMESPACE, "document")
        assert [b.get("use") for b in op.findall("*/soap:body", NSMAP)] == ["literal", "literal"]
        assert op.find("wsdl:fault", NSMAP) is None and op.find("*/soap:header", NSMAP) is None

    service = root.find("wsdl:service", NSMAP)
    assert service is not None
    port = service.find("wsdl:port", NSMAP)
    assert port is not None
    assert (service.get("name"), port.get("name"), port.get("binding")) == ("Service", "ServiceSoap", "tns:ServiceSoap")
    assert _find(port, "soap:address").get("location") == VENDORED_NAMESPACE


def test_definitions_declare_the_live_prefixes(root: etree._Element) -> None:
    assert set(root.nsmap) == {"soap", "soapenc", "mime", "tns", "xsd", "http", "wsdl"}
    assert root.nsmap["tns"] == root.get("targetNamespace") == VENDORED_NAMESPACE


@pytest.mark.parametrize("endpoint", ["https://smsc.kz/sys/soap.php", "http://127.0.0.1:8000/sys/soap.php"])
def test_every_url_in_the_wsdl_follows_the_endpoint(endpoint: str) -> None:
    text = wsdl_for(endpoint).decode()
    assert VENDORED_NAMESPACE not in text
    tree = etree.fromstring(wsdl_for(endpoint))
    assert tree.get("targetNamespace") == endpoint
    actions = {op.get("soapAction") for op in tree.iterfind(".//soap:operation", NSMAP)}
    assert actions == {endpoint}
    assert _find(tree, ".//soap:address").get("location") == endpoint


def test_the_wsdl_is_parsed_once_per_endpoint() -> None:
    kz, ua = endpoint_url(host="smsc.kz"), endpoint_url(host="smsc.ua")
    assert wsdl_document(kz) is wsdl_document(kz)
    assert wsdl_document(kz) is not wsdl_document(ua)
    assert wsdl_document(ua).services["Service"].ports["ServiceSoap"].binding_options["address"] == ua
