#!/usr/bin/env node
// A farm of hub servers sharing one Redis backplane, driven by official SignalR JavaScript
// clients connected to different servers: every kind of target (all, others, all-except,
// one and several connections, groups joined on one server and sent to from another,
// others in a group, users), group changes for a connection on another server, and client
// results requested on one server from a client on another.
//
//   node tests/node/backplane.mjs --urls URL_A,URL_B,URL_C --protocol json|messagepack
//
// Each URL is the conformance hub of one `conformance-server --redis ...` (with its farm
// methods). Prints `ok`/`FAIL` per case and `N passed, M failed`; exits 0 when all passed.
//
// "Exactly once" is checked without timing: after a message has reached its recipients, a
// client on another server broadcasts a marker; Redis hands every server its messages in
// order, so a duplicate (or a message that should not have come) would arrive before the
// marker does.

import { client, expectEqual, fail, main, parseArgs, runCases, unique } from "./farm-lib.mjs";

const CASE_TIMEOUT_MS = 15_000;
const WAIT_MS = 8_000;
const opts = parseArgs(process.argv.slice(2));
const other = opts.protocol === "json" ? "messagepack" : "json";
const [A, B, C] = [opts.urls[0], opts.urls[1], opts.urls[2] ?? opts.urls[0]];

const is = (method, ...args) => (m) => m.method === method && JSON.stringify(m.args) === JSON.stringify(args);

let a, b, b2, c, mixed, alice1, alice2, bob;

async function farm() {
  if (a) return;
  a = await client(A, opts.protocol, { name: "a@A" });
  b = await client(B, opts.protocol, { name: "b@B" });
  b2 = await client(B, opts.protocol, { name: "b2@B" });
  c = await client(C, opts.protocol, { name: "c@C" });
  mixed = await client(B, other, { name: `${other}@B` });
  alice1 = await client(B, opts.protocol, { user: "alice", name: "alice@B" });
  alice2 = await client(C, opts.protocol, { user: "alice", name: "alice@C" });
  bob = await client(A, opts.protocol, { user: "bob", name: "bob@A" });
}

const everyone = () => [a, b, b2, c, mixed, alice1, alice2, bob];

async function received(clients, pred, what) {
  await Promise.all(clients.map((x) => x.inbox.wait(pred, WAIT_MS, `${x.name}: ${what}`)));
}

// Waits for a marker broadcast by `from`, then checks that each client got `pred` exactly
// `times` times (0 for "not at all").
async function settle(from, expectations) {
  const marker = unique("marker");
  await from.invoke("Broadcast", marker);
  await received(everyone(), is("Broadcasted", marker), "the marker");
  for (const [clients, pred, times, what] of expectations) {
    for (const x of clients) {
      const n = x.inbox.count(pred);
      if (n !== times) fail(`${x.name} received ${what} ${n} times, expected ${times}`);
    }
  }
}

const cases = [];
const testCase = (name, fn) => cases.push({ name, fn });

testCase("a broadcast from one server reaches every client on every server once", async () => {
  await farm();
  for (const [sender, next] of [[a, b], [c, a]]) {
    const text = unique("all");
    await sender.invoke("Broadcast", text);
    const pred = is("Broadcasted", text);
    await received(everyone(), pred, "the broadcast");
    await settle(next, [[everyone(), pred, 1, "the broadcast"]]);
  }
});

testCase(`a client speaking ${other} receives what a ${opts.protocol} client sent`, async () => {
  await farm();
  const text = unique("mixed");
  await a.invoke("Broadcast", text);
  await mixed.inbox.wait(is("Broadcasted", text), WAIT_MS, "the broadcast");
  expectEqual(await mixed.invoke("Echo", "still"), "still", "Echo");
});

testCase("others: every client but the caller, on every server", async () => {
  await farm();
  const text = unique("others");
  await a.invoke("SendToOthers", text);
  const pred = is("Broadcasted", text);
  const rest = everyone().filter((x) => x !== a);
  await received(rest, pred, "the message");
  await settle(c, [[rest, pred, 1, "the message"], [[a], pred, 0, "its own message"]]);
});

testCase("all-except: the excluded connection, on another server, is skipped", async () => {
  await farm();
  const text = unique("except");
  await a.invoke("SendToAllExcept", [c.id, b2.id], text);
  const pred = is("Broadcasted", text);
  const rest = everyone().filter((x) => x !== c && x !== b2);
  await received(rest, pred, "the message");
  await settle(b, [[rest, pred, 1, "the message"], [[c, b2], pred, 0, "the message"]]);
});

testCase("one connection on another server", async () => {
  await farm();
  const text = unique("direct");
  await a.invoke("SendToConnection", c.id, text);
  const pred = is("DirectMessage", text);
  await received([c], pred, "the message");
  await settle(b, [[[c], pred, 1, "the message"], [everyone().filter((x) => x !== c), pred, 0, "the message"]]);
});

testCase("several connections, here and on other servers", async () => {
  await farm();
  const text = unique("several");
  await a.invoke("SendToConnections", [a.id, b.id, c.id], text);
  const pred = is("DirectMessage", text);
  await received([a, b, c], pred, "the message");
  await settle(b, [[[a, b, c], pred, 1, "the message"], [[b2, bob, alice1], pred, 0, "the message"]]);
});

