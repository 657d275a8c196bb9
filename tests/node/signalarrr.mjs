#!/usr/bin/env node
// The SignalARRR dialect on the wire, driven with the official SignalR JavaScript client
// (@microsoft/signalr) invoking SignalARRR's tunnelling hub methods by hand, against the
// SignalARRR test server (examples/signalarrr/server.rs):
//
//   node tests/node/signalarrr.mjs --url http://127.0.0.1:PORT \
//        [--protocol json|messagepack] [--transport websockets|longpolling|serversentevents]
//
// `--url` is the server's root: the hub is at /signalr/testhub, the hooks that make the
// server call a client at /__test/... . Covers InvokeMessageResult, InvokeMessage,
// SendMessage and StreamMessage with a ClientRequestMessage (bare, Class.Method and
// Interface|Method names), the server calling clients (InvokeServerRequest answered through
// a client result, InvokeServerMessage, a client stream through StreamItemToServer and
// StreamCompleteToServer), upload slots, SignalARRR's error envelope, and bad input: a
// malformed ClientRequestMessage, an unknown method, a wrong argument count, a stream item
// from a connection that does not own the stream, an upload slot past the limit; after
// each the connection, and a bystander connection, still answer.
//
// Prints one line per case (`ok   <name>` or `FAIL <name>: <reason>`) and a last line
// `N passed, M failed`. Exits 0 only when nothing failed.

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const signalR = require("@microsoft/signalr");
const MessagePack = require("@microsoft/signalr-protocol-msgpack");

const CASE_TIMEOUT_MS = 20_000;
const HUB_PATH = "/signalr/testhub";
const CLIENT = "TestShared.ITestClientMethods";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    "usage: node tests/node/signalarrr.mjs --url URL [--protocol json|messagepack]" +
      " [--transport websockets|longpolling|serversentevents]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { url: null, protocol: "json", transport: "websockets" };
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
      case "-h":
      case "--help":
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  if (!opts.url) usage("--url is required");
  if (!["json", "messagepack"].includes(opts.protocol)) usage("bad --protocol");
  if (!["websockets", "longpolling", "serversentevents"].includes(opts.transport)) {
    usage("bad --transport");
  }
  opts.url = opts.url.replace(/\/+$/, "");
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const TRANSPORTS = {
  websockets: signalR.HttpTransportType.WebSockets,
  longpolling: signalR.HttpTransportType.LongPolling,
  serversentevents: signalR.HttpTransportType.ServerSentEvents,
};

/** A started connection to the SignalARRR endpoint. */
async function connect(handlers = {}) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(opts.url + HUB_PATH, { transport: TRANSPORTS[opts.transport] })
    .configureLogging(signalR.LogLevel.None);
  if (opts.protocol === "messagepack") {
    builder = builder.withHubProtocol(new MessagePack.MessagePackHubProtocol());
  }
  const connection = builder.build();
  for (const [target, handler] of Object.entries(handlers)) connection.on(target, handler);
  await connection.start();
  return connection;
}

/** A ClientRequestMessage, as SignalARRR's TypeScript client sends it. */
const request = (method, args = []) => ({ Method: method, Arguments: args, Authorization: "" });

const invokeResult = (c, method, ...args) =>
  c.invoke("InvokeMessageResult", request(method, args));

function collect(c, method, ...args) {
  return new Promise((resolve, reject) => {
    const items = [];
    c.stream("StreamMessage", request(method, args)).subscribe({
      next: (item) => items.push(item),
      error: reject,
      complete: () => resolve(items),
    });
  });
}

/** POSTs a test hook; its JSON answer. */
async function hook(name, params) {
  const query = new URLSearchParams(params);
  const response = await fetch(`${opts.url}/__test/${name}?${query}`, { method: "POST" });
  const body = await response.text();
  check(response.ok, `hook ${name} answered ${response.status}: ${body}`);
  return JSON.parse(body);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** A SignalARRR error envelope out of a rejected invocation, with the text before it. */
function envelope(err) {
  const text = String(err?.message ?? err);
  const marker = "HARRRException: ";
  const at = text.indexOf(marker);
  check(at >= 0, `no SignalARRR error envelope in: ${text}`);
  return { prefix: text.slice(0, at), error: JSON.parse(text.slice(at + marker.length)) };
}

/** Awaits `promise`, expecting a rejection carrying an envelope with `code`. */
async function rejectsWith(promise, code) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    const { prefix, error } = envelope(err);
    check(error.Version === 1, `Version ${error.Version}`);
    check(error.Code === code, `code ${error.Code}, expected ${code}: ${JSON.stringify(error)}`);
    return { prefix, error };
  }
  throw new Error(`expected the error ${code}, got the result ${JSON.stringify(value)}`);
}

