#!/usr/bin/env node
// Redis crashes under a farm in traffic: `kill -9` of redis-server while clients on every
// server broadcast, then a restart on the same port.
//
//   node tests/node/backplane-fault.mjs --urls URL_A,URL_B,URL_C --protocol json|messagepack \
//        --kill-redis 'COMMAND' --start-redis 'COMMAND'
//
// On every server one client broadcasts `server:seq` every 50 ms and another one listens.
// Checked: before the crash every listener hears every server; while Redis is down each
// listener still hears every message of its own server (local delivery never stops) and
// every broadcast completes; after the restart each listener hears the other servers again
// within 5 s; messages sent while Redis was down are not replayed to other servers later;
// nobody is disconnected and every server still accepts new connections.
// Prints `ok`/`FAIL` per check and `N passed, M failed`.

import { spawn } from "node:child_process";

import { client, errText, expectEqual, fail, main, parseArgs, sleep, withTimeout } from "./farm-lib.mjs";

const TICK_MS = 50;
const DOWN_MS = 2_000;
const RESUME_WITHIN_MS = 5_000;
const opts = parseArgs(process.argv.slice(2), ["kill-redis", "start-redis"]);
if (!opts["kill-redis"] || !opts["start-redis"]) {
  console.error("--kill-redis and --start-redis are required");
  process.exit(2);
}

// Runs a shell command without blocking the clients' traffic.
function shell(command) {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/bash", ["-c", command], { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command}: exit ${code}`))));
  });
}

async function run() {
  const servers = opts.urls;
  const senders = [];
  const listeners = [];
  for (const [i, url] of servers.entries()) {
    senders.push(await client(url, opts.protocol, { name: `sender@${i}` }));
    listeners.push(await client(url, opts.protocol, { name: `listener@${i}` }));
  }
  // heard[j][i]: seq -> arrival time, of sender i's messages at listener j.
  const heard = listeners.map(() => servers.map(() => new Map()));
  const duplicates = [];
  for (const [j, l] of listeners.entries()) {
    l.connection.on("Broadcasted", (text) => {
      const m = /^fault:(\d+):(\d+)$/.exec(text);
      if (!m) return;
      const [i, seq] = [Number(m[1]), Number(m[2])];
      if (heard[j][i].has(seq)) duplicates.push(`${text} at listener ${j}`);
      else heard[j][i].set(seq, Date.now());
    });
  }
  // sent[i]: seq -> send time.
  const sent = servers.map(() => new Map());
  const sendErrors = [];
  let sending = true;
  const loops = senders.map(async (s, i) => {
    for (let seq = 0; sending; seq++) {
      sent[i].set(seq, Date.now());
      try {
        await withTimeout(s.invoke("Broadcast", `fault:${i}:${seq}`), 5_000, "Broadcast");
      } catch (e) {
        sendErrors.push(`server ${i} seq ${seq}: ${errText(e)}`);
      }
      await sleep(TICK_MS);
    }
  });

  const results = [];
  const check = (name, fn) => {
    try {
      fn();
      results.push(`ok   ${name}`);
      return true;
    } catch (e) {
      results.push(`FAIL ${name}: ${errText(e)}`);
      return false;
    }
  };
  // Whether listener j has heard sender i after time t.
  const heardAfter = (j, i, t) => [...heard[j][i].entries()].some(([seq, at]) => at >= t && sent[i].get(seq) >= t);
  const allPairs = (t) => {
    const missing = [];
    for (const j of servers.keys()) for (const i of servers.keys()) if (!heardAfter(j, i, t)) missing.push(`${i}->${j}`);
    return missing;
  };
  async function until(cond, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (cond()) return true;
      await sleep(20);
    }
    return cond();
  }

  const start = Date.now();
  const warm = await until(() => allPairs(start).length === 0, 10_000);
  check("before the crash every listener hears every server", () => {
    if (!warm) fail(`not heard: ${allPairs(start).join(", ")}`);
  });

  const killedAt = Date.now();
  await shell(opts["kill-redis"]);
  await sleep(DOWN_MS);
  const restartedAt = Date.now();
  await shell(opts["start-redis"]);
  await until(() => allPairs(restartedAt).length === 0, RESUME_WITHIN_MS + 1_000);
  const resumedBy = Date.now();
  sending = false;
  await Promise.all(loops);
  await sleep(500); // the last broadcasts in flight

  for (const j of servers.keys()) {
    check(`server ${j}: cross-server delivery resumes within ${RESUME_WITHIN_MS / 1000} s of the restart`, () => {
      for (const i of servers.keys()) {
        if (i === j) continue;
        const times = [...heard[j][i].entries()].filter(([seq]) => sent[i].get(seq) >= restartedAt).map(([, at]) => at);
        if (times.length === 0) fail(`nothing from server ${i} (waited ${resumedBy - restartedAt} ms)`);
        const first = Math.min(...times) - restartedAt;
        if (first > RESUME_WITHIN_MS) fail(`server ${i} heard again only after ${first} ms`);
      }
    });
  }
  for (const j of servers.keys()) {
    check(`server ${j}: local delivery never stopped (every message of its own sender, in the outage too)`, () => {
      const total = sent[j].size;
      const got = heard[j][j].size;
      if (got !== total) {
        const lost = [...sent[j].keys()].filter((seq) => !heard[j][j].has(seq));
        fail(`${got} of ${total} heard; missing ${lost.slice(0, 10).join(",")}`);
      }
      const during = [...sent[j].entries()].filter(([, at]) => at > killedAt && at < restartedAt).length;
      if (during < DOWN_MS / TICK_MS / 4) fail(`only ${during} messages were sent during the outage`);
    });
  }
  check("every broadcast completed, during the outage too", () => {
    if (sendErrors.length) fail(sendErrors.slice(0, 5).join("; "));
  });
  check("messages sent while Redis was down are not replayed to other servers", () => {
    const replayed = [];
    for (const j of servers.keys()) {
      for (const i of servers.keys()) {
        if (i === j) continue;
        for (const seq of heard[j][i].keys()) {
          const at = sent[i].get(seq);
          if (at > killedAt + 500 && at < restartedAt) replayed.push(`${i}:${seq} at ${j}`);
        }
      }
    }
    if (replayed.length) fail(replayed.slice(0, 10).join(", "));
  });
  check("no message was delivered twice", () => {
    if (duplicates.length) fail(duplicates.slice(0, 10).join(", "));
  });
  check("no client was disconnected", () => {
    const closed = [...senders, ...listeners].filter((c) => c.closed).map((c) => c.name);
    if (closed.length) fail(closed.join(", "));
  });
  for (const [i, url] of servers.entries()) {
    let ok = false;
    try {
      const fresh = await client(url, opts.protocol, { name: `fresh@${i}` });
      expectEqual(await fresh.invoke("Echo", "alive"), "alive", "Echo");
      await fresh.stop();
      ok = true;
    } catch (e) {
      results.push(`FAIL server ${i} still accepts connections: ${errText(e)}`);
    }
    if (ok) results.push(`ok   server ${i} still accepts connections`);
  }

  for (const c of [...senders, ...listeners]) await c.stop();
  for (const line of results) console.log(line);
  const failed = results.filter((l) => l.startsWith("FAIL")).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main(run);
