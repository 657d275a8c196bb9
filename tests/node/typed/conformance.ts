// The conformance contract (CONTRACT.md, examples/src/conformance.rs) run through the
// *generated* TypeScript client: every hub call goes through `ConformanceProxy` (and its
// `send`), every server-to-client call through `ConformanceClientReceiver`, against any
// conformance server.
//
//   node tests/node/build/typed/conformance.js --url http://127.0.0.1:PORT/hubs/conformance \
//        --protocol json|messagepack
//
// Under `--protocol messagepack` the proxies come from the MessagePack module
// (generated/conformance.msgpack.ts, bytes as `Uint8Array`); under JSON from
// generated/conformance.ts (bytes as base64 strings).
//
// The raw `HubConnection` is used only to connect and stop, and in the cases named
// "[raw HubConnection] ...": calls the typed client deliberately cannot express (unknown
// method, wrong arguments, other spellings of a method name).
//
// Prints `ok <name>` or `FAIL <name>: <reason>` per case and a last line
// `N passed, M failed`; exits 0 only when nothing failed.

import * as signalR from "@microsoft/signalr";
import type { HubConnection, ILogger } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

import * as Json from "../generated/conformance.js";
import * as MsgPack from "../generated/conformance.msgpack.js";
import {
  type Case,
  Inbox,
  delay,
  errText,
  expectEqual,
  expectReject,
  fail,
  nodeProcess,
  parseArgs,
  pollFor,
  runCases,
  show,
  unique,
  withTimeout,
} from "./harness.js";

const CONNECT_TIMEOUT_MS = 8_000; // below the case timeout, so a dead server reads as such
const STOP_TIMEOUT_MS = 5_000;
const CALLBACK_TIMEOUT_MS = 5_000;

const opts = parseArgs(nodeProcess.argv.slice(2));
const isMsgPack = opts.protocol === "messagepack";

// ---------------------------------------------------------------- the generated client

/**
 * What the JSON and the MessagePack modules have in common: everything but `echoBytes`
 * (base64 `string` in one, `Uint8Array` in the other), which the EchoBytes cases take
 * from the protocol's own module.
 */
type Hub = Omit<Json.ConformanceProxy, "echoBytes">;
type Receiver = Json.ConformanceClient;
type Registration = Json.Registration;

function hubProxy(connection: HubConnection): Hub {
  return isMsgPack ? new MsgPack.ConformanceProxy(connection) : new Json.ConformanceProxy(connection);
}

function register(connection: HubConnection, receiver: Receiver): Registration {
  return isMsgPack
    ? MsgPack.ConformanceClientReceiver.register(connection, receiver)
    : Json.ConformanceClientReceiver.register(connection, receiver);
}

/** A `ConformanceClient` that records every call; `answer` is sync unless told otherwise. */
class RecordingClient implements Receiver {
  readonly notifiedTexts = new Inbox<string>();
  readonly groupMessages = new Inbox<{ group: string; text: string }>();
  readonly broadcasts = new Inbox<string>();
  readonly questions: string[] = [];

  constructor(private readonly answerWith: (question: string) => string | Promise<string> = (q) => `answer:${q}`) {}

  notified(text: string): void {
    this.notifiedTexts.push(text);
  }

  groupMessage(group: string, text: string): void {
    this.groupMessages.push({ group, text });
  }

  broadcasted(text: string): void {
    this.broadcasts.push(text);
  }

  answer(question: string): string | Promise<string> {
    this.questions.push(question);
    return this.answerWith(question);
  }
}

// ---------------------------------------------------------------- connections

/** Log lines a case provokes on purpose (substrings); the logger does not print them. */
const expectedLogLines: string[] = [];

/** Runs `body` with log lines containing `text` expected (not printed). */
async function expectingLog<T>(text: string, body: () => Promise<T>): Promise<T> {
  expectedLogLines.push(text);
  try {
    return await body();
  } finally {
    expectedLogLines.splice(expectedLogLines.indexOf(text), 1);
  }
}

/** Prints the package's log lines at Warning and above, but for the expected ones. */
const logger: ILogger = {
  log(level: signalR.LogLevel, message: string): void {
    if (level < signalR.LogLevel.Warning || expectedLogLines.some((text) => message.includes(text))) return;
    console.error(`[signalr ${signalR.LogLevel[level]}] ${message}`);
  },
};

const allConnections = new Set<HubConnection>();

