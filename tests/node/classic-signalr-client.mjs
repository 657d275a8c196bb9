// npm `signalr-client` (a Node.js client of classic ASP.NET SignalR 2.x written apart from
// the official one; WebSockets only, client protocol 1.5) against a classic endpoint (the
// conformance server's /signalr, hub `conformance`): the conformance rows this client can
// express.
//
//   node tests/node/classic-signalr-client.mjs --url http://127.0.0.1:PORT [--timeout SECONDS]
//
// What the client cannot express, and so is not run with it: `Counter` (a progress report
// arrives in `M`, as from the classic server, and the client reads every `M` entry as a
// hub call: it throws on the entry's missing `H` and the process dies), caller state (it
// sends none),
// resuming from a cursor (it reconnects with a fresh `/connect`), transports other than
// WebSockets, and the rows 2.x cannot express at all (see classic/rows.js).
// Prints `ok row` or `FAIL row: reason` per row, then `signalr-client: N passed, M failed`;
// exits non-zero if anything failed.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const signalR = require("signalr-client");

function usage() {
  console.error("usage: classic-signalr-client.mjs --url URL [--timeout SECONDS]");
  process.exit(2);
}

let url;
let timeoutSeconds = 90;
const args = process.argv.slice(2);
while (args.length > 0) {
  const [flag, value] = args.splice(0, 2);
  if (flag === "--url" && value) {
    url = value.replace(/\/+$/, "");
  } else if (flag === "--timeout" && Number(value) > 0) {
    timeoutSeconds = Number(value);
  } else {
    usage();
  }
}
if (!url) {
  usage();
}

const STEP_MS = 10_000;
let passed = 0;
let failed = 0;
const clients = [];

