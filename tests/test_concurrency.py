"""One Client shared by 16 threads: 1,008 mixed calls, every answer matched to its own request.

Each answer carries something only its own request could produce: a send returns the id that
request carried; a cost is the price of that request's number times its own number of parts;
a status (all=1) returns that message's own text and number. The sandbox's balance limit (ten a
minute) is met by moving its clock 6.1 s before each balance call, the calls taking turns.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Dict, List, Tuple

import pytest

from smsc_soap import Client, RetryPolicy
from smsc_soap.sandbox import Account, Sandbox

THREADS = 16
CALLS_PER_THREAD = 63
#: number -> the sandbox's price of one part (its assumptions: +7 2.00, +77 3.00, +380 1.50)
PRICES = {"79991112233": Decimal("2.00"), "77011234567": Decimal("3.00"), "380501234567": Decimal("1.50")}
PHONES = list(PRICES)
#: text of 1, 2 and 3 SMS parts (160 / 153 Latin characters per part)
TEXTS = {1: "x" * 10, 2: "y" * 200, 3: "z" * 400}
START = Decimal("100000.00")


def _own(phone: str, thread: int) -> str:
    """``phone`` with the thread's own last two digits: a few hundred sends to three numbers would
    meet the flood rule (004:284-286: past 50 in a row to one subscriber), which is not this test's."""
    return phone[:-2] + f"{thread:02d}"


def _price(phone: str) -> Decimal:
    return next(price for number, price in PRICES.items() if phone[:-2] == number[:-2])


def test_sixteen_threads_share_one_client(caplog: pytest.LogCaptureFixture) -> None:
    with Sandbox([Account("alex", "123", START)]) as sb:
        # No read retries: a glitch must fail the test, not hide behind a second attempt.
        client = Client("alex", "123", url=sb.url, timeout=20.0, retry=RetryPolicy(attempts=1))
        balance_turn = threading.Lock()
        balances: List[Decimal] = []

        def worker(thread: int) -> Dict[str, Tuple[str, str]]:
            sent: Dict[str, Tuple[str, str]] = {}  # id -> (phone, mes)
            unasked: List[str] = []
            for call in range(CALLS_PER_THREAD):
                kind = ("send", "cost", "status", "balance")[(thread + call) % 4]
                phone = _own(PHONES[(thread * 7 + call) % 3], thread)
                if kind == "status" and not unasked:
                    kind = "send"
                if kind == "send":
                    message_id, mes = f"t{thread}-c{call}", f"thread {thread} call {call} to {phone}"
                    result = client.send_sms(phone, mes, id=message_id)
                    assert (result.id, result.cnt) == (message_id, 1)
                    sent[message_id] = (phone, mes)
                    unasked.append(message_id)
                elif kind == "cost":
                    parts = 1 + (thread + call) % 3
                    cost = client.get_sms_cost(phone, TEXTS[parts])
                    assert (cost.cost, cost.cnt) == (_price(phone) * parts, parts)
                elif kind == "status":
                    message_id = unasked.pop(0)
                    status = client.get_status(sent[message_id][0], message_id, all=1)
                    assert (status.phone, status.message) == sent[message_id]
                else:
                    with balance_turn:
                        sb.advance(6.1)
                        balances.append(client.get_balance().balance)
            return sent

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(worker, range(THREADS)))

        sent = {message_id: pair for result in results for message_id, pair in result.items()}
        messages = sb.messages
        assert THREADS * CALLS_PER_THREAD == 1008
        assert len(messages) == len(sent) > 200  # one message per send: none lost, none doubled
        assert {m.id: (m.phone, m.mes) for m in messages} == sent
        spent = sum((_price(phone) for phone, _ in sent.values()), Decimal("0"))
        assert sb.balance() == START - spent
        assert len(balances) > 200 and balances == sorted(balances, reverse=True)
        assert balances[0] <= START and balances[-1] >= sb.balance()
        assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