testCase("a group joined on two servers, sent to from a third and from a member's server", async () => {
  await farm();
  const g = unique("group");
  await b.invoke("JoinGroup", g);
  await b2.invoke("JoinGroup", g);
  await c.invoke("JoinGroup", g);
  const members = [b, b2, c];
  const outsiders = everyone().filter((x) => !members.includes(x));
  for (const sender of [a, b]) {
    const text = unique("to-group");
    await sender.invoke("SendToGroup", g, text);
    const pred = is("GroupMessage", g, text);
    await received(members, pred, "the group message");
    await settle(c, [[members, pred, 1, "the group message"], [outsiders, pred, 0, "the group message"]]);
  }
});

testCase("after leaving on its server, a member gets nothing more", async () => {
  await farm();
  const g = unique("leave");
  await b.invoke("JoinGroup", g);
  await c.invoke("JoinGroup", g);
  await c.invoke("LeaveGroup", g);
  const text = unique("after-leave");
  await a.invoke("SendToGroup", g, text);
  const pred = is("GroupMessage", g, text);
  await received([b], pred, "the group message");
  await settle(b, [[[b], pred, 1, "the group message"], [[c], pred, 0, "the group message"]]);
});

testCase("several groups at once", async () => {
  await farm();
  const [g, h] = [unique("g"), unique("h")];
  await b.invoke("JoinGroup", g);
  await c.invoke("JoinGroup", h);
  const text = unique("groups");
  await a.invoke("SendToGroups", [g, h], text);
  const pred = (m) => m.method === "GroupMessage" && m.args[1] === text;
  await received([b, c], pred, "the message");
  await settle(a, [[[b, c], pred, 1, "the message"], [[a, b2], pred, 0, "the message"]]);
});

testCase("others in a group: the caller is skipped, members elsewhere are not", async () => {
  await farm();
  const g = unique("others-in-group");
  for (const x of [b, b2, c]) await x.invoke("JoinGroup", g);
  const text = unique("oig");
  await b.invoke("SendToOthersInGroup", g, text);
  const pred = is("GroupMessage", g, text);
  await received([b2, c], pred, "the message");
  await settle(a, [[[b2, c], pred, 1, "the message"], [[b], pred, 0, "its own message"]]);
});

testCase("a connection on another server added to a group and removed (acknowledged)", async () => {
  await farm();
  const g = unique("remote");
  await a.invoke("AddToGroup", c.id, g);
  const text = unique("remote-added");
  await b.invoke("SendToGroup", g, text);
  const pred = is("GroupMessage", g, text);
  await received([c], pred, "the group message");
  await a.invoke("RemoveFromGroup", c.id, g);
  const later = unique("remote-removed");
  await b.invoke("SendToGroup", g, later);
  await settle(b, [[[c], pred, 1, "the group message"], [[c], is("GroupMessage", g, later), 0, "a message after removal"]]);
});

testCase("a user's connections on two servers, from a third", async () => {
  await farm();
  expectEqual(await alice2.invoke("WhoAmI"), "alice", "WhoAmI");
  const text = unique("user");
  await a.invoke("SendToUser", "alice", text);
  const pred = is("UserMessage", text);
  await received([alice1, alice2], pred, "the user message");
  await settle(b, [[[alice1, alice2], pred, 1, "the user message"], [[bob, a, b], pred, 0, "the user message"]]);
});

testCase("several users", async () => {
  await farm();
  const text = unique("users");
  await c.invoke("SendToUsers", ["alice", "bob"], text);
  const pred = is("UserMessage", text);
  await received([alice1, alice2, bob], pred, "the message");
  await settle(a, [[[alice1, alice2, bob], pred, 1, "the message"], [[a, b, c], pred, 0, "the message"]]);
});

testCase("a client result requested on one server from a client on another", async () => {
  await farm();
  expectEqual(await a.invoke("AskConnection", c.id, "from A"), "answer:from A", "C's answer through A");
  expectEqual(await c.invoke("AskConnection", a.id, "from C"), "answer:from C", "A's answer through C");
  expectEqual(await a.invoke("AskConnection", mixed.id, "mixed"), "answer:mixed", `the ${other} client's answer`);
  expectEqual(await a.invoke("AskConnection", a.id, "self"), "answer:self", "a local answer");
});

testCase("a client result that fails on another server fails the caller with its error", async () => {
  await farm();
  const failing = await client(C, opts.protocol, {
    name: "failing@C",
    answer: () => {
      throw new Error("no answer here");
    },
  });
  let error = null;
  try {
    await a.invoke("AskConnection", failing.id, "q");
  } catch (e) {
    error = e;
  }
  await failing.stop();
  if (!error) fail("AskConnection succeeded");
  if (!String(error.message).includes("no answer here")) fail(`unexpected error: ${error.message}`);
});

testCase("a client result for a connection no server has fails at once", async () => {
  await farm();
  let error = null;
  try {
    await a.invoke("AskConnection", "no-such-connection", "q");
  } catch (e) {
    error = e;
  }
  if (!error) fail("AskConnection succeeded");
  if (!String(error.message).includes("Connection 'no-such-connection' does not exist.")) {
    fail(`unexpected error: ${error.message}`);
  }
});

main(() => runCases(cases, CASE_TIMEOUT_MS));
