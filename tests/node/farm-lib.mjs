// Shared by the scale-out tests (backplane.mjs, backplane-fault.mjs): official SignalR
// JavaScript clients connected to several servers of one farm, inboxes of what they
// receive, and a case runner that prints `ok`/`FAIL` lines and `N passed, M failed`.

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const signalR = require("@microsoft/signalr");
const MessagePack = require("@microsoft/signalr-protocol-msgpack");

export const CONNECT_TIMEOUT_MS = 8_000;
const STOP_TIMEOUT_MS = 5_000;

export class CaseTimeout extends Error {}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CaseTimeout(`timed out after ${ms} ms${what ? ` (${what})` : ""}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function errText(e) {
  if (e === undefined || e === null) return String(e);
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

export function fail(message) {
  throw new Error(message);
}

export function expectEqual(actual, expected, what = "result") {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) fail(`${what}: expected ${b}, got ${a}`);
}

let counter = 0;
export function unique(prefix) {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

// Command-line options: --urls A,B,C --protocol json|messagepack, plus `extra` names.
export function parseArgs(argv, extra = []) {
  const opts = { urls: [], protocol: "json" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq >= 0 ? arg.slice(eq + 1) : argv[++i]);
    if (key === "--urls") opts.urls = value().split(",").filter(Boolean);
    else if (key === "--protocol") opts.protocol = value();
    else if (extra.includes(key.slice(2))) opts[key.slice(2)] = value();
    else {
      console.error(`unknown argument ${arg}`);
      process.exit(2);
    }
  }
  if (opts.urls.length < 2) {
    console.error("--urls needs the hub URLs of at least two servers, comma-separated");
    process.exit(2);
  }
  if (!["json", "messagepack"].includes(opts.protocol)) {
    console.error(`unknown protocol ${opts.protocol}`);
    process.exit(2);
  }
  return opts;
}

// A queue of values delivered by a callback, awaited with a predicate.
export class Inbox {
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
  count(pred) {
    return this.items.filter(pred).length;
  }
  wait(pred, ms, what) {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return withTimeout(new Promise((resolve) => this.waiters.push({ pred, resolve })), ms, what);
  }
}

const open = new Set();

// A started client on `url` that records every client method the farm hub calls in one
// inbox as { method, args }. `user` becomes its access token (the farm server's user).
// `answer` handles the `Answer` client result.
export async function client(url, protocol, { user, answer, name } = {}) {
  const builder = new signalR.HubConnectionBuilder()
    .withUrl(url, {
      transport: signalR.HttpTransportType.WebSockets,
      ...(user ? { accessTokenFactory: () => user } : {}),
    })
    .withHubProtocol(protocol === "messagepack" ? new MessagePack.MessagePackHubProtocol() : new signalR.JsonHubProtocol())
    .configureLogging(signalR.LogLevel.None);
  const connection = builder.build();
  const inbox = new Inbox();
  for (const method of ["Broadcasted", "GroupMessage", "UserMessage", "DirectMessage", "Notified"]) {
    connection.on(method, (...args) => inbox.push({ method, args }));
  }
  connection.on("Answer", (question) => (answer ? answer(question) : `answer:${question}`));
  let closed = null;
  connection.onclose((e) => {
    closed = e ?? new Error("closed");
  });
  try {
    await withTimeout(connection.start(), CONNECT_TIMEOUT_MS, `connect to ${url}`);
  } catch (e) {
    void connection.stop();
    throw new Error(`could not connect to ${url}: ${errText(e)}`);
  }
  open.add(connection);
  // The server reads a connection's first message once other servers can reach it: after
  // this round trip its connection and user channels are subscribed in the farm.
  await withTimeout(connection.invoke("Echo", "ready"), CONNECT_TIMEOUT_MS, "first call");
  return {
    connection,
    inbox,
    name: name ?? url,
    get id() {
      return connection.connectionId;
    },
    get closed() {
      return closed;
    },
    invoke: (...args) => connection.invoke(...args),
    stop: async () => {
      open.delete(connection);
      await withTimeout(connection.stop(), STOP_TIMEOUT_MS, "stop").catch(() => {});
    },
  };
}

export async function stopAll() {
  await Promise.all([...open].map((c) => withTimeout(c.stop(), STOP_TIMEOUT_MS, "stop").catch(() => {})));
  open.clear();
}

// Runs `cases` ({ name, fn }) in order, each within `timeoutMs`; prints one line per case
// and the closing count; resolves to the exit code.
export async function runCases(cases, timeoutMs) {
  let passed = 0;
  let failed = 0;
  for (const { name, fn } of cases) {
    try {
      await withTimeout(Promise.resolve().then(fn), timeoutMs, name);
      console.log(`ok   ${name}`);
      passed += 1;
    } catch (e) {
      console.log(`FAIL ${name}: ${errText(e).replace(/\s+/g, " ")}`);
      failed += 1;
    }
  }
  await stopAll();
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

export function main(run) {
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
}
