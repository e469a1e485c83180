"""client.track: status polls within five per message a minute, spread out, until final."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, Iterator, List, Mapping, cast

import pytest

from smsc_soap import Client, ValidationError, spec
from smsc_soap.bulk import Message, Sent
from smsc_soap.sandbox import Sandbox
from smsc_soap.track import StatusChange


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(accounts=["bulk:pw:1000"]) as sb:  # a frozen clock, moved by track's sleep
        yield sb


def test_tracks_until_final_within_the_limit_and_spread_out(sandbox: Sandbox, any_client: Any) -> None:
    phones = ["79161000001", "79161000002", "79990000020", "79161000003"]
    with any_client("bulk", "pw", url=sandbox.url) as client:
        sent = [o for o in client.send_bulk(Message(p, "hi") for p in phones) if isinstance(o, Sent)]
        pairs = [(o.id, o.phones[0]) for o in sent]
        changes: List[StatusChange] = list(client.track(pairs, timeout=3600, clock=sandbox.now,
                                                        sleep=sandbox.advance))
    last: Dict[str, StatusChange] = {c.phone: c for c in changes}
    assert set(last) == set(phones) and all(c.final for c in last.values())
    assert last["79990000020"].status is not None and last["79990000020"].status.status == 20
    assert all(c.error is None for c in changes)  # never a 9
    asked: Dict[str, List[float]] = defaultdict(list)
    for request in sandbox.requests:
        if request.operation == "get_status":
            asked[cast(Mapping[str, Any], request.params)["phone"]].append(request.at)
    for times in asked.values():
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert all(gap >= spec.STATUS_MIN_INTERVAL_SECONDS for gap in gaps)
    firsts = sorted(times[0] for times in asked.values())
    assert len(set(firsts)) == len(phones)  # not one burst: each message first asked at its own time
    assert firsts[-1] - firsts[0] < spec.STATUS_MIN_INTERVAL_SECONDS


def test_changes_are_yielded_once_each_and_the_timeout_ends_tracking(sandbox: Sandbox, any_client: Any) -> None:
    with any_client("bulk", "pw", url=sandbox.url) as client:
        result = client.send_sms("79161000001", "later", time="0" + str(int(sandbox.now()) + 7200))
        changes = list(client.track([(result.id, "79161000001")], timeout=60, clock=sandbox.now,
                                    sleep=sandbox.advance))
    assert len(changes) == 1 and not changes[0].final  # waiting, the same status each poll
    statuses = [r for r in sandbox.requests if r.operation == "get_status"]
    assert len(statuses) == 60 // spec.STATUS_MIN_INTERVAL_SECONDS


def test_an_interval_below_the_limit_is_refused(sandbox: Sandbox) -> None:
    with Client("bulk", "pw", url=sandbox.url) as client, pytest.raises(ValidationError):
        client.track([("1", "79161000001")], interval=1)