function buildConnection(): HubConnection {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(opts.url, { transport: signalR.HttpTransportType.WebSockets })
    .withHubProtocol(isMsgPack ? new MessagePackHubProtocol() : new signalR.JsonHubProtocol())
    .configureLogging(logger)
    .build();
  allConnections.add(connection);
  return connection;
}

async function stopConnection(connection: HubConnection): Promise<void> {
  allConnections.delete(connection);
  try {
    await withTimeout(connection.stop(), STOP_TIMEOUT_MS, "connection.stop");
  } catch {
    // best effort
  }
}

async function startConnection(connection: HubConnection): Promise<void> {
  try {
    await withTimeout(connection.start(), CONNECT_TIMEOUT_MS, "connection.start");
  } catch (e) {
    void stopConnection(connection);
    throw new Error(`could not connect to ${opts.url}: ${errText(e)}`);
  }
}

/** A started connection with a `RecordingClient` registered before `start()`. */
interface Peer {
  connection: HubConnection;
  hub: Hub;
  client: RecordingClient;
  registration: Registration;
}

async function connectPeer(client = new RecordingClient()): Promise<Peer> {
  const connection = buildConnection();
  const registration = register(connection, client);
  await startConnection(connection);
  return { connection, hub: hubProxy(connection), client, registration };
}

/** Runs `body` with `n` fresh peers, stopping them afterwards. */
async function withPeers<T>(n: number, body: (peers: Peer[]) => Promise<T>, clients: RecordingClient[] = []): Promise<T> {
  const peers: Peer[] = [];
  try {
    for (let i = 0; i < n; i++) peers.push(await connectPeer(clients[i]));
    return await body(peers);
  } finally {
    await Promise.all(peers.map((p) => stopConnection(p.connection)));
  }
}

/** The connection most cases share; re-created when a case left it disconnected. */
let mainPeer: Peer | null = null;

async function main(): Promise<Peer> {
  if (mainPeer && mainPeer.connection.state === signalR.HubConnectionState.Connected) return mainPeer;
  if (mainPeer) await stopConnection(mainPeer.connection);
  mainPeer = null;
  mainPeer = await connectPeer();
  return mainPeer;
}

/**
 * A view of `inner` that records the hub method names the generated code passes to
 * `invoke`, `send`, `stream`, `on` and `off` (as "invoke Echo", ...), then forwards.
 */
function recordingConnection(inner: HubConnection, names: string[]): HubConnection {
  const recorded = new Set(["invoke", "send", "stream", "on", "off"]);
  return new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (typeof prop === "string" && recorded.has(prop)) {
        return (name: string, ...args: unknown[]) => {
          names.push(`${prop} ${name}`);
          return fn.apply(target, [name, ...args]);
        };
      }
      return fn.bind(target);
    },
  });
}

// ---------------------------------------------------------------- helpers

async function* generate(values: number[], pauseMs = 1): AsyncGenerator<number> {
  for (const v of values) {
    await delay(pauseMs);
    yield v;
  }
}

/** Collects a stream through the package's `subscribe()`. */
function collectBySubscribe<T>(stream: signalR.IStreamResult<T>): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const items: T[] = [];
    stream.subscribe({
      next: (item) => items.push(item),
      complete: () => resolve(items),
      error: (err: unknown) => reject(err),
    });
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// ---------------------------------------------------------------- cases

const cases: Case[] = [];
function testCase(name: string, run: () => Promise<void>): void {
  cases.push({ name, run });
}

// --- connection
testCase("connect (negotiate + handshake) with the receiver registered", async () => {
  const { connection } = await main();
  if (connection.state !== signalR.HubConnectionState.Connected) fail(`state is ${connection.state}`);
  if (connection.connectionId == null) fail("no connectionId after negotiate");
});

// --- echo
const echoCases: [string, string][] = [
  ["echo ASCII", "hello, world"],
  ["echo Unicode (accents, CJK, RTL, emoji, astral plane, NUL)", "héllo wörld — 日本語 — مرحبا — 🎉👩‍💻🏳️‍🌈 — 𝄞𐐷𠜎 — \u0000nul"],
  ["echo empty string", ""],
  ["echo 20,000-char string", Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(33 + (i % 94))).join("")],
];
for (const [name, text] of echoCases) {
  testCase(name, async () => {
    const { hub } = await main();
    expectEqual(await hub.echo(text), text);
  });
}

