// The conformance-contract rows that ASP.NET SignalR 2.x can express, run in a page by a
// classic client against the hub `conformance` of a classic endpoint. Loaded by
// classic-interop.mjs after the client: the official jQuery client (`jquery.signalR` 2.4.3,
// after jQuery, followed by the server's own generated `/signalr/hubs` proxy), or
// `window.classicClient` = `{ hubConnection, signalR }` of another client with its API
// (`signalr-no-jquery`; the rows of the generated proxy need jQuery and are skipped).
// `window.runRows(transport)` resolves to `[{ name, ok, reason }]`.
//
// Rows 2.x cannot express (not run here): `Sum` (no upload streams), `AskClient`/`Answer`
// (no client results), `Counter` cancellation and `CounterCancelled` (no cancellation of
// one call), MessagePack (JSON only), and the ASP.NET Core framing rows of "bad input"
// (handshake, record separator, Close message; the classic equivalents are in
// tests/tests/classic*.rs).
(function () {
  "use strict";

  const STEP_MS = 10000;

  /** The client under test. */
  const lib = window.classicClient || {
    hubConnection: (url, options) => $.hubConnection(url, options),
    signalR: $.signalR,
    proxies: true,
  };
  const connectionState = lib.signalR.connectionState;

  /** A jQuery deferred as a promise that fails after `ms`. */
  function within(deferred, what, ms = STEP_MS) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      Promise.resolve(deferred).then(
        (v) => { clearTimeout(timer); resolve(v); },
        (e) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e && e.message || e))); },
      );
    });
  }

  /** Resolves once `check()` holds, checking every 20 ms. */
  function until(check, what, ms = STEP_MS) {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        let holds = false;
        try { holds = check(); } catch (e) { reject(e); return; }
        if (holds) { resolve(); return; }
        if (Date.now() - started > ms) { reject(new Error(`${what}: not within ${ms} ms`)); return; }
        setTimeout(tick, 20);
      };
      tick();
    });
  }

  function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

  function assert(cond, message) { if (!cond) { throw new Error(message); } }

  function same(got, want, what) {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    assert(g === w, `${what}: got ${g}, want ${w}`);
  }

  /** Expects `deferred` to fail; returns the error. */
  async function failure(deferred, what) {
    try {
      const v = await within(deferred, what);
      throw new Error(`${what}: succeeded with ${JSON.stringify(v)}`);
    } catch (e) {
      if (String(e.message).startsWith(`${what}: succeeded`)) { throw e; }
      return e;
    }
  }

  /** A connection of its own (`$.hubConnection`) with the client methods recorded. */
  async function open(transport) {
    const conn = lib.hubConnection("/signalr", { useDefaultPath: false });
    conn.logging = true;
    const hub = conn.createHubProxy("conformance");
    const got = { notified: [], groupMessage: [], broadcasted: [] };
    hub.on("Notified", (text) => got.notified.push(text));
    hub.on("GroupMessage", (group, text) => got.groupMessage.push([group, text]));
    hub.on("Broadcasted", (text) => got.broadcasted.push(text));
    const events = { reconnecting: 0, reconnected: 0, errors: [] };
    conn.reconnecting(() => { events.reconnecting += 1; });
    conn.reconnected(() => { events.reconnected += 1; });
    conn.error((e) => { events.errors.push(String(e && e.message || e)); });
    await within(conn.start({ transport }), "start");
    return { conn, hub, got, events };
  }

  const rows = [];
  function row(name, body) { rows.push({ name, body }); }
  /** A row of the generated `/signalr/hubs` proxy (jQuery's `$.connection`). */
  function proxyRow(name, body) { if (lib.proxies) { rows.push({ name, body }); } }

  proxyRow("the generated /signalr/hubs proxy names the hub and its methods", async () => {
    const proxy = $.connection.conformance;
    assert(proxy, "$.connection.conformance is missing");
    for (const m of ["echo", "add", "echoPerson", "fail", "notify", "counter", "joinGroup",
      "leaveGroup", "sendToGroup", "broadcast", "echoBytes", "sleep"]) {
      assert(typeof proxy.server[m] === "function", `server.${m} is missing`);
    }
  });

  proxyRow("the generated proxy connects and calls (Echo via $.connection.hub)", async (t) => {
    $.connection.conformance.client.notified = function () {};
    await within($.connection.hub.start({ transport: t }), "start");
    try {
      same($.connection.hub.transport.name, t, "transport");
      same(await within($.connection.conformance.server.echo("proxy"), "echo"), "proxy", "Echo");
    } finally {
      $.connection.hub.stop();
    }
  });

  row("start negotiates the transport asked for", async (t, c) => {
    same(c.conn.transport.name, t, "transport");
    same(c.conn.state, connectionState.connected, "state");
  });

  row("Echo returns any Unicode text unchanged", async (t, c) => {
    for (const text of ["", "hello", "héllo wörld ✓ 🎉 \u0000 \"quoted\" \\ </script>", "x".repeat(20000)]) {
      same(await within(c.hub.invoke("Echo", text), "Echo"), text, "Echo");
    }
  });

  row("Add adds; an overflow is an error", async (t, c) => {
    same(await within(c.hub.invoke("Add", 2, 40), "Add"), 42, "Add");
    same(await within(c.hub.invoke("Add", -5, 3), "Add"), -2, "Add");
    await failure(c.hub.invoke("Add", 2147483647, 1), "Add overflow");
    same(await within(c.hub.invoke("Echo", "still here"), "Echo"), "still here", "after the error");
  });

  row("EchoPerson returns the person a year older", async (t, c) => {
    const person = { name: "Ada", age: 36, tags: ["math", "ené"], nickname: null };
    same(await within(c.hub.invoke("EchoPerson", person), "EchoPerson"),
      { name: "Ada", age: 37, tags: ["math", "ené"], nickname: null }, "EchoPerson");
    const named = { name: "Bo", age: 0, tags: [], nickname: "b" };
    same(await within(c.hub.invoke("EchoPerson", named), "EchoPerson"),
      { name: "Bo", age: 1, tags: [], nickname: "b" }, "EchoPerson");
  });

  row("Fail is a hub error carrying the message", async (t, c) => {
    const e = await failure(c.hub.invoke("Fail", "boom 42"), "Fail");
    assert(String(e.message).includes("boom 42"), `error text: ${e.message}`);
    same(e.source, "HubException", "error source");
  });

  row("Notify calls Notified on the caller", async (t, c) => {
    await within(c.hub.invoke("Notify", "ping ✓"), "Notify");
    await until(() => c.got.notified.includes("ping ✓"), "Notified");
  });

  row("Counter streams its items as progress, then completes", async (t, c) => {
    const items = [];
    const d = c.hub.invoke("Counter", 5, 10).progress((v) => items.push(v));
    await within(d, "Counter");
    same(items, [0, 1, 2, 3, 4], "progress");
    const none = [];
    await within(c.hub.invoke("Counter", 0, 0).progress((v) => none.push(v)), "Counter 0");
    same(none, [], "no progress");
  });

  row("groups: JoinGroup, SendToGroup, LeaveGroup", async (t, c, other) => {
    const group = `g-${t}-${Math.random()}`;
    await within(c.hub.invoke("JoinGroup", group), "JoinGroup");
    await within(other.hub.invoke("SendToGroup", group, "one"), "SendToGroup");
    await until(() => c.got.groupMessage.some(([g, x]) => g === group && x === "one"), "GroupMessage");
    assert(!other.got.groupMessage.some(([g]) => g === group), "a non-member got the group message");
    await within(c.hub.invoke("LeaveGroup", group), "LeaveGroup");
    await within(other.hub.invoke("SendToGroup", group, "two"), "SendToGroup");
    // A broadcast after the second group message: once it arrives, the group message would have.
    const marker = `after-leave-${Math.random()}`;
    await within(other.hub.invoke("Broadcast", marker), "Broadcast");
    await until(() => c.got.broadcasted.includes(marker), "Broadcasted marker");
    assert(!c.got.groupMessage.some(([g, x]) => g === group && x === "two"), "a member that left got the group message");
  });

  row("Broadcast reaches every connection", async (t, c, other) => {
    const text = `all-${Math.random()}`;
    await within(c.hub.invoke("Broadcast", text), "Broadcast");
    await until(() => c.got.broadcasted.includes(text) && other.got.broadcasted.includes(text), "Broadcasted");
  });

  row("EchoBytes round-trips base64 under JSON", async (t, c) => {
    const data = btoa(String.fromCharCode(0, 1, 2, 250, 255, 128));
    same(await within(c.hub.invoke("EchoBytes", data), "EchoBytes"), data, "EchoBytes");
  });

  row("Sleep: calls run concurrently and each gets its own answer", async (t, c) => {
    const [a, b, e] = await Promise.all([
      within(c.hub.invoke("Sleep", 300), "Sleep 300"),
      within(c.hub.invoke("Sleep", 50), "Sleep 50"),
      within(c.hub.invoke("Echo", "meanwhile"), "Echo"),
    ]);
    same([a, b, e], [300, 50, "meanwhile"], "answers");
  });

  row("an unknown method is an error naming it; the connection stays", async (t, c) => {
    const e = await failure(c.hub.invoke("NoSuchMethod", 1), "NoSuchMethod");
    assert(/NoSuchMethod/i.test(String(e.message)), `error text: ${e.message}`);
    same(await within(c.hub.invoke("Echo", "alive"), "Echo"), "alive", "after the error");
  });

  row("wrong argument count or types are errors; the connection stays", async (t, c) => {
    await failure(c.hub.invoke("Add", 1), "Add with one argument");
    await failure(c.hub.invoke("Add", "one", "two"), "Add with strings");
    await failure(c.hub.invoke("EchoPerson", 5), "EchoPerson with a number");
    same(await within(c.hub.invoke("Echo", "alive"), "Echo"), "alive", "after the errors");
    same(c.conn.state, connectionState.connected, "state");
  });

  row("calls carrying caller state succeed; the proxy keeps its state", async (t, c) => {
    c.hub.state.room = "lobby";
    c.hub.state.count = 3;
    same(await within(c.hub.invoke("Echo", "with state"), "Echo"), "with state", "Echo");
    same(c.hub.state.room, "lobby", "state kept");
    same(c.hub.state.count, 3, "state kept");
  });

  row("a connection cut during a burst reconnects and gets every message exactly once", async (t, c, other) => {
    const tag = `burst-${t}-${Math.random()}-`;
    const count = 200;
    // One sender, each call awaited: the order sent is the order every receiver must see.
    const burst = (async () => {
      for (let i = 0; i < count; i += 1) {
        await within(other.hub.invoke("Broadcast", tag + i), "Broadcast");
      }
    })();
    await until(() => c.got.broadcasted.filter((x) => x.startsWith(tag)).length >= 20, "the burst begins");
    // What the client does when it finds its connection lost: drop the transport's
    // request or socket and reconnect with the last message id.
    c.conn.transport.lostConnection(c.conn);
    await burst;
    await until(() => c.events.reconnected >= 1, "reconnected", 20000);
    await until(() => c.got.broadcasted.filter((x) => x.startsWith(tag)).length >= count, "every message", 20000);
    await sleep(300);
    const mine = c.got.broadcasted.filter((x) => x.startsWith(tag)).map((x) => Number(x.slice(tag.length)));
    const seen = new Map();
    for (const n of mine) { seen.set(n, (seen.get(n) || 0) + 1); }
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
    const repeated = [...seen].filter(([, k]) => k > 1).map(([n]) => n);
    assert(missing.length === 0 && repeated.length === 0,
      `received ${mine.length} of ${count}; missing ${JSON.stringify(missing.slice(0, 10))}, repeated ${JSON.stringify(repeated.slice(0, 10))}`);
    const disorder = mine.findIndex((n, i) => n !== i);
    assert(disorder === -1, `out of order at ${disorder}: ${JSON.stringify(mine.slice(Math.max(0, disorder - 2), disorder + 3))}`);
    assert(c.events.reconnecting >= 1, "never went through reconnecting");
    same(c.conn.state, connectionState.connected, "state after the reconnect");
  });

  row("stop ends the connection; the other stays", async (t, c, other) => {
    c.conn.stop();
    same(c.conn.state, connectionState.disconnected, "state");
    same(await within(other.hub.invoke("Echo", "still"), "Echo"), "still", "the other connection");
  });

  window.runRows = async function (transport) {
    const results = [];
    let c;
    let other;
    try {
      c = await open(transport);
      other = await open(transport);
    } catch (e) {
      return [{ name: "connect", ok: false, reason: String(e && e.message || e) }];
    }
    for (const { name, body } of rows) {
      try {
        await body(transport, c, other);
        results.push({ name, ok: true });
      } catch (e) {
        results.push({ name, ok: false, reason: String(e && e.message || e) });
      }
    }
    try { other.conn.stop(); } catch (e) { /* already stopped */ }
    return results;
  };
})();