function finish() {
  for (const c of clients) {
    try { c.end(); } catch { /* already ended */ }
  }
  console.log(`signalr-client: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const watchdog = setTimeout(() => {
  failed += 1;
  console.log(`FAIL timeout: the run took longer than ${timeoutSeconds}s`);
  finish();
}, timeoutSeconds * 1000);

function assert(cond, message) {
  if (!cond) {
    throw new Error(message);
  }
}

function same(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  assert(g === w, `${what}: got ${g.slice(0, 200)}, want ${w.slice(0, 200)}`);
}

function until(check, what, ms = STEP_MS) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) {
        resolve();
      } else if (Date.now() - started > ms) {
        reject(new Error(`${what}: not within ${ms} ms`));
      } else {
        setTimeout(tick, 20);
      }
    };
    tick();
  });
}

/** A connected client with the client methods recorded. */
function open() {
  return new Promise((resolve, reject) => {
    // doNotStart: the handlers go in first.
    const client = new signalR.client(`${url}/signalr`, ["conformance"], 10, true);
    clients.push(client);
    const got = { notified: [], groupMessage: [], broadcasted: [] };
    client.on("conformance", "Notified", (text) => got.notified.push(text));
    client.on("conformance", "GroupMessage", (group, text) => got.groupMessage.push([group, text]));
    client.on("conformance", "Broadcasted", (text) => got.broadcasted.push(text));
    const timer = setTimeout(() => reject(new Error("not connected in time")), STEP_MS);
    client.serviceHandlers.connected = () => {
      clearTimeout(timer);
      resolve({ client, got });
    };
    client.serviceHandlers.connectFailed = (e) => reject(new Error(`connect failed: ${e}`));
    client.serviceHandlers.onerror = (m, e) => reject(new Error(`error: ${m} ${e ?? ""}`));
    client.start();
  });
}

/** `call` as a promise: the result, or a rejection with the hub's error text. */
function call(c, method, ...callArgs) {
  return new Promise((resolve, reject) => {
    c.client.call("conformance", method, ...callArgs).done((err, result) => {
      if (err) {
        reject(new Error(String(err)));
      } else {
        resolve(result);
      }
    }, STEP_MS);
  });
}

async function failure(promise, what) {
  try {
    const v = await promise;
    throw new Error(`${what}: succeeded with ${JSON.stringify(v)}`);
  } catch (e) {
    if (String(e.message).startsWith(`${what}: succeeded`)) {
      throw e;
    }
    return e;
  }
}

const rows = [];
function row(name, body) {
  rows.push({ name, body });
}

row("Echo returns any Unicode text unchanged", async (c) => {
  for (const text of ["", "hello", "héllo wörld ✓ 🎉 \"quoted\" \\", "x".repeat(20000)]) {
    same(await call(c, "Echo", text), text, "Echo");
  }
});

row("Add adds; an overflow is an error", async (c) => {
  same(await call(c, "Add", 2, 40), 42, "Add");
  await failure(call(c, "Add", 2147483647, 1), "Add overflow");
});

row("EchoPerson returns the person a year older", async (c) => {
  same(await call(c, "EchoPerson", { name: "Ada", age: 36, tags: ["x"], nickname: null }),
    { name: "Ada", age: 37, tags: ["x"], nickname: null }, "EchoPerson");
});

row("Fail is an error carrying the message", async (c) => {
  const e = await failure(call(c, "Fail", "boom 42"), "Fail");
  assert(e.message.includes("boom 42"), `error text: ${e.message}`);
});

row("Notify calls Notified on the caller", async (c) => {
  await call(c, "Notify", "ping");
  await until(() => c.got.notified.includes("ping"), "Notified");
});

row("groups: JoinGroup, SendToGroup, LeaveGroup", async (c, other) => {
  const group = `g-${Math.random()}`;
  await call(c, "JoinGroup", group);
  await call(other, "SendToGroup", group, "one");
  await until(() => c.got.groupMessage.some(([g, x]) => g === group && x === "one"), "GroupMessage");
  assert(!other.got.groupMessage.some(([g]) => g === group), "a non-member got the group message");
  await call(c, "LeaveGroup", group);
  await call(other, "SendToGroup", group, "two");
  const marker = `marker-${Math.random()}`;
  await call(other, "Broadcast", marker);
  await until(() => c.got.broadcasted.includes(marker), "the marker");
  assert(!c.got.groupMessage.some(([g, x]) => g === group && x === "two"), "a member that left got the group message");
});

row("Broadcast reaches every connection", async (c, other) => {
  const text = `all-${Math.random()}`;
  await call(c, "Broadcast", text);
  await until(() => c.got.broadcasted.includes(text) && other.got.broadcasted.includes(text), "Broadcasted");
});

row("EchoBytes round-trips base64 under JSON", async (c) => {
  const data = Buffer.from([0, 1, 2, 250, 255, 128]).toString("base64");
  same(await call(c, "EchoBytes", data), data, "EchoBytes");
});

row("Sleep: calls run concurrently and each gets its own answer", async (c) => {
  same(await Promise.all([call(c, "Sleep", 300), call(c, "Sleep", 50), call(c, "Echo", "meanwhile")]),
    [300, 50, "meanwhile"], "answers");
});

row("an unknown method is an error naming it; the connection stays", async (c) => {
  const e = await failure(call(c, "NoSuchMethod", 1), "NoSuchMethod");
  assert(/NoSuchMethod/.test(e.message), `error text: ${e.message}`);
  same(await call(c, "Echo", "alive"), "alive", "after the error");
});

row("wrong argument count or types are errors; the connection stays", async (c) => {
  await failure(call(c, "Add", 1), "Add with one argument");
  await failure(call(c, "Add", "one", "two"), "Add with strings");
  same(await call(c, "Echo", "alive"), "alive", "after the errors");
});

async function run() {
  let c;
  let other;
  try {
    c = await open();
    other = await open();
    passed += 1;
    console.log("ok connect (negotiate, WebSocket connect, start)");
  } catch (e) {
    failed += 1;
    console.log(`FAIL connect: ${e.message}`);
    return;
  }
  for (const { name, body } of rows) {
    try {
      await body(c, other);
      passed += 1;
      console.log(`ok ${name}`);
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${name}: ${String(e.message).split("\n")[0]}`);
    }
  }
}

try {
  await run();
} catch (e) {
  failed += 1;
  console.log(`FAIL the run: ${e.stack ?? e}`);
}
clearTimeout(watchdog);
finish();