// --- add
testCase("add 2 + 3", async () => {
  const { hub } = await main();
  expectEqual(await hub.add(2, 3), 5);
});
testCase("add negatives -7 + -8", async () => {
  const { hub } = await main();
  expectEqual(await hub.add(-7, -8), -15);
});
testCase("add overflow 2147483647 + 1 rejects with an error", async () => {
  const { hub } = await main();
  const e = await expectReject(hub.add(2147483647, 1), "add(2147483647, 1)");
  if (!(e instanceof Error) || !e.message) fail(`expected an Error with a message, got ${show(e)}`);
  expectEqual(await hub.add(1, 1), 2, "add after the overflow");
});
testCase("add underflow -2147483648 + -1 rejects with an error", async () => {
  const { hub } = await main();
  await expectReject(hub.add(-2147483648, -1), "add(-2147483648, -1)");
  expectEqual(await hub.add(1, 1), 2, "add after the underflow");
});

// --- echoPerson
testCase("echoPerson with nickname set (age + 1)", async () => {
  const { hub } = await main();
  const person: Json.Person = { name: "Grâce 🌟", age: 36, tags: ["math", "engines"], nickname: "Amazing Grace" };
  expectEqual(await hub.echoPerson(person), { ...person, age: 37 });
});
testCase("echoPerson with nickname null and empty tags", async () => {
  const { hub } = await main();
  const person: Json.Person = { name: "Ada", age: 0, tags: [], nickname: null };
  expectEqual(await hub.echoPerson(person), { ...person, age: 1 });
});
testCase("echoPerson with nickname left out (optional in the generated type) comes back null", async () => {
  const { hub } = await main();
  const person: Json.Person = { name: "Bob", age: 41, tags: ["x"] };
  expectEqual(await hub.echoPerson(person), { ...person, age: 42, nickname: null });
});

// --- fail
testCase("fail rejects with an error containing the message", async () => {
  const { hub } = await main();
  const text = unique("boom");
  const e = await expectReject(hub.fail(text), "fail");
  if (!errText(e).includes(text)) fail(`error ${show(errText(e))} does not contain ${show(text)}`);
  expectEqual(await hub.echo("after-fail"), "after-fail", "echo after fail");
});
testCase("send.fail (fire-and-forget) leaves the connection usable", async () => {
  const { hub, connection } = await main();
  await hub.send.fail(unique("quiet-boom"));
  expectEqual(await hub.echo("after-send-fail"), "after-send-fail", "echo after send.fail");
  if (connection.state !== signalR.HubConnectionState.Connected) fail(`state is ${connection.state}`);
});

// --- notify
testCase("notify -> receiver.notified(text)", async () => {
  const { hub, client } = await main();
  const text = unique("notify");
  const result: unknown = await hub.notify(text);
  if (result !== null && result !== undefined) fail(`expected a void completion, got ${show(result)}`);
  await client.notifiedTexts.wait((t) => t === text, CALLBACK_TIMEOUT_MS, "waiting for notified");
});
testCase("send.notify (fire-and-forget) -> receiver.notified(text)", async () => {
  const { hub, client } = await main();
  const text = unique("send-notify");
  await hub.send.notify(text);
  await client.notifiedTexts.wait((t) => t === text, CALLBACK_TIMEOUT_MS, "waiting for notified");
});
testCase("registration.dispose() unregisters the receiver", async () => {
  // Two receivers on one connection: after the first is disposed the second still gets
  // Notified, so the message did arrive and only the disposed receiver missed it.
  const kept = new RecordingClient();
  const disposed = new RecordingClient();
  const connection = buildConnection();
  try {
    const keptRegistration = register(connection, kept);
    const disposedRegistration = register(connection, disposed);
    await startConnection(connection);
    const hub = hubProxy(connection);

    const before = unique("before-dispose");
    await hub.notify(before);
    await kept.notifiedTexts.wait((t) => t === before, CALLBACK_TIMEOUT_MS, "kept receiver, before dispose");
    await disposed.notifiedTexts.wait((t) => t === before, CALLBACK_TIMEOUT_MS, "second receiver, before dispose");

    disposedRegistration.dispose();
    disposedRegistration.dispose(); // a second dispose is harmless
    const after = unique("after-dispose");
    await hub.notify(after);
    await kept.notifiedTexts.wait((t) => t === after, CALLBACK_TIMEOUT_MS, "kept receiver, after dispose");
    await delay(200); // time for a wrongly delivered call to arrive
    if (disposed.notifiedTexts.has((t) => t === after)) fail("the disposed receiver was still called");
    keptRegistration.dispose();
  } finally {
    await stopConnection(connection);
  }
});

