#!/usr/bin/env node
// Conformance cases for the "Conformance" hub (shared/conformance/CONTRACT.md),
// run with the official SignalR JavaScript client against any server URL.
//
//   node tests/node/conformance.mjs --url http://127.0.0.1:PORT/hubs/conformance \
//        --protocol json|messagepack [--transport websockets|serversentevents|longpolling] \
//        [--capture FILE]
//
// Prints one line per case (`ok   <name>` or `FAIL <name>: <reason>`) and a last
// line `N passed, M failed`. Exits 0 only when nothing failed.
//
// `--capture FILE` (JSON protocol over WebSockets only) records every message sent
// and received on every connection and writes them to FILE after the run, one JSON
// line `{"connection": n, "direction": "sent"|"received", "frame": message}` each
// (see capture-websocket.mjs); tests/node/validate-payloads.mjs checks them against
// the contract's JSON Schema.

import { createRequire } from "node:module";
import { FrameCapture } from "./capture-websocket.mjs";

const require = createRequire(import.meta.url);
const signalR = require("@microsoft/signalr");
const MessagePack = require("@microsoft/signalr-protocol-msgpack");

const CASE_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 8_000; // below CASE_TIMEOUT_MS, so a dead server reads as such
const STOP_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------- arguments

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    "usage: node tests/node/conformance.mjs --url URL [--protocol json|messagepack] " +
      "[--transport websockets|serversentevents|longpolling] [--capture FILE]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { url: null, protocol: "json", transport: "websockets", capture: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq >= 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (key) {
      case "--url":
        opts.url = value();
        break;
      case "--protocol":
        opts.protocol = value();
        break;
      case "--transport":
        opts.transport = value();
        break;
      case "--capture":
        opts.capture = value();
        break;
      case "-h":
      case "--help":
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  if (!opts.url) usage("--url is required");
  if (!["json", "messagepack"].includes(opts.protocol)) usage(`unknown protocol ${opts.protocol}`);
  const transports = {
    websockets: signalR.HttpTransportType.WebSockets,
    serversentevents: signalR.HttpTransportType.ServerSentEvents,
    sse: signalR.HttpTransportType.ServerSentEvents,
    longpolling: signalR.HttpTransportType.LongPolling,
  };
  const t = transports[String(opts.transport).toLowerCase()];
  if (t === undefined) usage(`unknown transport ${opts.transport}`);
  opts.transportType = t;
  if (opts.capture !== null) {
    if (!opts.capture) usage("--capture needs a file name");
    if (opts.protocol !== "json") usage("--capture records JSON messages; it cannot be used with --protocol messagepack");
    if (t !== signalR.HttpTransportType.WebSockets) usage("--capture records WebSocket frames; it needs --transport websockets");
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const isMsgPack = opts.protocol === "messagepack";
const capture = opts.capture ? new FrameCapture() : null;

// ---------------------------------------------------------------- helpers

class CaseTimeout extends Error {}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CaseTimeout(`timed out after ${ms} ms${what ? ` (${what})` : ""}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function errText(e) {
  if (e === undefined || e === null) return String(e);
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

function show(value, max = 120) {
  let s;
  if (value instanceof Uint8Array) s = `Uint8Array[${Array.from(value).join(",")}]`;
  else {
    try {
      s = JSON.stringify(value);
    } catch {
      s = String(value);
    }
    if (s === undefined) s = String(value);
  }
  return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
}

function fail(message) {
  throw new Error(message);
}

function expectEqual(actual, expected, what = "result") {
  if (!deepEqual(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return deepEqual(ka, kb) && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

// Expect `promise` to reject; returns the error. Fails if it resolves.
async function expectReject(promise, what) {
  let value;
  try {
    value = await promise;
  } catch (e) {
    if (e instanceof CaseTimeout) throw e;
    return e;
  }
  fail(`${what}: expected an error completion, got result ${show(value)}`);
}

let uniqueCounter = 0;
function unique(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${uniqueCounter}`;
}

// A queue of values delivered by a callback, awaited with a predicate.
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
  }
  push(item) {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (w.pred(item)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(item);
      }
    }
  }
  has(pred) {
    return this.items.some(pred);
  }
  wait(pred, ms, what) {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return withTimeout(
      new Promise((resolve) => this.waiters.push({ pred, resolve })),
      ms,
      what,
    );
  }
}

