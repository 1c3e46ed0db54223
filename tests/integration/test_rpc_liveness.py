"""A NATS call whose answering process dies mid-call (`studio_runtime.rpc`): the caller hears it
within a few seconds, not when its whole timeout is over; a slow process that still holds the
call is waited for. The answering process is a real one, killed with SIGKILL."""

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from subprocess import PIPE, Popen

import pytest
from nats.aio.client import Client as NATS
from studio_contracts.subjects import subject
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.internal_auth import Identity
from studio_runtime.rpc import HELD_SUFFIX, Responder, RpcClient

from tests.support.apps import INTERNAL_SECRET
from tests.support.servers import nats_connection

CALL = "test-rpc.slow"
USER = Identity("user-1", "req-liveness")

# A process answering CALL that takes every call and never finishes one: it says "taken" on
# its standard output when a call reaches its handler.
_HOLDER = """
import asyncio, os, sys
import nats
from studio_runtime.rpc import Responder

async def main():
    nc = await nats.connect(os.environ["NATS_URL"])
    async def handle(identity, body):
        print("taken", flush=True)
        await asyncio.Event().wait()
    responder = Responder(nc, sys.argv[1], handle, service="test", secret=os.environ["SECRET"],
                          prefix=os.environ["PREFIX"])
    await responder.start()
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@contextmanager
def holder(nats_url: str, prefix: str) -> Iterator[Popen[str]]:
    env = {**os.environ, "NATS_URL": nats_url, "PREFIX": prefix, "SECRET": INTERNAL_SECRET}
    process = Popen([sys.executable, "-c", _HOLDER, CALL], env=env, stdout=PIPE, text=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait(10)


async def said(process: Popen[str], word: str) -> None:
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 30)
    assert line.strip() == word, line


def client(nc: NATS, prefix: str, *, probe_wait_s: float = 1.0) -> RpcClient:
    # Its own timeout is long: a failure well before it can only come from the probes.
    return RpcClient(
        nc,
        service="test",
        secret=INTERNAL_SECRET,
        ttl_s=60,
        timeout_s=120,
        prefix=prefix,
        probe_after_s=0.2,
        probe_wait_s=probe_wait_s,
    )


async def test_a_call_whose_process_is_killed_fails_without_waiting_out_its_timeout(
    nats_url: str, nats_prefix: str
) -> None:
    with holder(nats_url, nats_prefix) as process:
        await said(process, "ready")
        async with nats_connection(nats_url) as nc:
            call = asyncio.create_task(client(nc, nats_prefix).call(CALL, USER, b"{}"))
            await said(process, "taken")
            os.kill(process.pid, signal.SIGKILL)
            with pytest.raises(ServiceUnavailable, match="process that took the call is gone"):
                await asyncio.wait_for(call, 60)


async def test_a_killed_replica_is_noticed_while_another_replica_stays(
    nats_url: str, nats_prefix: str
) -> None:
    """The other replica hears the caller's question too, and stays silent: it does not hold
    the call."""
    with holder(nats_url, nats_prefix) as process:
        await said(process, "ready")
        async with nats_connection(nats_url) as nc, nats_connection(nats_url) as other_nc:
            call = asyncio.create_task(client(nc, nats_prefix).call(CALL, USER, b"{}"))
            await said(process, "taken")

            async def never(_identity: Identity, _body: bytes) -> bytes:
                raise AssertionError("the call went to one replica only")

            other = Responder(
                other_nc, CALL, never, service="test", secret=INTERNAL_SECRET, prefix=nats_prefix
            )
            await other.start()
            os.kill(process.pid, signal.SIGKILL)
            with pytest.raises(ServiceUnavailable, match="process that took the call is gone"):
                await asyncio.wait_for(call, 60)
            await other.stop()


async def test_a_slow_call_is_waited_for_while_its_process_holds_it(
    nats_url: str, nats_prefix: str
) -> None:
    questions: asyncio.Queue[bytes] = asyncio.Queue()
    async with nats_connection(nats_url) as nc, nats_connection(nats_url) as server_nc:
        # The callers' questions, heard beside the replica that answers them.
        heard = await nc.subscribe(subject(CALL, nats_prefix) + HELD_SUFFIX)

        async def listen() -> None:
            async for message in heard.messages:
                await questions.put(message.data)

        listening = asyncio.create_task(listen())

        async def slow(_identity: Identity, body: bytes) -> bytes:
            for _ in range(3):  # answered only once the caller has asked three times
                await questions.get()
            return b"done: " + body

        responder = Responder(
            server_nc, CALL, slow, service="test", secret=INTERNAL_SECRET, prefix=nats_prefix
        )
        await responder.start()
        try:
            reply = await asyncio.wait_for(
                client(nc, nats_prefix, probe_wait_s=5).call(CALL, USER, b"late"), 60
            )
        finally:
            await responder.stop()
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
    assert reply == b"done: late"