// --- counter
testCase("counter(5, 10) consumed by for-await yields 0..4 in order", async () => {
  const { hub } = await main();
  const items: number[] = [];
  for await (const n of hub.counter(5, 10)) items.push(n);
  expectEqual(items, range(5), "stream items");
});
testCase("counter(50, 0) consumed by for-await yields 0..49 in order", async () => {
  const { hub } = await main();
  const items: number[] = [];
  for await (const n of hub.counter(50, 0)) items.push(n);
  expectEqual(items, range(50), "stream items");
});
testCase("counter(0, 10) completes empty", async () => {
  const { hub } = await main();
  const items: number[] = [];
  for await (const n of hub.counter(0, 10)) items.push(n);
  expectEqual(items, [], "stream items");
});
testCase("counter(5, 10) consumed by subscribe() yields 0..4", async () => {
  const { hub } = await main();
  expectEqual(await collectBySubscribe(hub.counter(5, 10)), range(5), "stream items");
});
testCase("counterCancelled() is false after a fully consumed counter", async () => {
  await withPeers(1, async ([peer]) => {
    const { hub } = peer!;
    const items: number[] = [];
    for await (const n of hub.counter(3, 1)) items.push(n);
    expectEqual(items, range(3), "stream items");
    expectEqual(await hub.counterCancelled(), false, "counterCancelled");
  });
});
testCase("counter cancelled by breaking out of for-await -> counterCancelled() true", async () => {
  // Own connection, so "this connection's last Counter stream" is unambiguous.
  await withPeers(1, async ([peer]) => {
    const { hub } = peer!;
    const items: number[] = [];
    for await (const n of hub.counter(1000, 20)) {
      items.push(n);
      if (items.length === 3) break; // return() sends CancelInvocation
    }
    expectEqual(items, [0, 1, 2], "items before the break");
    expectEqual(await pollFor(() => hub.counterCancelled(), true, 3_000), true, "counterCancelled after the break");
    expectEqual(await hub.echo("after-cancel"), "after-cancel", "echo after the cancellation");
  });
});
testCase("counter cancelled by an AbortSignal -> loop throws the reason, counterCancelled() true", async () => {
  await withPeers(1, async ([peer]) => {
    const { hub } = peer!;
    const controller = new AbortController();
    const reason = new Error("stop the counter");
    const items: number[] = [];
    let caught: { error: unknown } | undefined;
    try {
      for await (const n of hub.counter(1000, 20, controller.signal)) {
        items.push(n);
        if (items.length === 3) controller.abort(reason);
      }
    } catch (error) {
      caught = { error };
    }
    if (!caught) fail(`the loop ended without an error after ${show(items)}`);
    if (caught.error !== reason) fail(`the loop threw ${show(errText(caught.error))}, not the abort reason`);
    expectEqual(items, range(items.length), "items (in order)");
    if (items.length < 3) fail(`only ${items.length} items`);
    expectEqual(await pollFor(() => hub.counterCancelled(), true, 3_000), true, "counterCancelled after the abort");
  });
});
testCase("counter aborted while items are buffered -> no item after the abort, the reason at once", async () => {
  await withPeers(1, async ([peer]) => {
    const { hub } = peer!;
    const controller = new AbortController();
    const reason = new Error("stop at once");
    const items: number[] = [];
    let caught: { error: unknown } | undefined;
    try {
      // No delay between items: while the loop body waits, the stream's items pile up in
      // the iterator's buffer; aborting must drop them, not yield them first.
      for await (const n of hub.counter(1000, 0, controller.signal)) {
        items.push(n);
        if (items.length === 1) {
          await delay(100);
          controller.abort(reason);
        }
      }
    } catch (error) {
      caught = { error };
    }
    if (!caught) fail(`the loop ended without an error after ${show(items)}`);
    if (caught.error !== reason) fail(`the loop threw ${show(errText(caught.error))}, not the abort reason`);
    expectEqual(items, [0], "items (none after the abort)");
    expectEqual(await pollFor(() => hub.counterCancelled(), true, 3_000), true, "counterCancelled after the abort");
  });
});
testCase("counter cancelled by subscription.dispose() -> counterCancelled() true", async () => {
  await withPeers(1, async ([peer]) => {
    const { hub } = peer!;
    const items = new Inbox<number>();
    const subscription = hub.counter(1000, 20).subscribe({
      next: (n) => items.push(n),
      complete: () => {},
      error: () => {},
    });
    await items.wait((n) => n === 1, CALLBACK_TIMEOUT_MS, "waiting for item 1");
    subscription.dispose();
    expectEqual(await pollFor(() => hub.counterCancelled(), true, 3_000), true, "counterCancelled after dispose");
  });
});
testCase("counter with an already-aborted signal ends at once with the reason", async () => {
  await withPeers(1, async ([peer]) => {
    const { hub } = peer!;
    const reason = new Error("aborted before the call");
    const items: number[] = [];
    const started = Date.now();
    let caught: { error: unknown } | undefined;
    try {
      for await (const n of hub.counter(1000, 20, AbortSignal.abort(reason))) items.push(n);
    } catch (error) {
      caught = { error };
    }
    if (!caught) fail(`the loop ended without an error after ${show(items)}`);
    if (caught.error !== reason) fail(`the loop threw ${show(errText(caught.error))}, not the abort reason`);
    const elapsed = Date.now() - started;
    if (elapsed > 500) fail(`took ${elapsed} ms`);
    expectEqual(await hub.echo("after-aborted-counter"), "after-aborted-counter", "echo afterwards");
  });
});