// ---------------------------------------------------------------- connections

const allConnections = new Set();

function buildConnection() {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(opts.url, {
      transport: opts.transportType,
      skipNegotiation: false,
      ...(capture ? { WebSocket: capture.WebSocket } : {}),
    })
    .withHubProtocol(isMsgPack ? new MessagePack.MessagePackHubProtocol() : new signalR.JsonHubProtocol())
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  allConnections.add(connection);
  return connection;
}

// Builds a connection, lets `setup` register handlers, and starts it.
async function connect(setup) {
  const connection = buildConnection();
  if (setup) setup(connection);
  try {
    await withTimeout(connection.start(), CONNECT_TIMEOUT_MS, "connection.start");
  } catch (e) {
    void stopConnection(connection); // bounded, and not worth waiting for here
    throw new Error(`could not connect to ${opts.url}: ${errText(e)}`);
  }
  return connection;
}

async function stopConnection(connection) {
  allConnections.delete(connection);
  try {
    await withTimeout(connection.stop(), STOP_TIMEOUT_MS, "connection.stop");
  } catch {
    // best effort
  }
}

// The main connection, shared by most cases. It has the client handlers the
// contract defines; it is re-created when a case left it disconnected.
const mainInbox = {
  notified: new Inbox(),
  groupMessage: new Inbox(),
  broadcasted: new Inbox(),
  answers: [],
};
let mainConnection = null;

function registerMainHandlers(connection) {
  connection.on("Notified", (text) => mainInbox.notified.push(text));
  connection.on("GroupMessage", (group, text) => mainInbox.groupMessage.push({ group, text }));
  connection.on("Broadcasted", (text) => mainInbox.broadcasted.push(text));
  connection.on("Answer", (question) => {
    mainInbox.answers.push(question);
    return "answer:" + question;
  });
}

async function main_() {
  if (mainConnection && mainConnection.state === signalR.HubConnectionState.Connected) return mainConnection;
  if (mainConnection) await stopConnection(mainConnection);
  mainConnection = null;
  mainConnection = await connect(registerMainHandlers);
  return mainConnection;
}

// ---------------------------------------------------------------- cases

const cases = [];
function testCase(name, fn) {
  cases.push({ name, fn });
}

// --- connection
testCase("connect (negotiate + handshake)", async () => {
  const c = await main_();
  if (c.state !== signalR.HubConnectionState.Connected) fail(`state is ${c.state}`);
  if (opts.transportType === signalR.HttpTransportType.WebSockets && c.connectionId == null) {
    // The JS client sets connectionId from the negotiate response.
    fail("no connectionId after negotiate");
  }
});

// --- Echo
const echoCases = [
  ["Echo ASCII", "hello, world"],
  ["Echo Unicode (accents, CJK, RTL, emoji)", "héllo wörld — 日本語 — مرحبا — 🎉👩‍💻🏳️‍🌈 — \u0000nul"],
  ["Echo empty string", ""],
  ["Echo 20,000-char string", Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(33 + (i % 94))).join("")],
];
for (const [name, text] of echoCases) {
  testCase(name, async () => {
    const c = await main_();
    expectEqual(await c.invoke("Echo", text), text);
  });
}

// --- Add
testCase("Add 2 + 3", async () => {
  const c = await main_();
  expectEqual(await c.invoke("Add", 2, 3), 5);
});
testCase("Add negatives -7 + -8", async () => {
  const c = await main_();
  expectEqual(await c.invoke("Add", -7, -8), -15);
});
testCase("Add overflow 2147483647 + 1 rejects", async () => {
  const c = await main_();
  const e = await expectReject(c.invoke("Add", 2147483647, 1), "Add(2147483647, 1)");
  if (!errText(e)) fail("error completion without a message");
  // The connection stays usable.
  expectEqual(await c.invoke("Add", 1, 1), 2, "Add after overflow");
});
testCase("Add underflow -2147483648 + -1 rejects", async () => {
  const c = await main_();
  await expectReject(c.invoke("Add", -2147483648, -1), "Add(-2147483648, -1)");
  expectEqual(await c.invoke("Add", 1, 1), 2, "Add after underflow");
});

