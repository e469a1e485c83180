"""Every SOAP operation as zeep reads the vendored WSDL (smsc_soap/wsdl/soap.wsdl): what the
codec (:mod:`smsc_soap._codec`, one :class:`~smsc_soap._codec.Shape` each) needs to write and
read each one without loading zeep. ``{endpoint}`` stands for the endpoint in use.

Generated from zeep's reading, do not edit: ``python scripts/codec_table.py`` writes it again.
Clients use it while WSDL_SHA256 is the vendored WSDL's; once that changed, they read the WSDL
with zeep until the table is written again. tests/test_codec.py checks it against zeep's reading.
"""
from __future__ import annotations

from typing import Any, Dict

WSDL_SHA256 = 'cf95fbc11ff8ce5d5eb6f5ce161116a1c2105f75a362dc81cf2c72af2ae61b1a'

OPERATIONS: Dict[str, Dict[str, Any]] = {
    'get_balance': {
        'request_tag': '{{endpoint}}balance',
        'request_namespace': '{endpoint}',
        'fields': (('login', True), ('psw', True)),
        'simple': True,
        'soapaction': '{endpoint}',
        'answer_tag': '{{endpoint}}BalanceResponse',
        'result_tag': 'balanceresult',
        'order': ('balance', 'error'),
        'error_fields': (),
        'readable': True,
    },
    'get_sms_cost': {
        'request_tag': '{{endpoint}}cost',
        'request_namespace': '{endpoint}',
        'fields': (('login', True), ('psw', True), ('phones', True), ('mes', True)),
        'simple': True,
        'soapaction': '{endpoint}',
        'answer_tag': '{{endpoint}}CostResponse',
        'result_tag': 'costresult',
        'order': ('cost', 'cnt', 'error'),
        'error_fields': (),
        'readable': True,
    },
    'get_sms_cost2': {
        'request_tag': '{{endpoint}}cost2',
        'request_namespace': '{endpoint}',
        'fields': (('login', True), ('psw', True), ('phones', True), ('mes', True), ('query', True)),
        'simple': True,
        'soapaction': '{endpoint}',
        'answer_tag': '{{endpoint}}Cost2Response',
        'result_tag': 'costresult',
        'order': ('cost', 'cnt', 'error'),
        'error_fields': (),
        'readable': True,
    },
    'get_status': {
        'request_tag': '{{endpoint}}status',
        'request_namespace': '{endpoint}',
        'fields': (('login', True), ('psw', True), ('phone', True), ('id', True), ('all', False)),
        'simple': True,
        'soapaction': '{endpoint}',
        'answer_tag': '{{endpoint}}StatusResponse',
        'result_tag': 'statusresult',
        'order': ('status', 'last_date', 'last_timestamp', 'err', 'error', 'send_date', 'send_timestamp', 'phone', 'cost', 'sender_id', 'status_name', 'message', 'operator', 'region'),
        'error_fields': (),
        'readable': True,
    },
    'get_status2': {
        'request_tag': '{{endpoint}}status2',
        'request_namespace': '{endpoint}',
        'fields': (('login', True), ('psw', True), ('phone', True), ('id', True), ('all', False), ('query', True)),
        'simple': True,
        'soapaction': '{endpoint}',
        'answer_tag': '{{endpoint}}Status2Response',
        'result_tag': 'statusresult',
        'order': ('status', 'last_date', 'last_timestamp', 'err', 'error', 'send_date', 'send_timestamp', 'phone', 'cost', 'sender_id', 'status_name', 'message', 'operator', 'region'),
        'error_fields': (),
        'readable': True,
    },
    'send_sms': {
        'request_tag': '{{endpoint}}send',
        'request_namespace': '{endpoint}',
        'fields': (('login', True), ('psw', True), ('phones', True), ('mes', True), ('id', False), ('sender', False), ('time', False)),
        'simple': True,
        'soapaction': '{endpoint}',
        'answer_tag': '{{endpoint}}SendResponse',
        'result_tag': 'sendresult',
        'order': ('id', 'balance', 'cost', 'cnt', 'error'),
        'error_fields': (),
        'readable': True,
    },
    'send_sms2': {
        'request_tag': '{{endpoint}}send2',
        'request_namespace': '{endpoint}',
        'fields': (('login', True), ('psw', True), ('phones', True), ('mes', True), ('id', False), ('sender', False), ('time', False), ('query', False)),
        'simple': True,
        'soapaction': '{endpoint}',
        'answer_tag': '{{endpoint}}Send2Response',
        'result_tag': 'sendresult',
        'order': ('id', 'balance', 'cost', 'cnt', 'error', 'errors'),
        'error_fields': ('phone', 'status'),
        'readable': True,
    },
}