testCase("counter: an already-aborted signal makes no call; aborting after completion does nothing", async () => {
  const { connection } = await main();
  const names: string[] = [];
  const hub = hubProxy(recordingConnection(connection, names));
  const aborted = hub.counter(3, 0, AbortSignal.abort(new Error("never")));
  let caught = false;
  try {
    for await (const _ of aborted) fail("an item arrived");
  } catch {
    caught = true;
  }
  if (!caught) fail("the aborted stream ended without an error");
  expectEqual(names, [], "hub calls made for an already-aborted stream");
  const controller = new AbortController();
  const events: string[] = [];
  const done = new Inbox<string>();
  hub.counter(2, 0, controller.signal).subscribe({
    next: (n) => events.push(`next ${n}`),
    error: () => events.push("error"),
    complete: () => {
      events.push("complete");
      done.push("complete");
    },
  });
  await done.wait((e) => e === "complete", CALLBACK_TIMEOUT_MS, "waiting for completion");
  controller.abort();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expectEqual(events, ["next 0", "next 1", "complete"], "subscriber events");
  expectEqual(names, ["stream Counter"], "hub calls made");
});

// --- sum (upload streams)
testCase("sum over an async generator", async () => {
  const { hub } = await main();
  const numbers = [1, 2, 3, 4, 5, 10, -5, 100];
  expectEqual(await hub.sum(generate(numbers)), 120, "sum");
});
testCase("sum over 500 items of an async generator", async () => {
  const { hub } = await main();
  const numbers = range(500);
  expectEqual(await hub.sum(generate(numbers, 0)), (499 * 500) / 2, "sum");
});
testCase("sum over an empty async generator is 0", async () => {
  const { hub } = await main();
  expectEqual(await hub.sum(generate([])), 0, "sum");
});
testCase("sum over the package's Subject", async () => {
  const { hub } = await main();
  const subject = new signalR.Subject<number>();
  const result = hub.sum(subject);
  for (const n of [7, 8, 9, -4]) {
    subject.next(n);
    await delay(2);
  }
  subject.complete();
  expectEqual(await result, 20, "sum");
});
testCase("sum over an empty Subject is 0", async () => {
  const { hub } = await main();
  const subject = new signalR.Subject<number>();
  const result = hub.sum(subject);
  subject.complete();
  expectEqual(await result, 0, "sum");
});
testCase("sum over an async generator that throws rejects", async () => {
  const { hub } = await main();
  async function* failing(): AsyncGenerator<number> {
    yield 1;
    await delay(5);
    throw new Error("generator failed");
  }
  await expectReject(hub.sum(failing()), "sum over a failing generator");
  expectEqual(await hub.echo("after-failed-upload"), "after-failed-upload", "echo afterwards");
});

// --- askClient (client results)
testCase("askClient answered by receiver.answer (sync value)", async () => {
  const { hub, client } = await main();
  const question = unique("question");
  expectEqual(await hub.askClient(question), `answer:${question}`, "askClient");
  if (!client.questions.includes(question)) fail("answer() was not called with the question");
});
testCase("askClient answered by receiver.answer (Promise)", async () => {
  const client = new RecordingClient(async (q) => {
    await delay(30);
    return `later:${q}`;
  });
  await withPeers(
    1,
    async ([peer]) => {
      const question = unique("async-question");
      expectEqual(await peer!.hub.askClient(question), `later:${question}`, "askClient");
      expectEqual(client.questions, [question], "questions asked");
    },
    [client],
  );
});
testCase("askClient answered with an empty string", async () => {
  const client = new RecordingClient(() => "");
  await withPeers(
    1,
    async ([peer]) => {
      expectEqual(await peer!.hub.askClient(unique("say-nothing")), "", "askClient");
    },
    [client],
  );
});
testCase("askClient whose receiver.answer rejects rejects with the error", async () => {
  const client = new RecordingClient(async () => {
    throw new Error("no answer today");
  });
  await withPeers(
    1,
    async ([peer]) => {
      // The package logs the receiver's error; this case provokes it.
      const e = await expectingLog("no answer today", () =>
        expectReject(peer!.hub.askClient(unique("unanswerable")), "askClient"),
      );
      if (!errText(e).includes("no answer today")) fail(`error ${show(errText(e))} does not carry the receiver's`);
      expectEqual(await peer!.hub.echo("after-failed-answer"), "after-failed-answer", "echo afterwards");
    },
    [client],
  );
});