// --- EchoPerson
testCase("EchoPerson (nickname null)", async () => {
  const c = await main_();
  const person = { name: "Ada", age: 36, tags: ["math", "engines"], nickname: null };
  const got = await c.invoke("EchoPerson", person);
  expectEqual(got, { ...person, age: 37 });
});
testCase("EchoPerson (nickname set, Unicode, empty tags)", async () => {
  const c = await main_();
  const person = { name: "Grâce 🌟", age: 0, tags: [], nickname: "Amazing Grace" };
  const got = await c.invoke("EchoPerson", person);
  expectEqual(got, { ...person, age: 1 });
});

// --- Fail
testCase("Fail rejects with the message", async () => {
  const c = await main_();
  const text = unique("boom");
  const e = await expectReject(c.invoke("Fail", text), "Fail");
  if (!errText(e).includes(text)) fail(`error message ${show(errText(e))} does not contain ${show(text)}`);
  expectEqual(await c.invoke("Echo", "after-fail"), "after-fail", "Echo after Fail");
});

// --- Notify
testCase("Notify via send -> Notified callback", async () => {
  const c = await main_();
  const text = unique("notify");
  await c.send("Notify", text);
  await mainInbox.notified.wait((t) => t === text, 5_000, "waiting for Notified");
});
testCase("Notify via invoke completes -> Notified callback", async () => {
  const c = await main_();
  const text = unique("notify-invoke");
  const result = await c.invoke("Notify", text);
  if (result !== null && result !== undefined) fail(`expected a void completion, got ${show(result)}`);
  await mainInbox.notified.wait((t) => t === text, 5_000, "waiting for Notified");
});

// --- Counter
function collectStream(streamResult, { stopAfter } = {}) {
  const items = [];
  let subscription;
  const done = new Promise((resolve, reject) => {
    subscription = streamResult.subscribe({
      next: (item) => {
        items.push(item);
        if (stopAfter !== undefined && items.length >= stopAfter) resolve({ items, cancelled: true });
      },
      complete: () => resolve({ items, cancelled: false }),
      error: (err) => reject(err),
    });
  });
  return { items, done, subscription: () => subscription };
}

testCase("Counter stream yields 0..count", async () => {
  const c = await main_();
  const s = collectStream(c.stream("Counter", 5, 10));
  const { items } = await s.done;
  expectEqual(items, [0, 1, 2, 3, 4], "stream items");
});
testCase("Counter stream with count 0 completes empty", async () => {
  const c = await main_();
  const s = collectStream(c.stream("Counter", 0, 10));
  const { items } = await s.done;
  expectEqual(items, [], "stream items");
});
testCase("CounterCancelled false after a completed stream", async () => {
  const c = await main_();
  const s = collectStream(c.stream("Counter", 3, 1));
  await s.done;
  expectEqual(await c.invoke("CounterCancelled"), false, "CounterCancelled");
});
testCase("Counter cancellation -> CounterCancelled true", async () => {
  // Own connection, so the "last Counter stream" is unambiguous.
  const c = await connect();
  try {
    const s = collectStream(c.stream("Counter", 1000, 50), { stopAfter: 2 });
    const { items } = await s.done;
    s.subscription().dispose(); // sends CancelInvocation
    expectEqual(items.slice(0, 2), [0, 1], "first stream items");
    // The server should notice promptly; poll for up to 3 s.
    const deadline = Date.now() + 3_000;
    let cancelled;
    for (;;) {
      cancelled = await c.invoke("CounterCancelled");
      if (cancelled === true || Date.now() > deadline) break;
      await sleep(50);
    }
    expectEqual(cancelled, true, "CounterCancelled after dispose");
    expectEqual(await c.invoke("Echo", "after-cancel"), "after-cancel", "Echo after cancellation");
  } finally {
    await stopConnection(c);
  }
});

// --- Sum (upload stream)
testCase("Sum upload stream", async () => {
  const c = await main_();
  const subject = new signalR.Subject();
  const result = c.invoke("Sum", subject);
  const numbers = [1, 2, 3, 4, 5, 10, -5, 100];
  for (const n of numbers) {
    subject.next(n);
    await sleep(2);
  }
  subject.complete();
  expectEqual(await result, numbers.reduce((a, b) => a + b, 0), "Sum");
});
testCase("Sum upload stream with no items is 0", async () => {
  const c = await main_();
  const subject = new signalR.Subject();
  const result = c.invoke("Sum", subject);
  subject.complete();
  expectEqual(await result, 0, "Sum");
});

