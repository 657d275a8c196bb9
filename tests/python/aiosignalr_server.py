"""The conformance hub (CONTRACT.md) hosted by aiosignalr, a third-party SignalR server.

    .venv/bin/python tests/python/aiosignalr_server.py --listen 127.0.0.1:0

Serves the hub at /hubs/conformance (negotiate, WebSockets, Server-Sent Events and long
polling; JSON and MessagePack) and prints `listening on http://HOST:PORT` once it accepts
connections; stops on SIGTERM or SIGINT.

aiosignalr dispatches on the Python method's name, case-insensitively, so the methods are
named as the wire names; each is also reachable as `Conformance|Name`. A method returns a
value to the caller only when it has a return annotation.

One bug of aiosignalr 0.1.1 is worked around here, and only this one: its MessagePack writer
puts the integer 128 where StreamItem, Completion and CancelInvocation carry their headers
(the constant `_EMPTY_HEADERS = 0x80`, meant as the byte of an empty map, goes through
`msgpack.packb` as a number). The protocol requires a map there; strict readers (the .NET
client, the Rust client) reject those messages, so without the fix no MessagePack call
completes. The fix makes the constant the empty map it stands for.
"""

import argparse
import asyncio
import signal

import aiosignalr.protocol.messagepack_protocol as messagepack_protocol
from aiosignalr.errors import HubException
from aiosignalr.server import Hub, IncomingStream, ServerOptions, SignalRServer

if messagepack_protocol._EMPTY_HEADERS == 0x80:
    messagepack_protocol._EMPTY_HEADERS = {}

INT32 = range(-(2**31), 2**31)


def int32(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value not in INT32:
        raise HubException(f"'{name}' must be a 32-bit integer, got {value!r}.")
    return value


class ConformanceHub(Hub):
    async def Echo(self, text: str) -> str:
        if not isinstance(text, str):
            raise HubException("'text' must be a string.")
        return text

    async def Add(self, a: int, b: int) -> int:
        a, b = int32("a", a), int32("b", b)
        if a + b not in INT32:
            raise HubException(f"{a} + {b} overflows a 32-bit integer.")
        return a + b

    async def EchoPerson(self, person: dict) -> dict:
        if not isinstance(person, dict):
            raise HubException("'person' must be an object.")
        return {**person, "age": int32("age", person.get("age")) + 1}

    async def Fail(self, message: str):
        raise HubException(message)

    async def Notify(self, text: str):
        await self.clients.caller.send("Notified", text)

    async def Counter(self, count: int, delayMs: int):
        state = self.context.state
        state["counter_cancelled"] = False
        try:
            for i in range(int32("count", count)):
                yield i
                await asyncio.sleep(int32("delayMs", delayMs) / 1000)
        except (asyncio.CancelledError, GeneratorExit):
            state["counter_cancelled"] = True
            raise

    async def CounterCancelled(self) -> bool:
        return bool(self.context.state.get("counter_cancelled", False))

    async def Sum(self, numbers: IncomingStream) -> int:
        total = 0
        async for n in numbers:
            total += int32("item", n)
        return int32("sum", total)

    async def AskClient(self, question: str) -> str:
        return await self.clients.caller.invoke("Answer", question)

    async def JoinGroup(self, group: str):
        await self.groups.add(group)

    async def LeaveGroup(self, group: str):
        await self.groups.remove(group)

    async def SendToGroup(self, group: str, text: str):
        await self.clients.group(group).send("GroupMessage", group, text)

    async def Broadcast(self, text: str):
        await self.clients.all_.send("Broadcasted", text)

    # MessagePack `bin` arrives as bytes, JSON's base64 as a string: either goes back as is.
    async def EchoBytes(self, data: bytes) -> bytes:
        return data

    async def Sleep(self, ms: int) -> int:
        await asyncio.sleep(int32("ms", ms) / 1000)
        return ms


# The contract's qualified names: the same methods under `Conformance|Name`.
for _name, _method in list(vars(ConformanceHub).items()):
    if callable(_method) and not _name.startswith("_"):
        setattr(ConformanceHub, f"Conformance|{_name}", _method)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:5000", help="HOST:PORT (port 0: any free port)")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = SignalRServer(ConformanceHub, options=ServerOptions())
    bound_host, bound_port = await server.serve(host, int(port), path="/hubs/conformance")
    print(f"listening on http://{bound_host}:{bound_port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


if __name__ == "__main__":
    asyncio.run(main())