// --- groups
testCase("groups with two connections: joinGroup, sendToGroup, leaveGroup", async () => {
  await withPeers(2, async ([a, b]) => {
    const group = unique("group");
    await a!.hub.joinGroup(group);
    await b!.hub.joinGroup(group);

    const first = unique("to-both");
    await a!.hub.sendToGroup(group, first);
    const isFirst = (m: { group: string; text: string }): boolean => m.group === group && m.text === first;
    await a!.client.groupMessages.wait(isFirst, CALLBACK_TIMEOUT_MS, "A waiting for the first group message");
    await b!.client.groupMessages.wait(isFirst, CALLBACK_TIMEOUT_MS, "B waiting for the first group message");

    await b!.hub.leaveGroup(group);
    const second = unique("to-a-only");
    await a!.hub.sendToGroup(group, second);
    const isSecond = (m: { group: string; text: string }): boolean => m.group === group && m.text === second;
    await a!.client.groupMessages.wait(isSecond, CALLBACK_TIMEOUT_MS, "A waiting for the second group message");
    await delay(300); // time for a wrongly delivered message to arrive
    if (b!.client.groupMessages.has(isSecond)) fail("B received a group message after leaveGroup");

    // A non-member may send to the group, fire-and-forget.
    const third = unique("from-outsider");
    await b!.hub.send.sendToGroup(group, third);
    await a!.client.groupMessages.wait(
      (m) => m.group === group && m.text === third,
      CALLBACK_TIMEOUT_MS,
      "A waiting for the outsider's message",
    );
    if (b!.client.groupMessages.has((m) => m.text === third)) fail("the non-member B received the group message");
  });
});
testCase("groups through send.joinGroup / send.leaveGroup (fire-and-forget)", async () => {
  await withPeers(2, async ([a, b]) => {
    const group = unique("send-group");
    await b!.hub.send.joinGroup(group);
    await b!.hub.echo("barrier"); // invocations of one connection are handled in order
    const first = unique("after-send-join");
    await a!.hub.sendToGroup(group, first);
    await b!.client.groupMessages.wait((m) => m.text === first, CALLBACK_TIMEOUT_MS, "B waiting after send.joinGroup");
    if (a!.client.groupMessages.has((m) => m.text === first)) fail("the non-member A received the group message");

    await b!.hub.send.leaveGroup(group);
    await b!.hub.echo("barrier");
    const second = unique("after-send-leave");
    await a!.hub.sendToGroup(group, second);
    await delay(300);
    if (b!.client.groupMessages.has((m) => m.text === second)) fail("B received a group message after send.leaveGroup");
  });
});

// --- broadcast
testCase("broadcast reaches three connections", async () => {
  await withPeers(3, async (peers) => {
    const text = unique("broadcast");
    await peers[1]!.hub.broadcast(text);
    await Promise.all(
      peers.map((p, i) =>
        p.client.broadcasts.wait((t) => t === text, CALLBACK_TIMEOUT_MS, `connection ${i} waiting for broadcasted`),
      ),
    );
    const sent = unique("send-broadcast");
    await peers[2]!.hub.send.broadcast(sent);
    await Promise.all(
      peers.map((p, i) =>
        p.client.broadcasts.wait((t) => t === sent, CALLBACK_TIMEOUT_MS, `connection ${i} waiting for send.broadcast`),
      ),
    );
  });
});

