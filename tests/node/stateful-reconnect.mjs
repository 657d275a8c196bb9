#!/usr/bin/env node
// Stateful reconnect with the official SignalR JavaScript client against any server URL
// serving the conformance hub with stateful reconnects allowed.
//
//   node tests/node/stateful-reconnect.mjs --url http://127.0.0.1:PORT/hubs/conformance \
//        [--protocol json|messagepack]
//
// The connection is built with `.withStatefulReconnect()`; a Counter stream runs while the
// test terminates the underlying WebSocket (no close handshake, as a dropped network
// does). The package exposes no socket, so the test passes its own `WebSocket` constructor
// through `withUrl(url, { WebSocket })`: a subclass of the `ws` package's class the client
// would use anyway, which only remembers each socket it opens.
//
// Prints one line per case (`ok   <name>` or `FAIL <name>: <reason>`) and a last line
// `N passed, M failed`. Exits 0 only when nothing failed.

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const signalR = require("@microsoft/signalr");
const MessagePack = require("@microsoft/signalr-protocol-msgpack");
const NodeWebSocket = require("ws");

const CASE_TIMEOUT_MS = 20_000;

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    "usage: node tests/node/stateful-reconnect.mjs --url URL [--protocol json|messagepack]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { url: null, protocol: "json" };
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
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

/** A connection whose WebSockets the test can reach. */
function connect() {
  const sockets = [];
  class TestWebSocket extends NodeWebSocket {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  }
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(opts.url, {
      transport: signalR.HttpTransportType.WebSockets,
      WebSocket: TestWebSocket,
    })
    .withStatefulReconnect()
    .configureLogging(signalR.LogLevel.None);
  if (opts.protocol === "messagepack") {
    builder = builder.withHubProtocol(new MessagePack.MessagePackHubProtocol());
  }
  const connection = builder.build();
  const events = { reconnecting: 0, reconnected: 0, closed: 0 };
  connection.onreconnecting(() => events.reconnecting++);
  connection.onreconnected(() => events.reconnected++);
  connection.onclose(() => events.closed++);
  return { connection, sockets, events };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Streams Counter(count, delayMs); terminates the WebSocket after `dropAfter` items. */
async function streamAcrossDrop(c, count, delayMs, dropAfter) {
  const items = [];
  let dropped = false;
  await new Promise((resolve, reject) => {
    c.connection.stream("Counter", count, delayMs).subscribe({
      next: (item) => {
        items.push(item);
        if (!dropped && items.length === dropAfter) {
          dropped = true;
          c.sockets[c.sockets.length - 1].terminate();
        }
      },
      error: reject,
      complete: resolve,
    });
  });
  return items;
}

const cases = [
  [
    "a stream survives a dropped WebSocket: every item once, in order",
    async () => {
      const c = connect();
      await c.connection.start();
      try {
        const id = c.connection.connectionId;
        const items = await streamAcrossDrop(c, 40, 25, 10);
        check(c.sockets.length === 2, `expected 2 WebSockets, saw ${c.sockets.length}`);
        check(
          JSON.stringify(items) === JSON.stringify([...Array(40).keys()]),
          `items ${JSON.stringify(items)}`,
        );
        check(c.connection.connectionId === id, "the connection id changed");
        check(c.connection.state === signalR.HubConnectionState.Connected, "not connected");
        // The package raises no reconnecting/reconnected events for a stateful reconnect.
        check(
          c.events.reconnecting === 0 && c.events.reconnected === 0 && c.events.closed === 0,
          `events ${JSON.stringify(c.events)}`,
        );
        const echoed = await c.connection.invoke("Echo", "after");
        check(echoed === "after", `Echo answered ${echoed}`);
      } finally {
        await c.connection.stop();
      }
    },
  ],
  [
    "several drops in a row, with invocations in between",
    async () => {
      const c = connect();
      await c.connection.start();
      try {
        const id = c.connection.connectionId;
        for (let round = 0; round < 3; round++) {
          const items = await streamAcrossDrop(c, 20, 10, 5 + round);
          check(
            JSON.stringify(items) === JSON.stringify([...Array(20).keys()]),
            `round ${round}: items ${JSON.stringify(items)}`,
          );
          check((await c.connection.invoke("Add", round, 1)) === round + 1, "Add");
        }
        check(c.sockets.length === 4, `expected 4 WebSockets, saw ${c.sockets.length}`);
        check(c.connection.connectionId === id, "the connection id changed");
      } finally {
        await c.connection.stop();
      }
    },
  ],
  [
    "messages sent while the WebSocket is down arrive after the reconnect",
    async () => {
      const c = connect();
      await c.connection.start();
      try {
        const id = c.connection.connectionId;
        c.sockets[0].terminate();
        // Sent while the client reconnects: buffered by the client, resent after.
        const echoed = await c.connection.invoke("Echo", "while down");
        check(echoed === "while down", `Echo answered ${echoed}`);
        check(c.connection.connectionId === id, "the connection id changed");
        check(c.sockets.length === 2, `expected 2 WebSockets, saw ${c.sockets.length}`);
      } finally {
        await c.connection.stop();
      }
    },
  ],
];

let passed = 0;
let failed = 0;
for (const [name, run] of cases) {
  try {
    await Promise.race([
      run(),
      sleep(CASE_TIMEOUT_MS).then(() => {
        throw new Error(`timed out after ${CASE_TIMEOUT_MS} ms`);
      }),
    ]);
    console.log(`ok   ${name}`);
    passed++;
  } catch (e) {
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
