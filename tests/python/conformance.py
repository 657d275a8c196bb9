#!/usr/bin/env python3
"""Conformance cases for the "Conformance" hub (shared/conformance/CONTRACT.md),
run with the `pysignalr` client (pinned in tests/python/requirements.txt).

    .venv/bin/python tests/python/conformance.py \
        --url http://127.0.0.1:PORT/hubs/conformance --protocol json|messagepack

Prints one line per case (`ok   <name>`, `FAIL <name>: <reason>` or
`skip <name>: <reason>`) and a last line `N passed, M failed[, K skipped]`.
Exits 0 only when nothing failed. Every case is bounded by a timeout.

pysignalr's public API, as used here (pysignalr 1.3.3):

* `SignalRClient(url, protocol=JSONProtocol() | MessagepackProtocol())`;
  `await client.run()` negotiates (POST {url}/negotiate, no negotiateVersion),
  connects over WebSockets and then processes messages until cancelled; it
  reconnects by itself. `client.on_open(cb)` fires once connected.
* `client.on(name, async cb)`: `cb(arguments_list)`; when the server's
  invocation has an invocationId and `cb` returns a non-None value, that value
  goes back as the client result (CompletionMessage).
* `client.send(name, args)` is fire-and-forget (no invocationId);
  `client.send(name, args, on_invocation=async cb)` attaches an invocationId and
  calls `cb(CompletionMessage)` with `.result` / `.error` (an invoke).
  An error completion also goes to the global `client.on_error(cb)`, which must
  be set, or pysignalr raises inside its receive loop.
* `client.stream(name, args, on_next, on_complete, on_error)`: server-to-client
  stream; `on_next(item)`, `on_complete(CompletionMessage)`,
  `on_error(CompletionMessage)`. It returns nothing: there is no handle to
  cancel the stream.
* `async with client.client_stream(name) as s: await s.send(item)`: upload
  stream; the invocation carries no invocationId, so the hub method's result
  (e.g. Sum's) never comes back.

The two things the public API cannot do (read an upload's result, cancel a
server stream) are covered with pysignalr's own message classes sent through
its transport (cases marked "via pysignalr internals"); pass
`--public-api-only` to skip those instead.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

try:
    from pysignalr.client import SignalRClient
    from pysignalr.exceptions import ConnectionError as PySignalRConnectionError
    from pysignalr.messages import (
        CancelInvocationMessage,
        CompletionClientStreamMessage,
        CompletionMessage,
        InvocationClientStreamMessage,
        StreamItemMessage,
    )
    from pysignalr.protocol.json import JSONProtocol
    from pysignalr.protocol.messagepack import MessagepackProtocol
except ImportError as exc:  # pragma: no cover - environment problem
    print(f"error: pysignalr is not installed ({exc}); run scripts/setup-peers "
          "and use .venv/bin/python", file=sys.stderr)
    sys.exit(2)

CASE_TIMEOUT = 10.0
CONNECT_TIMEOUT = 8.0  # below CASE_TIMEOUT, so a dead server reads as such
STOP_TIMEOUT = 5.0


class CaseFailure(Exception):
    pass


class Skip(Exception):
    pass


class HubInvocationError(Exception):
    """An error completion from the server."""


def fail(message: str) -> None:
    raise CaseFailure(message)


def show(value: Any, limit: int = 120) -> str:
    s = repr(value)
    return s if len(s) <= limit else f"{s[:limit]}... ({len(s)} chars)"


def expect_equal(actual: Any, expected: Any, what: str = "result") -> None:
    if type(actual) is bool or type(expected) is bool:
        same = type(actual) is type(expected) and actual == expected
    else:
        same = actual == expected
    if not same:
        fail(f"{what}: expected {show(expected)}, got {show(actual)}")


_unique = 0


def unique(prefix: str) -> str:
    global _unique
    _unique += 1
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{_unique}"


class Inbox:
    """Values delivered by a callback, awaited with a predicate."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()

    def push(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    def has(self, pred: Callable[[Any], bool]) -> bool:
        return any(pred(i) for i in self.items)

    async def wait(self, pred: Callable[[Any], bool], timeout: float, what: str) -> Any:
        async def loop() -> Any:
            while True:
                for item in self.items:
                    if pred(item):
                        return item
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(loop(), timeout)
        except asyncio.TimeoutError:
            fail(f"timed out after {timeout:g} s ({what})")


# ---------------------------------------------------------------- connections


class Peer:
    """One pysignalr connection, run as a background task."""

    def __init__(self, url: str, protocol: str, handlers: dict[str, Callable[[list], Awaitable[Any]]] | None = None):
        proto = MessagepackProtocol() if protocol == "messagepack" else JSONProtocol()
        self.client = SignalRClient(
            url,
            protocol=proto,
            connection_timeout=int(CONNECT_TIMEOUT),
            retry_count=1,
        )
        self.errors: list[CompletionMessage] = []
        self._opened = asyncio.Event()
        self._task: asyncio.Task | None = None

        async def on_open() -> None:
            self._opened.set()

        async def on_error(message: CompletionMessage) -> None:
            # pysignalr requires a global error callback; the per-call callbacks
            # below receive the same CompletionMessage and report the error.
            self.errors.append(message)

        self.client.on_open(on_open)
        self.client.on_error(on_error)
        for name, handler in (handlers or {}).items():
            self.client.on(name, handler)

    async def start(self) -> Peer:
        self._task = asyncio.ensure_future(self.client.run())
        opened = asyncio.ensure_future(self._opened.wait())
        try:
            done, _ = await asyncio.wait({self._task, opened}, timeout=CONNECT_TIMEOUT,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            opened.cancel()
        if self._opened.is_set():
            return self
        if self._task in done:
            exc = self._task.exception()
            if isinstance(exc, PySignalRConnectionError):
                reason = f"negotiate answered HTTP {exc.status}"
            else:
                reason = f"{type(exc).__name__}: {exc}" if exc else "client stopped"
        else:
            reason = f"timed out after {CONNECT_TIMEOUT:g} s"
        await self.stop()
        raise CaseFailure(f"could not connect: {reason}")

    @property
    def connected(self) -> bool:
        return self._opened.is_set() and self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT)

    async def invoke(self, method: str, *args: Any) -> Any:
        """An invocation with an invocationId; returns the result or raises
        HubInvocationError with the server's error text."""
        fut: asyncio.Future = asyncio.get_running_loop().create_future()

        async def on_completion(message: CompletionMessage) -> None:
            if fut.done():
                return
            if message.error:
                fut.set_exception(HubInvocationError(message.error))
            else:
                fut.set_result(message.result)

        await self.client.send(method, list(args), on_invocation=on_completion)
        return await fut

    async def send(self, method: str, *args: Any) -> None:
        await self.client.send(method, list(args))

    async def stream(self, method: str, *args: Any) -> list[Any]:
        """A server stream collected to its end; raises on an error completion."""
        items: list[Any] = []
        fut: asyncio.Future = asyncio.get_running_loop().create_future()

        async def on_next(item: Any) -> None:
            items.append(item)

        async def on_complete(message: CompletionMessage) -> None:
            if not fut.done():
                fut.set_result(items)

        async def on_error(message: Any) -> None:
            if not fut.done():
                fut.set_exception(HubInvocationError(getattr(message, "error", None) or repr(message)))

        await self.client.stream(method, list(args), on_next=on_next, on_complete=on_complete, on_error=on_error)
        return await fut


async def expect_reject(coro: Awaitable[Any], what: str) -> HubInvocationError:
    try:
        value = await coro
    except HubInvocationError as exc:
        return exc
    fail(f"{what}: expected an error completion, got result {show(value)}")
    raise AssertionError  # unreachable


# ---------------------------------------------------------------- cases


class Suite:
    def __init__(self, url: str, protocol: str, public_api_only: bool):
        self.url = url
        self.protocol = protocol
        self.msgpack = protocol == "messagepack"
        self.public_api_only = public_api_only
        self.main: Peer | None = None
        self.peers: list[Peer] = []
        self.notified = Inbox()
        self.answers: list[str] = []
        self.cases: list[tuple[str, Callable[[], Awaitable[None]]]] = []

    # --- connections
    async def connect(self, handlers: dict[str, Callable[[list], Awaitable[Any]]] | None = None) -> Peer:
        peer = Peer(self.url, self.protocol, handlers)
        self.peers.append(peer)
        return await peer.start()

    async def close(self, peer: Peer) -> None:
        await peer.stop()
        if peer in self.peers:
            self.peers.remove(peer)

    async def main_peer(self) -> Peer:
        if self.main is not None and self.main.connected:
            return self.main
        if self.main is not None:
            await self.close(self.main)
            self.main = None

        async def notified(args: list) -> None:
            self.notified.push(args[0])

        async def answer(args: list) -> str:
            self.answers.append(args[0])
            return "answer:" + args[0]

        self.main = await self.connect({"Notified": notified, "Answer": answer})
        return self.main

    def case(self, name: str):
        def register(fn: Callable[[], Awaitable[None]]):
            self.cases.append((name, fn))
            return fn
        return register

    # --- the cases
    def define(self) -> None:  # noqa: C901 - a flat list of cases
        case = self.case

        @case("connect (negotiate + handshake)")
        async def _() -> None:
            await self.main_peer()

        echo_cases = [
            ("Echo ASCII", "hello, world"),
            ("Echo Unicode (accents, CJK, RTL, emoji)", "héllo wörld — 日本語 — مرحبا — 🎉👩‍💻🏳️‍🌈 — \x00nul"),
            ("Echo empty string", ""),
            ("Echo 20,000-char string", "".join(chr(33 + i % 94) for i in range(20_000))),
        ]
        for name, text in echo_cases:
            def make(text: str = text):
                async def run() -> None:
                    c = await self.main_peer()
                    expect_equal(await c.invoke("Echo", text), text)
                return run
            self.cases.append((name, make()))

        @case("Add 2 + 3")
        async def _() -> None:
            c = await self.main_peer()
            expect_equal(await c.invoke("Add", 2, 3), 5)

        @case("Add negatives -7 + -8")
        async def _() -> None:
            c = await self.main_peer()
            expect_equal(await c.invoke("Add", -7, -8), -15)

        @case("Add overflow 2147483647 + 1 rejects")
        async def _() -> None:
            c = await self.main_peer()
            await expect_reject(c.invoke("Add", 2147483647, 1), "Add(2147483647, 1)")
            expect_equal(await c.invoke("Add", 1, 1), 2, "Add after overflow")

        @case("EchoPerson (nickname null)")
        async def _() -> None:
            c = await self.main_peer()
            person = {"name": "Ada", "age": 36, "tags": ["math", "engines"], "nickname": None}
            expect_equal(await c.invoke("EchoPerson", person), {**person, "age": 37})

        @case("EchoPerson (nickname set, Unicode, empty tags)")
        async def _() -> None:
            c = await self.main_peer()
            person = {"name": "Grâce 🌟", "age": 0, "tags": [], "nickname": "Amazing Grace"}
            expect_equal(await c.invoke("EchoPerson", person), {**person, "age": 1})

        @case("Fail rejects with the message")
        async def _() -> None:
            c = await self.main_peer()
            text = unique("boom")
            err = await expect_reject(c.invoke("Fail", text), "Fail")
            if text not in str(err):
                fail(f"error {show(str(err))} does not contain {show(text)}")
            expect_equal(await c.invoke("Echo", "after-fail"), "after-fail", "Echo after Fail")

        @case("Notify via send -> Notified callback")
        async def _() -> None:
            c = await self.main_peer()
            text = unique("notify")
            await c.send("Notify", text)
            await self.notified.wait(lambda t: t == text, 5, "waiting for Notified")

        @case("Counter stream yields 0..count")
        async def _() -> None:
            c = await self.main_peer()
            expect_equal(await c.stream("Counter", 5, 10), [0, 1, 2, 3, 4], "stream items")

        @case("Counter stream with count 0 completes empty")
        async def _() -> None:
            c = await self.main_peer()
            expect_equal(await c.stream("Counter", 0, 10), [], "stream items")

        @case("CounterCancelled false after a completed stream")
        async def _() -> None:
            c = await self.main_peer()
            await c.stream("Counter", 3, 1)
            expect_equal(await c.invoke("CounterCancelled"), False, "CounterCancelled")

        @case("Counter cancellation -> CounterCancelled true (via pysignalr internals)")
        async def _() -> None:
            if self.public_api_only:
                raise Skip("pysignalr's stream() returns no handle and sends no CancelInvocation")
            c = await self.connect()
            try:
                client = c.client
                items: list[int] = []
                two = asyncio.Event()

                async def on_next(item: Any) -> None:
                    items.append(item)
                    if len(items) >= 2:
                        two.set()

                async def ignore(message: Any) -> None:
                    pass

                before = set(client._stream_handlers)
                await client.stream("Counter", [1000, 50], on_next=on_next, on_complete=ignore, on_error=ignore)
                (invocation_id,) = set(client._stream_handlers) - before
                await asyncio.wait_for(two.wait(), 5)
                expect_equal(items[:2], [0, 1], "first stream items")
                await client._transport.send(CancelInvocationMessage(invocation_id=invocation_id))
                deadline = time.monotonic() + 3
                while True:
                    cancelled = await c.invoke("CounterCancelled")
                    if cancelled is True or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.05)
                expect_equal(cancelled, True, "CounterCancelled after CancelInvocation")
                expect_equal(await c.invoke("Echo", "after-cancel"), "after-cancel", "Echo after cancellation")
            finally:
                await self.close(c)

        @case("Sum upload via client_stream() (result not observable; connection stays usable)")
        async def _() -> None:
            c = await self.main_peer()
            async with c.client.client_stream("Sum") as stream:
                for n in (1, 2, 3, 4, 5):
                    await stream.send(n)
            expect_equal(await c.invoke("Echo", "after-upload"), "after-upload", "Echo after the upload")

        @case("Sum upload result (via pysignalr internals)")
        async def _() -> None:
            if self.public_api_only:
                raise Skip("pysignalr's client_stream() sends the invocation without an invocationId, "
                           "so the result never comes back")
            c = await self.main_peer()
            client = c.client
            invocation_id, stream_id = str(uuid.uuid4()), str(uuid.uuid4())
            fut: asyncio.Future = asyncio.get_running_loop().create_future()

            async def on_completion(message: CompletionMessage) -> None:
                if message.error:
                    fut.set_exception(HubInvocationError(message.error))
                else:
                    fut.set_result(message.result)

            client._invocation_handlers[invocation_id] = on_completion
            await client._transport.send(InvocationClientStreamMessage(
                stream_ids=[stream_id], target="Sum", arguments=[], invocation_id=invocation_id))
            numbers = [1, 2, 3, 4, 5, 10, -5, 100]
            for n in numbers:
                await client._transport.send(StreamItemMessage(invocation_id=stream_id, item=n))
            await client._transport.send(CompletionClientStreamMessage(invocation_id=stream_id))
            expect_equal(await fut, sum(numbers), "Sum")

        @case("AskClient -> Answer client result")
        async def _() -> None:
            c = await self.main_peer()
            question = unique("question")
            expect_equal(await c.invoke("AskClient", question), "answer:" + question, "AskClient")
            if question not in self.answers:
                fail("Answer handler was not called with the question")

        @case("JoinGroup/SendToGroup/LeaveGroup with two connections")
        async def _() -> None:
            inbox_a, inbox_b = Inbox(), Inbox()

            def handler(inbox: Inbox):
                async def on_group(args: list) -> None:
                    inbox.push((args[0], args[1]))
                return {"GroupMessage": on_group}

            group = unique("group")
            a = await self.connect(handler(inbox_a))
            b = None
            try:
                b = await self.connect(handler(inbox_b))
                await a.invoke("JoinGroup", group)
                await b.invoke("JoinGroup", group)
                first = unique("to-both")
                await a.invoke("SendToGroup", group, first)
                await inbox_a.wait(lambda m: m == (group, first), 5, "A waiting for the first group message")
                await inbox_b.wait(lambda m: m == (group, first), 5, "B waiting for the first group message")
                await b.invoke("LeaveGroup", group)
                second = unique("to-a-only")
                await a.invoke("SendToGroup", group, second)
                await inbox_a.wait(lambda m: m == (group, second), 5, "A waiting for the second group message")
                await asyncio.sleep(0.3)  # give a wrongly delivered message time to arrive
                if inbox_b.has(lambda m: m == (group, second)):
                    fail("B received a group message after LeaveGroup")
            finally:
                await self.close(a)
                if b is not None:
                    await self.close(b)

        @case("Broadcast reaches three connections")
        async def _() -> None:
            inboxes = [Inbox(), Inbox(), Inbox()]
            peers: list[Peer] = []

            def handler(inbox: Inbox):
                async def on_broadcast(args: list) -> None:
                    inbox.push(args[0])
                return {"Broadcasted": on_broadcast}

            try:
                for inbox in inboxes:
                    peers.append(await self.connect(handler(inbox)))
                text = unique("broadcast")
                await peers[1].invoke("Broadcast", text)
                await asyncio.gather(*(inbox.wait(lambda t: t == text, 5, f"connection {i} waiting for Broadcasted")
                                       for i, inbox in enumerate(inboxes)))
            finally:
                for p in peers:
                    await self.close(p)

        data = bytes((i * 7 + 3) & 0xFF for i in range(256))
        if self.msgpack:
            @case("EchoBytes (MessagePack bin)")
            async def _() -> None:
                c = await self.main_peer()
                got = await c.invoke("EchoBytes", data)
                if not isinstance(got, bytes):
                    fail(f"expected bytes, got {type(got).__name__}: {show(got)}")
                expect_equal(got, data, "bytes")
        else:
            @case("EchoBytes (base64 string under JSON)")
            async def _() -> None:
                c = await self.main_peer()
                b64 = base64.b64encode(data).decode()
                expect_equal(await c.invoke("EchoBytes", b64), b64, "base64")

        @case("Sleep 100 returns 100 after about 100 ms")
        async def _() -> None:
            c = await self.main_peer()
            start = time.monotonic()
            got = await c.invoke("Sleep", 100)
            elapsed = (time.monotonic() - start) * 1000
            expect_equal(got, 100, "Sleep")
            if elapsed < 90:
                fail(f"returned after {elapsed:.0f} ms, expected at least 100 ms")

        @case("200 concurrent Sleep/Echo invocations")
        async def _() -> None:
            c = await self.main_peer()

            async def one(i: int) -> tuple[str, Any, Any]:
                if i % 2 == 0:
                    return "Sleep", 10, await c.invoke("Sleep", 10)
                text = f"concurrent-{i}-é🎉"
                return "Echo", text, await c.invoke("Echo", text)

            results = await asyncio.gather(*(one(i) for i in range(200)))
            wrong = [r for r in results if r[1] != r[2]]
            if wrong:
                fail(f"{len(wrong)} of 200 wrong, e.g. {wrong[0][0]} expected {show(wrong[0][1])} got {show(wrong[0][2])}")

        @case("case-insensitive method name (echo)")
        async def _() -> None:
            c = await self.main_peer()
            expect_equal(await c.invoke("echo", "lower"), "lower", "echo")
            expect_equal(await c.invoke("ECHO", "upper"), "upper", "ECHO")

        @case("Conformance|Echo wire name")
        async def _() -> None:
            c = await self.main_peer()
            expect_equal(await c.invoke("Conformance|Echo", "qualified"), "qualified", "Conformance|Echo")

        @case("unknown method rejects naming the method")
        async def _() -> None:
            c = await self.main_peer()
            name = f"NoSuchMethod{uuid.uuid4().hex[:6]}"
            err = await expect_reject(c.invoke(name, "x"), name)
            if name not in str(err):
                fail(f"error {show(str(err))} does not name the method {name}")
            expect_equal(await c.invoke("Echo", "after-unknown"), "after-unknown", "Echo after unknown method")

        @case("wrong argument count rejects, connection stays usable")
        async def _() -> None:
            c = await self.main_peer()
            await expect_reject(c.invoke("Echo", "a", "b"), "Echo with 2 arguments")
            expect_equal(await c.invoke("Echo", "still-here"), "still-here", "Echo after wrong argument count")

        @case("wrong argument type rejects, connection stays usable")
        async def _() -> None:
            c = await self.main_peer()
            await expect_reject(c.invoke("Add", "one", 2), "Add with a string argument")
            expect_equal(await c.invoke("Echo", "still-here"), "still-here", "Echo after wrong argument type")

    # --- runner
    async def run(self) -> int:
        self.define()
        passed = failed = skipped = 0
        fatal: str | None = None
        for name, fn in self.cases:
            if fatal:
                print(f"FAIL {name}: not run ({fatal})", flush=True)
                failed += 1
                continue
            try:
                await asyncio.wait_for(fn(), CASE_TIMEOUT)
            except Skip as exc:
                print(f"skip {name}: {exc}", flush=True)
                skipped += 1
                continue
            except asyncio.TimeoutError:
                reason = f"timed out after {CASE_TIMEOUT:g} s"
            except (CaseFailure, HubInvocationError) as exc:
                reason = str(exc)
            except Exception as exc:  # noqa: BLE001 - report anything as a failure
                reason = f"{type(exc).__name__}: {exc}"
            else:
                print(f"ok   {name}", flush=True)
                passed += 1
                continue
            print(f"FAIL {name}: {' '.join(reason.split())}", flush=True)
            failed += 1
            if passed == 0 and failed == 1:
                # Without a first connection nothing else can run.
                fatal = "no connection to the server"

        for peer in list(self.peers):
            await self.close(peer)
        summary = f"{passed} passed, {failed} failed"
        if skipped:
            summary += f", {skipped} skipped"
        print(summary, flush=True)
        return 0 if failed == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="hub URL, e.g. http://127.0.0.1:PORT/hubs/conformance")
    parser.add_argument("--protocol", choices=["json", "messagepack"], default="json")
    parser.add_argument("--transport", choices=["websockets"], default="websockets",
                        help="pysignalr only has the WebSockets transport")
    parser.add_argument("--public-api-only", action="store_true",
                        help="skip the cases that need pysignalr internals")
    args = parser.parse_args()

    # pysignalr logs reconnects and client-method warnings; keep the output to the cases.
    logging.basicConfig(level=logging.CRITICAL)
    suite = Suite(args.url, args.protocol, args.public_api_only)
    return asyncio.run(suite.run())


if __name__ == "__main__":
    sys.exit(main())