// --- echoBytes
const allBytes = Uint8Array.from(range(256));
if (isMsgPack) {
  testCase("echoBytes all 256 byte values (Uint8Array, MessagePack bin)", async () => {
    const { connection } = await main();
    const got = await new MsgPack.ConformanceProxy(connection).echoBytes(allBytes);
    if (!(got instanceof Uint8Array)) fail(`expected a Uint8Array, got ${typeof got}: ${show(got)}`);
    expectEqual(got, allBytes, "bytes");
  });
  testCase("echoBytes empty (Uint8Array)", async () => {
    const { connection } = await main();
    const got = await new MsgPack.ConformanceProxy(connection).echoBytes(new Uint8Array(0));
    if (!(got instanceof Uint8Array)) fail(`expected a Uint8Array, got ${typeof got}: ${show(got)}`);
    expectEqual(got.length, 0, "length");
  });
} else {
  testCase("echoBytes all 256 byte values (base64 string under JSON)", async () => {
    const { connection } = await main();
    const b64 = bytesToBase64(allBytes);
    const got = await new Json.ConformanceProxy(connection).echoBytes(b64);
    if (typeof got !== "string") fail(`expected a base64 string, got ${typeof got}: ${show(got)}`);
    expectEqual(base64ToBytes(got), allBytes, "decoded bytes");
  });
  testCase("echoBytes empty (base64 string under JSON)", async () => {
    const { connection } = await main();
    expectEqual(await new Json.ConformanceProxy(connection).echoBytes(""), "", "base64");
  });
}

// --- sleep
testCase("sleep(100) returns 100 after about 100 ms", async () => {
  const { hub } = await main();
  const started = Date.now();
  expectEqual(await hub.sleep(100), 100, "sleep");
  const elapsed = Date.now() - started;
  if (elapsed < 90) fail(`returned after ${elapsed} ms`);
});
testCase("sleep(0) returns 0", async () => {
  const { hub } = await main();
  expectEqual(await hub.sleep(0), 0, "sleep");
});
testCase("sleep with an already-aborted signal rejects at once, without a call", async () => {
  const { connection } = await main();
  const names: string[] = [];
  const hub = hubProxy(recordingConnection(connection, names));
  const reason = new Error("aborted before the call");
  const started = Date.now();
  const e = await expectReject(hub.sleep(1_000, AbortSignal.abort(reason)), "sleep");
  if (e !== reason) fail(`rejected with ${show(errText(e))}, not the abort reason`);
  const elapsed = Date.now() - started;
  if (elapsed > 100) fail(`took ${elapsed} ms`);
  expectEqual(names, [], "hub calls made");
});
testCase("sleep aborted later rejects promptly with an AbortError", async () => {
  // Own connection: SignalR cannot cancel an invocation, so the server's Sleep goes on
  // (and, as in ASP.NET Core, holds back this connection's next invocation) until it ends
  // or the connection closes.
  await withPeers(1, async ([peer]) => {
    const { hub } = peer!;
    const controller = new AbortController();
    const started = Date.now();
    const result = hub.sleep(1_500, controller.signal);
    setTimeout(() => controller.abort(), 50);
    const e = await expectReject(result, "sleep");
    const elapsed = Date.now() - started;
    if (!(e instanceof Error) || e.name !== "AbortError") fail(`rejected with ${show(errText(e))}, not an AbortError`);
    if (elapsed > 1_000) fail(`rejected after ${elapsed} ms`);
    expectEqual(await hub.echo("after-abort"), "after-abort", "echo after the abort");
  });
});

// --- concurrency
testCase("200 concurrent echo/sleep calls resolve to their own results", async () => {
  const { hub } = await main();
  const calls: Promise<[string, unknown, unknown]>[] = [];
  for (let i = 0; i < 200; i++) {
    if (i % 2 === 0) {
      const ms = 5 + (i % 20);
      calls.push(hub.sleep(ms).then((r) => ["sleep", ms, r]));
    } else {
      const text = `concurrent-${i}-é🎉`;
      calls.push(hub.echo(text).then((r) => ["echo", text, r]));
    }
  }
  const results = await Promise.all(calls);
  const wrong = results.filter(([, expected, got]) => got !== expected);
  if (wrong.length > 0) {
    const [method, expected, got] = wrong[0]!;
    fail(`${wrong.length} of 200 wrong, e.g. ${method} expected ${show(expected)} got ${show(got)}`);
  }
});