/** A ServerRequestMessage's fields, all present, in the shape SignalARRR clients read. */
function checkServerRequest(req, method) {
  check(req && typeof req === "object", `not a ServerRequestMessage: ${JSON.stringify(req)}`);
  for (const key of ["Id", "Method", "Arguments", "GenericArguments", "CancellationGuid", "StreamId"]) {
    check(key in req, `no ${key} in ${JSON.stringify(req)}`);
  }
  check(GUID.test(req.Id), `Id ${req.Id}`);
  check(req.Method === method, `Method ${req.Method}, expected ${method}`);
  check(Array.isArray(req.Arguments), `Arguments ${JSON.stringify(req.Arguments)}`);
}

/** The bystander: a connection that must go on answering through every case. */
let bystander;

const cases = [
  [
    "InvokeMessageResult: a bare hub method name, its result",
    async () => {
      const c = await connect();
      try {
        check((await invokeResult(c, "Echo", "hello")) === "hello", "Echo");
        check((await invokeResult(c, "GetNameAsync")) === "MyNameAsync", "GetNameAsync");
        check(GUID.test(await invokeResult(c, "GetGuid")), "GetGuid");
        const nothing = await invokeResult(c, "NothingAsync");
        check(nothing === null || nothing === undefined, `NothingAsync gave ${nothing}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "InvokeMessageResult: Class.Method, a renamed method, Interface|Method",
    async () => {
      const c = await connect();
      try {
        check((await invokeResult(c, "ExtraMethods.Add", 3, 4)) === 7, "Add");
        check((await invokeResult(c, "ExtraMethods.Greet", "World")) === "Hello, World!", "Greet");
        check((await invokeResult(c, "ExtraMethods.CustomEcho", "x")) === "x", "CustomEcho");
        check(
          (await invokeResult(c, "ExtraMethods.Combine", "test", 42, true)) === "test-42-True",
          "Combine",
        );
        const lengths = await invokeResult(c, "ExtraMethods.WordLengths", "hello world");
        check(same(lengths, { hello: 5, world: 5 }), `WordLengths ${JSON.stringify(lengths)}`);
        const echoed = await invokeResult(c, "TestShared.ITestServerMethods|Echo", "iface");
        check(echoed === "iface", `Interface|Method gave ${echoed}`);
        // An injected parameter takes no argument slot.
        const info = await invokeResult(c, "ExtraMethods.GetServiceInfo");
        check(info === "ServiceProviderInjected", `GetServiceInfo gave ${info}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "InvokeMessage: completes without a result; SendMessage: no reply, the call runs",
    async () => {
      const c = await connect();
      try {
        const r = await c.invoke("InvokeMessage", request("Echo", ["dropped"]));
        check(r === null || r === undefined, `InvokeMessage gave ${JSON.stringify(r)}`);
        await c.send("SendMessage", request("NothingAsync"));
        // Sent with a group join: the connection is then in the group the hub names.
        await c.send("SendMessage", request("SubscribeViaSend", ["arrr-group"]));
        const id = await invokeResult(c, "GetConnectionId");
        check(id === c.connectionId, `GetConnectionId ${id}, connection ${c.connectionId}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "StreamMessage: items in order, then the completion",
    async () => {
      const c = await connect();
      try {
        const items = await collect(c, "Counter", 5, 10);
        check(same(items, [0, 1, 2, 3, 4]), `items ${JSON.stringify(items)}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "InvokeServerRequest: the server's call answered through a client result",
    async () => {
      const seen = [];
      const c = await connect({
        InvokeServerRequest: (req) => {
          seen.push(req);
          if (req.Method === `${CLIENT}|GetById`) return req.Arguments[0];
          if (req.Method === `${CLIENT}|GetContent`) {
            return [...Array(req.Arguments[0]).keys()].map((i) => `item-${i}`);
          }
          return null;
        },
      });
      try {
        const id = await hook("trigger-client-getbyid", { connectionId: c.connectionId, id: "abc" });
        check(id === "abc", `GetById answered ${JSON.stringify(id)}`);
        checkServerRequest(seen[0], `${CLIENT}|GetById`);
        check(same(seen[0].Arguments, ["abc"]), `Arguments ${JSON.stringify(seen[0].Arguments)}`);
        check(seen[0].StreamId === null, `StreamId ${seen[0].StreamId}`);
        const list = await hook("trigger-client-getcontent", { connectionId: c.connectionId, count: "2" });
        check(same(list, ["item-0", "item-1"]), `GetContent answered ${JSON.stringify(list)}`);
        check(seen[1].Id !== seen[0].Id, "two messages with one Id");
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "InvokeServerMessage: typed and raw one-way calls reach the client",
    async () => {
      const seen = [];
      let arrived;
      const twoArrived = new Promise((resolve) => (arrived = resolve));
      const c = await connect({
        InvokeServerMessage: (req) => {
          seen.push(req);
          if (seen.length === 2) arrived();
        },
      });
      try {
        check((await hook("trigger-client-typed-call", { connectionId: c.connectionId })) === "Sent", "typed");
        const raw = { connectionId: c.connectionId, method: "GetById", arg: "fire-forget" };
        check((await hook("trigger-client-call", raw)) === "Sent", "raw");
        await twoArrived;
        checkServerRequest(seen[0], `${CLIENT}|Nix`);
        check(same(seen[0].Arguments, []), `Nix Arguments ${JSON.stringify(seen[0].Arguments)}`);
        checkServerRequest(seen[1], "GetById");
        check(same(seen[1].Arguments, ["fire-forget"]), `Arguments ${JSON.stringify(seen[1].Arguments)}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "a client stream the server asks for: StreamItemToServer in order, StreamCompleteToServer",
    async () => {
      let c;
      c = await connect({
        InvokeServerMessage: async (req) => {
          checkServerRequest(req, `${CLIENT}|StreamNumbers`);
          check(GUID.test(req.StreamId), `StreamId ${req.StreamId}`);
          for (let i = 0; i < req.Arguments[0]; i++) await c.send("StreamItemToServer", req.StreamId, i);
          await c.send("StreamCompleteToServer", req.StreamId, null);
        },
      });
      try {
        const items = await hook("trigger-client-stream", { connectionId: c.connectionId, count: "4" });
        check(same(items, [0, 1, 2, 3]), `items ${JSON.stringify(items)}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "a client result that is a stream reference: the upload slot, the upload, the bytes",
    async () => {
      let c;
      c = await connect({
        InvokeServerRequest: async (req) => {
          checkServerRequest(req, `${CLIENT}|GetFileStream`);
          const url = await c.invoke("RequestUploadSlot");
          const response = await fetch(url, {
            method: "POST",
            headers: { "Content-Type": "application/octet-stream" },
            body: new TextEncoder().encode(String(req.Arguments[0])),
          });
          check(response.status === 200, `upload answered ${response.status}`);
          return { Uri: url };
        },
      });
      try {
        const text = await hook("trigger-client-getfilestream", { connectionId: c.connectionId, content: "bytes!" });
        check(text === "bytes!", `the server read ${JSON.stringify(text)}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "errors: SignalARRR's envelope, an argument error named, an internal one withheld, an application code",
    async () => {
      const c = await connect();
      try {
        const arg = await rejectsWith(invokeResult(c, "ExtraMethods.ThrowArgumentException", "p"), "argument_binding_failed");
        check(arg.error.Type === "System.ArgumentException", `Type ${arg.error.Type}`);
        check(arg.error.Message.includes("Invalid value provided"), `Message ${arg.error.Message}`);
        check(
          arg.prefix === "An unexpected error occurred invoking 'InvokeMessageResult' on the server. ",
          `prefix ${JSON.stringify(arg.prefix)}`,
        );
        const internal = await rejectsWith(invokeResult(c, "ExtraMethods.ThrowInvalidOperation"), "internal");
        check(/Correlation id: [0-9a-f]{12}$/.test(internal.error.Message), `Message ${internal.error.Message}`);
        check(!JSON.stringify(internal.error).includes("not allowed"), "the internal error leaked");
        const full = await rejectsWith(invokeResult(c, "ExtraMethods.ThrowRoomFull"), "room_full");
        check(full.error.Message === "The room is full.", `Message ${full.error.Message}`);
        check((await invokeResult(c, "Echo", "still")) === "still", "the connection stopped answering");
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "bad input: a malformed ClientRequestMessage, an unknown method, a wrong argument count",
    async () => {
      const c = await connect();
      try {
        const bad = await rejectsWith(
          c.invoke("InvokeMessageResult", { Method: 5, Arguments: [] }),
          "argument_binding_failed",
        );
        check(bad.error.Message.includes("Method"), `Message ${bad.error.Message}`);
        await rejectsWith(
          c.invoke("InvokeMessageResult", { Method: "Echo", Arguments: "x" }),
          "argument_binding_failed",
        );
        const unknown = await rejectsWith(invokeResult(c, "NoSuchMethod"), "method_not_found");
        check(unknown.error.Message === "Method 'NoSuchMethod' not found!", `Message ${unknown.error.Message}`);
        await rejectsWith(invokeResult(c, "NoSuch.Interface|Echo", "x"), "method_not_found");
        const count = await rejectsWith(invokeResult(c, "Echo", "a", "b"), "invalid_argument_count");
        check(
          count.error.Message.startsWith("Method 'Echo' cannot be called with 2 argument(s)."),
          `Message ${count.error.Message}`,
        );
        await rejectsWith(collect(c, "NoSuchStream"), "method_not_found");
        check((await invokeResult(c, "Echo", "still")) === "still", "the connection stopped answering");
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "bad input: a stream item from a connection that does not own the stream is dropped",
    async () => {
      let owner;
      let asked;
      const streamAsked = new Promise((resolve) => (asked = resolve));
      owner = await connect({ InvokeServerMessage: (req) => asked(req.StreamId) });
      const intruder = await connect();
      try {
        const result = hook("trigger-client-stream", { connectionId: owner.connectionId, count: "2" });
        const streamId = await streamAsked;
        await intruder.send("StreamItemToServer", streamId, 99);
        await intruder.send("StreamCompleteToServer", streamId, "intruded");
        // The intruder's reader has handled both once it answers this.
        check((await invokeResult(intruder, "Echo", "i")) === "i", "the intruder stopped answering");
        await owner.send("StreamItemToServer", streamId, 0);
        await owner.send("StreamItemToServer", streamId, 1);
        await owner.send("StreamCompleteToServer", streamId, null);
        const items = await result;
        check(same(items, [0, 1]), `items ${JSON.stringify(items)}`);
      } finally {
        await owner.stop();
        await intruder.stop();
      }
    },
  ],
  [
    "bad input: an upload slot past the limit; a used slot is gone",
    async () => {
      const c = await connect();
      try {
        const slots = [];
        for (let i = 0; i < 32; i++) slots.push(await c.invoke("RequestUploadSlot"));
        const prefix = `${opts.url}${HUB_PATH}/upload/`.toLowerCase();
        for (const url of slots) {
          check(url.startsWith(prefix) && GUID.test(url.slice(prefix.length)), `slot URL ${url}`);
        }
        check(new Set(slots).size === 32, "two slots with one URL");
        const over = await rejectsWith(c.invoke("RequestUploadSlot"), "upload_slot_limit_reached");
        check(over.error.Message.includes("32 upload slots"), `Message ${over.error.Message}`);
        const unknown = await fetch(`${prefix}${"0".repeat(8)}-0000-0000-0000-${"0".repeat(12)}`, {
          method: "POST",
          body: "x",
        });
        check(unknown.status === 404, `an unknown slot answered ${unknown.status}`);
        const first = await fetch(slots[0], { method: "POST", body: "x" });
        check(first.status === 200, `the upload answered ${first.status}`);
        const again = await fetch(slots[0], { method: "POST", body: "x" });
        check(again.status === 404, `a used slot answered ${again.status}`);
        check((await invokeResult(c, "Echo", "still")) === "still", "the connection stopped answering");
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "plain SignalR calls of the hub's own methods work at the SignalARRR endpoint",
    async () => {
      const c = await connect();
      try {
        check((await c.invoke("Echo", "plain")) === "plain", "Echo");
        const items = [];
        await new Promise((resolve, reject) =>
          c.stream("Counter", 3, 1).subscribe({ next: (i) => items.push(i), error: reject, complete: resolve }),
        );
        check(same(items, [0, 1, 2]), `items ${JSON.stringify(items)}`);
      } finally {
        await c.stop();
      }
    },
  ],
  [
    "the bystander connection answered through all of it",
    async () => {
      check((await invokeResult(bystander, "Echo", "bystander")) === "bystander", "Echo");
      check(bystander.state === signalR.HubConnectionState.Connected, `state ${bystander.state}`);
    },
  ],
];

function withTimeout(promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let passed = 0;
let failed = 0;
try {
  bystander = await connect();
} catch (err) {
  console.log(`FAIL connect: ${err?.message ?? err}`);
  console.log(`0 passed, ${cases.length} failed`);
  process.exit(1);
}
for (const [name, run] of cases) {
  try {
    await withTimeout(run());
    passed++;
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err?.message ?? err}`);
  }
}
await bystander.stop();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