// --- AskClient (client result)
testCase("AskClient -> Answer client result", async () => {
  const c = await main_();
  const question = unique("question");
  expectEqual(await c.invoke("AskClient", question), "answer:" + question, "AskClient");
  if (!mainInbox.answers.includes(question)) fail("Answer handler was not called with the question");
});

// --- Groups (two connections)
testCase("JoinGroup/SendToGroup/LeaveGroup with two connections", async () => {
  const inboxA = new Inbox();
  const inboxB = new Inbox();
  const group = unique("group");
  const a = await connect((c) => c.on("GroupMessage", (g, t) => inboxA.push({ group: g, text: t })));
  let b;
  try {
    b = await connect((c) => c.on("GroupMessage", (g, t) => inboxB.push({ group: g, text: t })));
    await a.invoke("JoinGroup", group);
    await b.invoke("JoinGroup", group);

    const first = unique("to-both");
    await a.invoke("SendToGroup", group, first);
    const isFirst = (m) => m.group === group && m.text === first;
    await inboxA.wait(isFirst, 5_000, "A waiting for the first group message");
    await inboxB.wait(isFirst, 5_000, "B waiting for the first group message");

    await b.invoke("LeaveGroup", group);
    const second = unique("to-a-only");
    await a.invoke("SendToGroup", group, second);
    const isSecond = (m) => m.group === group && m.text === second;
    await inboxA.wait(isSecond, 5_000, "A waiting for the second group message");
    await sleep(300); // give a wrongly delivered message time to arrive
    if (inboxB.has(isSecond)) fail("B received a group message after LeaveGroup");

    // Sending to a group from a non-member works too.
    const third = unique("from-outsider");
    await b.invoke("SendToGroup", group, third);
    await inboxA.wait((m) => m.group === group && m.text === third, 5_000, "A waiting for the outsider's message");
  } finally {
    await stopConnection(a);
    if (b) await stopConnection(b);
  }
});

// --- Broadcast (three connections)
testCase("Broadcast reaches three connections", async () => {
  const inboxes = [new Inbox(), new Inbox(), new Inbox()];
  const conns = [];
  try {
    for (const inbox of inboxes) {
      conns.push(await connect((c) => c.on("Broadcasted", (t) => inbox.push(t))));
    }
    const text = unique("broadcast");
    await conns[1].invoke("Broadcast", text);
    await Promise.all(inboxes.map((inbox, i) => inbox.wait((t) => t === text, 5_000, `connection ${i} waiting for Broadcasted`)));
  } finally {
    for (const c of conns) await stopConnection(c);
  }
});

// --- EchoBytes
if (isMsgPack) {
  testCase("EchoBytes (MessagePack bin)", async () => {
    const c = await main_();
    const data = new Uint8Array(256);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const got = await c.invoke("EchoBytes", data);
    if (!(got instanceof Uint8Array)) fail(`expected a Uint8Array, got ${typeof got}: ${show(got)}`);
    expectEqual(got, data, "bytes");
  });
  testCase("EchoBytes empty (MessagePack bin)", async () => {
    const c = await main_();
    const got = await c.invoke("EchoBytes", new Uint8Array(0));
    if (!(got instanceof Uint8Array)) fail(`expected a Uint8Array, got ${typeof got}: ${show(got)}`);
    expectEqual(got.length, 0, "length");
  });
} else {
  testCase("EchoBytes (base64 string under JSON)", async () => {
    const c = await main_();
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + 3) & 0xff));
    const b64 = bytes.toString("base64");
    expectEqual(await c.invoke("EchoBytes", b64), b64, "base64");
  });
  testCase("EchoBytes empty (base64 string under JSON)", async () => {
    const c = await main_();
    expectEqual(await c.invoke("EchoBytes", ""), "", "base64");
  });
}

// --- Sleep
testCase("Sleep 100 returns 100 after about 100 ms", async () => {
  const c = await main_();
  const start = Date.now();
  const got = await c.invoke("Sleep", 100);
  const elapsed = Date.now() - start;
  expectEqual(got, 100, "Sleep");
  if (elapsed < 90) fail(`returned after ${elapsed} ms, expected at least 100 ms`);
});
testCase("Sleep 0", async () => {
  const c = await main_();
  expectEqual(await c.invoke("Sleep", 0), 0, "Sleep");
});