// --- wire names
testCase("the generated proxy and receiver use the plain wire names (not Conformance|Method)", async () => {
  const names: string[] = [];
  const connection = buildConnection();
  const recording = recordingConnection(connection, names);
  try {
    const registration = register(recording, new RecordingClient());
    await startConnection(connection);
    const hub = hubProxy(recording);
    const group = unique("names");
    expectEqual(await hub.echo("x"), "x", "echo");
    expectEqual(await hub.add(1, 2), 3, "add");
    await hub.echoPerson({ name: "n", age: 1, tags: [], nickname: null });
    await expectReject(hub.fail("x"), "fail");
    await hub.notify("x");
    for await (const n of hub.counter(1, 0)) expectEqual(n, 0, "counter item");
    await hub.counterCancelled();
    expectEqual(await hub.sum(generate([1])), 1, "sum");
    await hub.askClient("x");
    await hub.joinGroup(group);
    await hub.leaveGroup(group);
    await hub.sendToGroup(group, "x");
    await hub.broadcast(unique("names"));
    if (isMsgPack) await new MsgPack.ConformanceProxy(recording).echoBytes(new Uint8Array([1]));
    else await new Json.ConformanceProxy(recording).echoBytes("AQ==");
    await hub.sleep(0);
    await hub.send.fail("x");
    await hub.send.notify("x");
    await hub.send.joinGroup(group);
    await hub.send.leaveGroup(group);
    await hub.send.sendToGroup(group, "x");
    await hub.send.broadcast(unique("names"));
    registration.dispose();
    const receiverNames = ["Notified", "GroupMessage", "Broadcasted", "Answer"];
    expectEqual(
      names,
      [
        ...receiverNames.map((n) => `on ${n}`),
        ...["Echo", "Add", "EchoPerson", "Fail", "Notify"].map((n) => `invoke ${n}`),
        "stream Counter",
        ...["CounterCancelled", "Sum", "AskClient", "JoinGroup", "LeaveGroup", "SendToGroup", "Broadcast"].map(
          (n) => `invoke ${n}`,
        ),
        "invoke EchoBytes",
        "invoke Sleep",
        ...["Fail", "Notify", "JoinGroup", "LeaveGroup", "SendToGroup", "Broadcast"].map((n) => `send ${n}`),
        ...receiverNames.map((n) => `off ${n}`),
      ],
      "hub method names used",
    );
  } finally {
    await stopConnection(connection);
  }
});

// --- [raw HubConnection]: calls the typed client cannot express
testCase("[raw HubConnection] Conformance|Echo (qualified name) is answered too", async () => {
  const { connection } = await main();
  expectEqual(await connection.invoke("Conformance|Echo", "qualified"), "qualified", "Conformance|Echo");
});
testCase("[raw HubConnection] method names are case-insensitive", async () => {
  const { connection } = await main();
  expectEqual(await connection.invoke("echo", "lower"), "lower", "echo");
  expectEqual(await connection.invoke("ECHO", "upper"), "upper", "ECHO");
  expectEqual(await connection.invoke("aDd", 20, 22), 42, "aDd");
});
testCase("[raw HubConnection] unknown method rejects naming the method", async () => {
  const { connection, hub } = await main();
  const name = `NoSuchMethod${Math.floor(Math.random() * 1e6)}`;
  const e = await expectReject(connection.invoke(name, "x"), name);
  if (!errText(e).includes(name)) fail(`error ${show(errText(e))} does not name the method ${name}`);
  expectEqual(await hub.echo("after-unknown"), "after-unknown", "echo after the unknown method");
});
testCase("[raw HubConnection] wrong argument count rejects, connection stays usable", async () => {
  const { connection, hub } = await main();
  await expectReject(connection.invoke("Echo", "a", "b"), "Echo with 2 arguments");
  await expectReject(connection.invoke("Add", 1), "Add with 1 argument");
  if (connection.state !== signalR.HubConnectionState.Connected) fail(`state is ${connection.state}`);
  expectEqual(await hub.echo("still-here"), "still-here", "echo afterwards");
});
testCase("[raw HubConnection] wrong argument type rejects, connection stays usable", async () => {
  const { connection, hub } = await main();
  await expectReject(connection.invoke("Add", "one", 2), "Add with a string argument");
  if (connection.state !== signalR.HubConnectionState.Connected) fail(`state is ${connection.state}`);
  expectEqual(await hub.echo("still-here"), "still-here", "echo afterwards");
});

// ---------------------------------------------------------------- run

nodeProcess.on("unhandledRejection", () => {
  // Late rejections of calls a timed-out case abandoned; that case already failed.
});

runCases(cases, async () => {
  await Promise.all([...allConnections].map(stopConnection));
}).then(
  (failed) => nodeProcess.exit(failed === 0 ? 0 : 1),
  (e: unknown) => {
    console.log(`FAIL runner: ${errText(e)}`);
    console.log("0 passed, 1 failed");
    nodeProcess.exit(1);
  },
);
