"""A client made before ``fork`` and used on both sides of it (multiprocessing's fork start method,
gunicorn's ``--preload``, a Celery or uWSGI worker forked after import): each process gets its own
answers, and a child never waits for a lock or a slot that a thread of its parent held."""
from __future__ import annotations

import os
import socket
import threading
import time
from typing import List, Tuple

import pytest
from support.processes import Child, held_by_another_thread
from support.resolver import Resolver, named
from support.servers import Answer, Responder, soap_answer

import smsc_soap
from smsc_soap._resolve import RESOLVING_THREADS
from smsc_soap.bulk import Sent
from smsc_soap.limits import InMemoryLimits
from smsc_soap.sandbox import Sandbox

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform"),
    # The point of these tests: a process that has threads forks. Python warns that the child
    # may deadlock on a lock a thread held; the client's own locks are what they check.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

def sends_with_own_ids(client: smsc_soap.Client, who: str, count: int) -> List[Tuple[str, str]]:
    """(id sent, id answered) of each of ``count`` sends whose answer did not carry its own id."""
    wrong = []
    for i in range(count):
        mine = f"{who}{i}"
        answered = str(client.send_sms(f"7916100{i:04d}", "Your code is 1234", id=mine).id)
        if answered != mine:
            wrong.append((mine, answered))
    return wrong


def test_parent_and_child_each_get_their_own_answers() -> None:
    """Before: the child took its parent's pooled connection, the two processes wrote to one
    socket, and each read answers meant for the other (a message id reported by the wrong
    process, in 1 to 62 of 100 sends)."""
    with Sandbox(["alex:123:1000000"]) as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, timeout=10)
        assert client.get_balance().balance > 0  # the parent now holds a pooled connection
        child = Child(lambda: sends_with_own_ids(client, "child", 60))
        parent_wrong = sends_with_own_ids(client, "parent", 60)
        child_wrong = child.result()
        assert parent_wrong == [] and child_wrong == []
        assert len(sb.messages) == 120


def test_a_child_opens_its_own_connection_and_the_parent_keeps_its_own() -> None:
    with Responder(keep_alive=True) as server:
        server.default = Answer(soap_answer(server.url, "get_balance", "<balance>10.00</balance>"))
        client = smsc_soap.Client("alex", "123", url=server.url, timeout=10)
        client.get_balance()
        parent_first = server.requests[-1].peer
        assert str(Child(lambda: client.get_balance().balance).result()) == "10.00"
        child_peer = server.requests[-1].peer
        client.get_balance()
        parent_again = server.requests[-1].peer
        assert child_peer != parent_first  # a connection of its own
        assert parent_again == parent_first  # the parent's connection, untouched, still in use


def test_a_child_does_not_wait_for_the_limits_lock_a_parent_thread_held() -> None:
    with Sandbox() as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, timeout=3)
        limits = client.limits
        assert isinstance(limits, InMemoryLimits)
        with held_by_another_thread(limits.lock):
            assert Child(lambda: str(client.send_sms("79161000001", "hi").id)).result()


def test_a_child_does_not_wait_for_the_cookie_jar_lock_a_parent_thread_held() -> None:
    """requests takes the session's cookie jar lock on every answer it reads."""
    with Sandbox() as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, timeout=3)
        with held_by_another_thread(client._session.cookies._cookies_lock):  # type: ignore[attr-defined]
            assert Child(lambda: str(client.get_balance().balance)).result()
        assert client.get_balance().balance  # the parent's jar, untouched


def test_a_child_gets_every_slot_though_parent_threads_held_them() -> None:
    """Slots of the login and send_bulk's slots, held by threads
    of the parent at the fork: those threads do not exist in the child, nor do their requests."""
    with Sandbox() as sb:
        limits = InMemoryLimits(concurrency=1)
        client = smsc_soap.Client("alex", "123", url=sb.url, timeout=3, limits=limits)
        held, done = threading.Event(), threading.Event()
        bulk_slots = client.bulk_slots

        def hold_every_slot() -> None:
            with limits.slot(client._account, 5.0):
                taken = 0
                while bulk_slots.acquire(blocking=False):
                    taken += 1
                held.set()
                done.wait(30)
                for _ in range(taken):
                    bulk_slots.release()

        holder = threading.Thread(target=hold_every_slot)
        holder.start()
        try:
            held.wait(5)

            def send() -> List[str]:
                outcomes = list(client.send_bulk([("79161000001", "hi"), ("79161000002", "hi")]))
                return [type(outcome).__name__ for outcome in outcomes] + [str(client.send_sms("79161000003", "hi").id)]

            kinds = Child(send).result()
            assert isinstance(kinds, list)
            assert kinds[:2] == [Sent.__name__, Sent.__name__] and kinds[2]
        finally:
            done.set()
            holder.join()
        assert client.send_sms("79161000004", "hi").id  # and the parent's slots came back as they were


def test_a_child_does_not_wait_for_the_module_locks_parent_threads_held() -> None:
    """The transport's lock on which exchange owns a connection (taken by every request), and the
    lock under which zeep's client is made once per endpoint."""
    from smsc_soap import _zeep
    from smsc_soap._sync import transport

    with Sandbox() as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, timeout=3)
        with held_by_another_thread(transport._OWNER_LOCK), held_by_another_thread(_zeep._LOCK):
            assert Child(lambda: (str(client.get_balance().balance),
                                  _zeep.client_for(client.endpoint) is not None)).result() == ("100.00", True)


def test_a_child_resolves_names_though_parent_threads_were_stuck_resolving(resolver: Resolver) -> None:
    """Every resolving thread of the parent was waiting for a stalled name at the fork; none of
    them exists in the child, which resolves with threads of its own."""
    with Sandbox() as sb:
        for number in range(RESOLVING_THREADS):  # each name leaves a resolving thread waiting
            stalled = smsc_soap.Client("alex", "123", url=named(sb.url, f"n{number}.{resolver.stalled}"),
                                       timeout=0.5)
            with pytest.raises(smsc_soap.TimeoutError):
                stalled.get_balance()
        assert len([t for t in threading.enumerate() if t.name == "smsc-soap-resolve"]) == RESOLVING_THREADS
        resolver.resolve("sandbox.test", "127.0.0.1")
        client = smsc_soap.Client("alex", "123", url=named(sb.url, "sandbox.test"), timeout=3)
        assert Child(lambda: str(client.get_balance().balance)).result()


def test_a_child_stopping_its_copy_of_a_sandbox_leaves_the_parents_serving() -> None:
    """A ``with Sandbox()`` block left in a forked child: its stop() waited for a serving thread
    that does not exist in the child, for ever (the child was killed after 8 s by hand)."""
    with Sandbox() as sb:
        client = smsc_soap.Client("alex", "123", url=sb.url, timeout=5)
        client.get_balance()  # a connection of the parent's, open at the fork
        def stop_in_child() -> str:
            sb.stop()
            return "stopped"
        assert Child(stop_in_child).result() == "stopped"
        assert client.get_balance().balance > 0  # the parent's sandbox and connection still serve


def test_a_stopped_sandboxs_port_refuses_connections_though_a_child_lives() -> None:
    """The child's copy of the listening socket is closed at the fork: before, connections to the
    port of a stopped sandbox were taken in by that copy, and never answered, while the child lived."""
    with Sandbox() as sb:
        port = int(sb.url.split(":")[2].split("/")[0])
        child = Child(lambda: time.sleep(3))  # alive after the sandbox has stopped
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        child.result()