// --- concurrency
testCase("200 concurrent Sleep/Echo invocations", async () => {
  const c = await main_();
  const calls = [];
  for (let i = 0; i < 200; i++) {
    if (i % 2 === 0) calls.push(c.invoke("Sleep", 10).then((r) => ["Sleep", 10, r]));
    else {
      const text = `concurrent-${i}-é🎉`;
      calls.push(c.invoke("Echo", text).then((r) => ["Echo", text, r]));
    }
  }
  const results = await Promise.all(calls);
  const wrong = results.filter(([, expected, got]) => got !== expected);
  if (wrong.length) fail(`${wrong.length} of 200 wrong, e.g. ${wrong[0][0]} expected ${show(wrong[0][1])} got ${show(wrong[0][2])}`);
});

// --- method names
testCase("case-insensitive method name (echo)", async () => {
  const c = await main_();
  expectEqual(await c.invoke("echo", "lower"), "lower", "echo");
  expectEqual(await c.invoke("ECHO", "upper"), "upper", "ECHO");
  expectEqual(await c.invoke("aDd", 20, 22), 42, "aDd");
});
testCase("Conformance|Echo wire name", async () => {
  const c = await main_();
  expectEqual(await c.invoke("Conformance|Echo", "qualified"), "qualified", "Conformance|Echo");
});

// --- bad input
testCase("unknown method rejects naming the method", async () => {
  const c = await main_();
  const name = "NoSuchMethod" + Math.floor(Math.random() * 1e6);
  const e = await expectReject(c.invoke(name, "x"), name);
  const message = errText(e);
  if (!message.includes(name)) fail(`error ${show(message)} does not name the method ${name}`);
  if (!message.toLowerCase().includes("unknown hub method")) {
    fail(`error ${show(message)} is not ASP.NET Core's "Unknown hub method '${name}'"`);
  }
  expectEqual(await c.invoke("Echo", "after-unknown"), "after-unknown", "Echo after unknown method");
});
testCase("wrong argument count rejects, connection stays usable", async () => {
  const c = await main_();
  await expectReject(c.invoke("Echo", "a", "b"), "Echo with 2 arguments");
  if (c.state !== signalR.HubConnectionState.Connected) fail(`connection state is ${c.state} after the error`);
  await expectReject(c.invoke("Add", 1), "Add with 1 argument");
  expectEqual(await c.invoke("Echo", "still-here"), "still-here", "Echo after wrong argument count");
});
testCase("wrong argument type rejects, connection stays usable", async () => {
  const c = await main_();
  await expectReject(c.invoke("Add", "one", 2), "Add with a string argument");
  if (c.state !== signalR.HubConnectionState.Connected) fail(`connection state is ${c.state} after the error`);
  expectEqual(await c.invoke("Echo", "still-here"), "still-here", "Echo after wrong argument type");
});

// ---------------------------------------------------------------- runner

async function run() {
  let passed = 0;
  let failed = 0;
  let fatal = null; // set when the server cannot be reached at all

  for (const { name, fn } of cases) {
    if (fatal) {
      console.log(`FAIL ${name}: not run (${fatal})`);
      failed += 1;
      continue;
    }
    try {
      await withTimeout(Promise.resolve().then(fn), CASE_TIMEOUT_MS, name);
      console.log(`ok   ${name}`);
      passed += 1;
    } catch (e) {
      console.log(`FAIL ${name}: ${errText(e).replace(/\s+/g, " ")}`);
      failed += 1;
      // Without a first connection nothing else can run: say so instead of
      // waiting out every case's timeout.
      if (passed === 0 && failed === 1) fatal = `no connection to the server`;
    }
  }

  await Promise.all([...allConnections].map(stopConnection));
  if (capture) {
    try {
      capture.write(opts.capture);
    } catch (e) {
      console.log(`FAIL capture: could not write ${opts.capture}: ${errText(e)}`);
      failed += 1;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.on("unhandledRejection", () => {
  // Late rejections of abandoned (timed-out) invocations; the case already failed.
});

run().then(
  (code) => process.exit(code),
  (e) => {
    console.log(`FAIL runner: ${errText(e)}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);
