#!/usr/bin/env node
// Checks that the JSON Schema generated for a hub contract (`signalr-codegen schema`)
// describes what really travels: every payload of a captured JSON-protocol run
// (tests/node/conformance.mjs --capture FILE) is validated against it with ajv
// (JSON Schema draft 2020-12).
//
//   node tests/node/validate-payloads.mjs --schema SCHEMA.json --capture FILE
//   node tests/node/validate-payloads.mjs --self-test [--schema SCHEMA.json]
//
// The schema's top-level `properties` holds one entry per contract; a contract whose
// `x-signalr-direction` is `clientToServer` is the hub (what clients call), one with
// `serverToClient` is the client contract (what the hub calls). Each method holds
// `arguments`, and `result` (value methods), `item` (stream methods) or `uploadItems`
// (one entry per upload stream parameter).
//
// What is validated, per connection of the capture:
//   - the client's Invocation/StreamInvocation arguments against the hub method's
//     `arguments` (the target is matched as ASP.NET Core does: case-insensitively, by
//     plain or wire name, also as `Contract|Method`);
//   - the server's Completion results against `result`, its StreamItems against `item`;
//   - the client's upload StreamItems (by the stream ids of the invocation) against
//     the matching `uploadItems` entry;
//   - the server's Invocations against the client contract's `arguments`, and the
//     client's Completion results for them against its `result`.
// Error completions are not payloads of the contract; they are counted apart. An
// invocation the server refused with an error completion (an unknown target, wrong
// arguments sent on purpose) is "skipped": a payload fails only when the server
// accepted it (answered without an error) or produced it.
//
// Prints one line per failure and per skipped payload, then
//   validated N payloads (A arguments, R results, S stream items, U upload items)
//   against the schema, M failed, K skipped (answered with an error), E error completions
// Exits non-zero when a payload failed, the capture is not a well-formed run, or a part
// of the contract (a method's arguments, result, stream item or upload item) was
// never seen; those are listed.
//
// `--self-test` feeds made-up captures with deliberately wrong payloads and checks
// that they are reported.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const require = createRequire(import.meta.url);
const ajv2020 = require("ajv/dist/2020.js");
const Ajv2020 = ajv2020.default ?? ajv2020;

const SCHEMA_ID = "urn:signalr:hub-contracts";

// ---------------------------------------------------------------- schema

function pointerToken(s) {
  return encodeURIComponent(String(s).replace(/~/g, "~0").replace(/\//g, "~1"));
}

function collectExtensionKeywords(value, out) {
  if (Array.isArray(value)) {
    for (const v of value) collectExtensionKeywords(v, out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith("x-")) out.add(k);
      collectExtensionKeywords(v, out);
    }
  }
  return out;
}

// The contract's methods and a compiled validator per part.
export class ContractSchema {
  constructor(schema) {
    // Strict, except for the lint on open tuples: `uploadItems` lists one schema per
    // upload parameter (each item is checked against its own entry); it is not an
    // array that travels, so it has no minItems/maxItems.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTuples: false });
    // The `x-signalr-*` annotations.
    for (const keyword of collectExtensionKeywords(schema, new Set())) this.ajv.addKeyword({ keyword });
    this.ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    this.ajv.addFormat(
      "date-time",
      /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
    );
    // Checked against the draft 2020-12 meta-schema here.
    this.ajv.addSchema({ ...schema, $id: SCHEMA_ID });
    this.validators = new Map();

    // hubs: clientToServer contracts; clients: serverToClient ones.
    this.hubMethods = [];
    this.clientMethods = [];
    for (const [contract, hub] of Object.entries(schema.properties ?? {})) {
      const direction = hub["x-signalr-direction"];
      const list = direction === "clientToServer" ? this.hubMethods : direction === "serverToClient" ? this.clientMethods : null;
      if (!list) throw new Error(`contract ${contract}: unknown x-signalr-direction ${JSON.stringify(direction)}`);
      for (const [wireName, method] of Object.entries(hub.properties ?? {})) {
        const props = method.properties ?? {};
        const base = `#/properties/${pointerToken(contract)}/properties/${pointerToken(wireName)}/properties`;
        const uploads = props.uploadItems?.prefixItems ?? [];
        list.push({
          contract,
          wireName,
          plainName: method["x-signalr-plain-name"] ?? wireName,
          label: `${contract}.${wireName}`,
          base,
          hasResult: "result" in props,
          hasItem: "item" in props,
          uploadCount: uploads.length,
        });
      }
    }
    if (!this.hubMethods.length) throw new Error("the schema has no clientToServer contract");
    this.hubIndex = this.index(this.hubMethods);
    this.clientIndex = this.index(this.clientMethods);
  }

  // Lower-cased names -> methods: wire name, plain name, `Contract|plain name`.
  index(methods) {
    const map = new Map();
    const add = (key, m) => {
      const k = key.toLowerCase();
      const set = map.get(k) ?? new Set();
      set.add(m);
      map.set(k, set);
    };
    for (const m of methods) {
      add(m.wireName, m);
      add(m.plainName, m);
      add(`${m.contract}|${m.plainName}`, m);
    }
    return map;
  }

  // The method a target names: {method} or {error}.
  resolve(index, target) {
    if (typeof target !== "string") return { error: `target ${JSON.stringify(target)} is not a string` };
    const found = index.get(target.toLowerCase());
    if (!found) return { error: `target ${JSON.stringify(target)} is not in the contract` };
    if (found.size > 1) {
      return { error: `target ${JSON.stringify(target)} is ambiguous: ${[...found].map((m) => m.label).join(", ")}` };
    }
    return { method: [...found][0] };
  }

  // The parts a run should exercise: "Contract.Method part".
  parts() {
    const parts = [];
    for (const m of [...this.hubMethods, ...this.clientMethods]) {
      parts.push(`${m.label} arguments`);
      if (m.hasResult) parts.push(`${m.label} result`);
      if (m.hasItem) parts.push(`${m.label} item`);
      for (let i = 0; i < m.uploadCount; i++) parts.push(`${m.label} uploadItems[${i}]`);
    }
    return parts;
  }

  // Validates `value` against `method`'s part ("arguments", "result", "item",
  // "uploadItems/prefixItems/N"); returns null or ajv's error text.
  check(method, part, value) {
    const ref = `${SCHEMA_ID}${method.base}/${part}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    if (validate(value)) return null;
    const dataVar = part.startsWith("uploadItems") ? "item" : part;
    return this.ajv.errorsText(validate.errors, { dataVar, separator: "; " });
  }
}

// ---------------------------------------------------------------- capture

function excerpt(value, max = 160) {
  let s;
  try {
    s = JSON.stringify(value);
  } catch {
    s = String(value);
  }
  if (s === undefined) s = "(absent)";
  return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
}

const C2S = "client to server";
const S2C = "server to client";

// Validates the records of a capture (objects `{connection, direction, frame}`);
// returns {counts, failures, skipped, errorCompletions, unseen}.
export function validateCapture(contract, records) {
  const counts = { arguments: 0, results: 0, items: 0, uploads: 0 };
  const failures = [];
  const skipped = [];
  let errorCompletions = 0;
  const seen = new Set();

  const where = (conn, id) => `connection ${conn}${id !== undefined ? `, invocation ${JSON.stringify(id)}` : ""}`;
  const fail = (what, direction, conn, id, message, payload) =>
    failures.push(`${what} (${direction}, ${where(conn, id)}): ${message}${payload !== undefined ? `; payload: ${excerpt(payload)}` : ""}`);

  // Counts a payload as validated, and its part of the contract as seen.
  const tally = (method, part, kind) => {
    counts[kind] += 1;
    const label = part.startsWith("uploadItems/prefixItems/") ? `uploadItems[${part.split("/").pop()}]` : part;
    seen.add(`${method.label} ${label}`);
  };
  // Validates a payload; returns null or the error text. A payload whose verdict
  // waits for the server's answer (`deferred`) is counted only if it fails then.
  const validate = (method, part, value, kind, deferred = false) => {
    const err = contract.check(method, part, value);
    if (!err || !deferred) tally(method, part, kind);
    return err;
  };

  const connections = new Map();
  const state = (conn) => {
    let s = connections.get(conn);
    if (!s) {
      s = {
        handshakeSent: false,
        handshakeReceived: false,
        invocations: new Map(), // client -> server, by invocation id
        streams: new Map(), // upload stream id -> {inv, index}
        clientInvocations: new Map(), // server -> client, by invocation id
      };
      connections.set(conn, s);
    }
    return s;
  };

  // Settles the deferred checks of a client invocation once its answer is known.
  const settle = (conn, inv, error) => {
    inv.answered = true;
    for (const d of inv.deferred) {
      if (error !== undefined) {
        skipped.push(`${d.what} (${C2S}, ${where(conn, inv.id)}): answered with an error (${excerpt(error, 100)}); the schema says: ${d.message}`);
      } else {
        if (d.part) tally(d.method, d.part, d.kind);
        fail(d.what, C2S, conn, inv.id, `${d.message} — yet the server accepted it`, d.payload);
      }
    }
    inv.deferred = [];
    if (inv.unknown) {
      if (error !== undefined) {
        skipped.push(`${excerpt(inv.target)} (${C2S}, ${where(conn, inv.id)}): ${inv.unknown}, answered with an error (${excerpt(error, 100)})`);
      } else {
        fail(excerpt(inv.target), C2S, conn, inv.id, `${inv.unknown}, yet the server answered without an error`);
      }
    }
  };

  for (const record of records) {
    const conn = record.connection;
    const dir = record.direction;
    if (dir !== "sent" && dir !== "received") {
      fail("capture", "?", conn, undefined, `record without a direction: ${excerpt(record)}`);
      continue;
    }
    const wire = dir === "sent" ? C2S : S2C;
    const s = state(conn);
    if (!("frame" in record)) {
      const what = record.binary !== undefined ? "a binary frame" : `a message that is not JSON (${record.parseError})`;
      fail("capture", wire, conn, undefined, `${what}: ${excerpt(record.raw ?? record.binary)}`);
      continue;
    }
    const m = record.frame;
    if (!m || typeof m !== "object" || Array.isArray(m)) {
      fail("capture", wire, conn, undefined, `a message that is not an object: ${excerpt(m)}`);
      continue;
    }

    // Handshake request and reply.
    if (m.type === undefined) {
      if (dir === "sent" && !s.handshakeSent && "protocol" in m) {
        s.handshakeSent = true;
        if (m.protocol !== "json") fail("handshake", wire, conn, undefined, `protocol ${excerpt(m.protocol)} is not json`);
        continue;
      }
      if (dir === "received" && !s.handshakeReceived) {
        s.handshakeReceived = true;
        if (m.error !== undefined) fail("handshake", wire, conn, undefined, `handshake error ${excerpt(m.error)}`);
        continue;
      }
      fail("capture", wire, conn, undefined, `a message without a type: ${excerpt(m)}`);
      continue;
    }

    switch (m.type) {
      case 1: // Invocation
      case 4: {
        // StreamInvocation
        if (dir === "sent") {
          const id = m.invocationId;
          const inv = { id, target: m.target, kind: m.type, deferred: [], answered: false, unknown: null, method: null };
          if (id !== undefined) {
            if (s.invocations.has(id)) fail("capture", wire, conn, id, "invocation id used twice");
            s.invocations.set(id, inv);
          }
          const { method, error } = contract.resolve(contract.hubIndex, m.target);
          if (!method) {
            inv.unknown = error;
            if (id === undefined) fail(excerpt(m.target), wire, conn, id, `${error} (sent without an invocation id, so nothing shows the server refused it)`);
          } else {
            inv.method = method;
            const what = `${method.label} arguments`;
            const err = validate(method, "arguments", m.arguments, "arguments", id !== undefined);
            if (err) {
              if (id === undefined) fail(what, wire, conn, id, err, m.arguments);
              else inv.deferred.push({ what, message: err, payload: m.arguments, method, part: "arguments", kind: "arguments" });
            }
          }
          (m.streamIds ?? []).forEach((streamId, index) => {
            if (s.streams.has(streamId)) fail("capture", wire, conn, id, `stream id ${excerpt(streamId)} used twice`);
            s.streams.set(streamId, { inv, index });
            if (inv.method && index >= inv.method.uploadCount) {
              inv.deferred.push({
                what: `${inv.method.label} uploadItems`,
                message: `upload stream #${index + 1} but the method has ${inv.method.uploadCount} upload parameter(s)`,
                payload: m.streamIds,
                kind: "uploads",
              });
            }
          });
        } else {
          const { method, error } = contract.resolve(contract.clientIndex, m.target);
          const id = m.invocationId;
          if (!method) {
            fail(excerpt(m.target), wire, conn, id, `invoked by the server, but the ${error}`, m.arguments);
            if (id !== undefined) s.clientInvocations.set(id, { method: null });
            continue;
          }
          const err = validate(method, "arguments", m.arguments, "arguments");
          if (err) fail(`${method.label} arguments`, wire, conn, id, err, m.arguments);
          if (id !== undefined) {
            if (!method.hasResult) fail(`${method.label}`, wire, conn, id, "invoked with an invocation id, but the method has no result");
            s.clientInvocations.set(id, { method });
          }
        }
        break;
      }

      case 2: {
        // StreamItem
        const id = m.invocationId;
        if (dir === "sent") {
          const stream = s.streams.get(id);
          if (!stream) {
            fail("capture", wire, conn, id, "upload item for a stream id no invocation announced", m.item);
            continue;
          }
          const { inv, index } = stream;
          if (!inv.method || index >= inv.method.uploadCount) continue; // reported with the invocation
          const what = `${inv.method.label} uploadItems[${index}]`;
          const part = `uploadItems/prefixItems/${index}`;
          const defer = !inv.answered && inv.id !== undefined;
          const err = validate(inv.method, part, m.item, "uploads", defer);
          if (err) {
            if (!defer) fail(what, wire, conn, inv.id, err, m.item);
            else inv.deferred.push({ what, message: err, payload: m.item, method: inv.method, part, kind: "uploads" });
          }
        } else {
          const inv = s.invocations.get(id);
          if (!inv) {
            fail("capture", wire, conn, id, "stream item for an unknown invocation", m.item);
            continue;
          }
          if (!inv.method) {
            fail(excerpt(inv.target), wire, conn, id, `stream item, but the ${inv.unknown}`, m.item);
            continue;
          }
          if (!inv.method.hasItem) {
            fail(`${inv.method.label} item`, wire, conn, id, "stream item, but the method is not a stream method", m.item);
            continue;
          }
          const err = validate(inv.method, "item", m.item, "items");
          if (err) fail(`${inv.method.label} item`, wire, conn, id, err, m.item);
        }
        break;
      }

      case 3: {
        // Completion
        const id = m.invocationId;
        if (dir === "received") {
          const inv = s.invocations.get(id);
          if (!inv) {
            fail("capture", wire, conn, id, "completion for an unknown invocation", m);
            continue;
          }
          if (inv.answered) fail("capture", wire, conn, id, "second completion for the invocation", m);
          if (m.error !== undefined) {
            errorCompletions += 1;
            settle(conn, inv, m.error);
            continue;
          }
          settle(conn, inv, undefined);
          if (!inv.method) continue; // reported by settle
          const method = inv.method;
          if (method.hasResult && inv.kind === 1) {
            if (!("result" in m)) fail(`${method.label} result`, wire, conn, id, "completion without a result");
            else {
              const err = validate(method, "result", m.result, "results");
              if (err) fail(`${method.label} result`, wire, conn, id, err, m.result);
            }
          } else if (m.result !== undefined && m.result !== null) {
            const why = method.hasItem || inv.kind === 4 ? "a stream completion" : "the method has no result";
            fail(`${method.label} result`, wire, conn, id, `completion with a result, but ${why}`, m.result);
          }
        } else {
          if (s.streams.has(id)) continue; // the end of an upload stream
          const ci = s.clientInvocations.get(id);
          if (!ci) {
            fail("capture", wire, conn, id, "client completion for an invocation the server did not make", m);
            continue;
          }
          s.clientInvocations.delete(id);
          if (m.error !== undefined) {
            errorCompletions += 1;
            continue;
          }
          if (!ci.method?.hasResult) continue; // reported with the invocation
          if (!("result" in m)) {
            fail(`${ci.method.label} result`, wire, conn, id, "client completion without a result");
            continue;
          }
          const err = validate(ci.method, "result", m.result, "results");
          if (err) fail(`${ci.method.label} result`, wire, conn, id, err, m.result);
        }
        break;
      }

      case 5: // CancelInvocation
      case 6: // Ping
      case 7: // Close
      case 8: // Ack
      case 9: // Sequence
        break;

      default:
        fail("capture", wire, conn, m.invocationId, `unknown message type ${excerpt(m.type)}`, m);
    }
  }

  // Invocations whose doubtful payloads were never answered.
  for (const [conn, s] of connections) {
    for (const inv of s.invocations.values()) {
      if (inv.answered) continue;
      for (const d of inv.deferred) {
        if (d.part) tally(d.method, d.part, d.kind);
        fail(d.what, C2S, conn, inv.id, `${d.message} (never answered)`, d.payload);
      }
      if (inv.unknown) fail(excerpt(inv.target), C2S, conn, inv.id, `${inv.unknown} (never answered)`);
    }
  }

  const unseen = contract.parts().filter((p) => !seen.has(p));
  return { counts, failures, skipped, errorCompletions, unseen };
}

export function summary(report) {
  const { counts: c, failures, skipped, errorCompletions } = report;
  const n = c.arguments + c.results + c.items + c.uploads;
  return (
    `validated ${n} payloads (${c.arguments} arguments, ${c.results} results, ${c.items} stream items, ` +
    `${c.uploads} upload items) against the schema, ${failures.length} failed, ` +
    `${skipped.length} skipped (answered with an error), ${errorCompletions} error completions`
  );
}

export function readCapture(file) {
  const records = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        records.push(JSON.parse(line));
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not JSON: ${e.message}`);
      }
    });
  return records;
}

// ---------------------------------------------------------------- self-test

// Made-up captures with known defects; each must be reported as expected.
function selfTest(contract) {
  let conn = 0;
  // A capture of one connection: handshake, then `messages` as [direction, frame].
  const capture = (messages) => {
    conn += 1;
    return [
      { connection: conn, direction: "sent", frame: { protocol: "json", version: 1 } },
      { connection: conn, direction: "received", frame: {} },
      ...messages.map(([direction, frame]) => ({ connection: conn, direction, frame })),
    ];
  };
  const call = (id, target, args, reply) => [
    ["sent", { type: 1, invocationId: id, target, arguments: args }],
    ["received", { type: 3, invocationId: id, ...reply }],
  ];
  const ada = { name: "Ada", age: 36, tags: ["math"], nickname: null };
  const { age: _age, ...adaNoAge } = ada;
  const { tags: _tags, ...adaNoTags } = ada;

  const checks = [
    {
      name: "valid payloads pass",
      records: capture([
        ...call("1", "EchoPerson", [ada], { result: { ...ada, age: 37 } }),
        ...call("2", "echo", ["x"], { result: "x" }),
        ...call("3", "Conformance|Add", [1, 2], { result: 3 }),
        ...call("4", "Fail", ["boom"], { error: "boom" }),
        ["sent", { type: 4, invocationId: "5", target: "Counter", arguments: [2, 1] }],
        ["received", { type: 2, invocationId: "5", item: 0 }],
        ["received", { type: 2, invocationId: "5", item: 1 }],
        ["received", { type: 3, invocationId: "5" }],
        ["sent", { type: 1, invocationId: "7", target: "Sum", arguments: [], streamIds: ["6"] }],
        ["sent", { type: 2, invocationId: "6", item: 4 }],
        ["sent", { type: 3, invocationId: "6" }],
        ["received", { type: 3, invocationId: "7", result: 4 }],
        ...call("8", "AskClient", ["q"], {}).slice(0, 1),
        ["received", { type: 1, invocationId: "s0", target: "Answer", arguments: ["q"] }],
        ["sent", { type: 3, invocationId: "s0", result: "a" }],
        ["received", { type: 3, invocationId: "8", result: "a" }],
        ["sent", { type: 1, target: "Notify", arguments: ["n"] }],
        ["received", { type: 1, target: "Notified", arguments: ["n"] }],
        ...call("9", "JoinGroup", ["g"], {}),
      ]),
      failures: [],
      counts: { arguments: 11, results: 6, items: 2, uploads: 1 },
      errorCompletions: 1,
    },
    {
      name: "EchoPerson result with age as a string",
      records: capture(call("1", "EchoPerson", [ada], { result: { ...ada, age: "37" } })),
      failures: [/^Conformance\.EchoPerson result .*result\/age must be integer/],
    },
    {
      name: "EchoPerson result without the required age",
      records: capture(call("1", "EchoPerson", [ada], { result: adaNoAge })),
      failures: [/^Conformance\.EchoPerson result .*must have required property 'age'/],
    },
    {
      name: "EchoPerson argument without tags, accepted by the server",
      records: capture(call("1", "EchoPerson", [adaNoTags], { result: { ...ada, age: 37 } })),
      failures: [/^Conformance\.EchoPerson arguments .*must have required property 'tags'.*accepted/],
    },
    {
      name: "EchoPerson argument with age as a string, refused by the server, is skipped",
      records: capture(call("1", "EchoPerson", [{ ...ada, age: "36" }], { error: "Failed to invoke 'EchoPerson'" })),
      failures: [],
      skipped: [/^Conformance\.EchoPerson arguments .*answered with an error/],
    },
    {
      name: "Echo with two arguments, accepted by the server",
      records: capture(call("1", "Echo", ["a", "b"], { result: "a" })),
      failures: [/^Conformance\.Echo arguments .*must NOT have more than 1 items/],
    },
    {
      name: "Add result beyond int32",
      records: capture(call("1", "Add", [2147483647, 1], { result: 2147483648 })),
      failures: [/^Conformance\.Add result .*must be <= 2147483647/],
    },
    {
      name: "CounterCancelled result not a boolean",
      records: capture(call("1", "CounterCancelled", [], { result: "yes" })),
      failures: [/^Conformance\.CounterCancelled result .*must be boolean/],
    },
    {
      name: "value method completing without a result",
      records: capture(call("1", "Sleep", [5], {})),
      failures: [/^Conformance\.Sleep result .*without a result/],
    },
    {
      name: "unit method completing with a result",
      records: capture(call("1", "JoinGroup", ["g"], { result: 1 })),
      failures: [/^Conformance\.JoinGroup result .*has no result/],
    },
    {
      name: "Counter stream item as a string",
      records: capture([
        ["sent", { type: 4, invocationId: "1", target: "Counter", arguments: [1, 0] }],
        ["received", { type: 2, invocationId: "1", item: "0" }],
        ["received", { type: 3, invocationId: "1" }],
      ]),
      failures: [/^Conformance\.Counter item .*must be integer/],
    },
    {
      name: "Sum upload item not an integer, accepted by the server",
      records: capture([
        ["sent", { type: 1, invocationId: "2", target: "Sum", arguments: [], streamIds: ["1"] }],
        ["sent", { type: 2, invocationId: "1", item: 1.5 }],
        ["sent", { type: 3, invocationId: "1" }],
        ["received", { type: 3, invocationId: "2", result: 1 }],
      ]),
      failures: [/^Conformance\.Sum uploadItems\[0\] .*must be integer/],
    },
    {
      name: "server invokes Notified with two arguments",
      records: capture([["received", { type: 1, target: "Notified", arguments: ["a", "b"] }]]),
      failures: [/^ConformanceClient\.Notified arguments .*must NOT have more than 1 items/],
    },
    {
      name: "client result of Answer not a string",
      records: capture([
        ["received", { type: 1, invocationId: "s0", target: "Answer", arguments: ["q"] }],
        ["sent", { type: 3, invocationId: "s0", result: 42 }],
      ]),
      failures: [/^ConformanceClient\.Answer result .*must be string/],
    },
    {
      name: "server invokes a method the client contract lacks",
      records: capture([["received", { type: 1, target: "Unheard", arguments: [] }]]),
      failures: [/^"Unheard" .*not in the contract/],
    },
    {
      name: "unknown method refused with an error is skipped",
      records: capture(call("1", "NoSuchMethod", ["x"], { error: "Unknown hub method 'NoSuchMethod'" })),
      failures: [],
      skipped: [/^"NoSuchMethod" .*not in the contract, answered with an error/],
      errorCompletions: 1,
    },
    {
      name: "unknown method answered without an error",
      records: capture(call("1", "NoSuchMethod", ["x"], { result: "x" })),
      failures: [/^"NoSuchMethod" .*not in the contract, yet the server answered without an error/],
    },
    {
      name: "wrong arguments never answered",
      records: capture([["sent", { type: 1, invocationId: "1", target: "Add", arguments: ["one", 2] }]]),
      failures: [/^Conformance\.Add arguments .*never answered/],
    },
    {
      name: "completion for an invocation nobody made",
      records: capture([["received", { type: 3, invocationId: "99", result: 1 }]]),
      failures: [/^capture .*unknown invocation/],
    },
  ];

  let passed = 0;
  const problems = [];
  for (const check of checks) {
    const report = validateCapture(contract, check.records);
    const errors = [];
    const match = (kind, got, expected) => {
      if (got.length !== expected.length) {
        errors.push(`expected ${expected.length} ${kind}, got ${got.length}: ${JSON.stringify(got)}`);
        return;
      }
      expected.forEach((re, i) => {
        if (!re.test(got[i])) errors.push(`${kind} ${JSON.stringify(got[i])} does not match ${re}`);
      });
    };
    match("failures", report.failures, check.failures);
    match("skipped", report.skipped, check.skipped ?? []);
    if (check.counts && JSON.stringify(report.counts) !== JSON.stringify(check.counts)) {
      errors.push(`counts ${JSON.stringify(report.counts)}, expected ${JSON.stringify(check.counts)}`);
    }
    if (check.errorCompletions !== undefined && report.errorCompletions !== check.errorCompletions) {
      errors.push(`${report.errorCompletions} error completions, expected ${check.errorCompletions}`);
    }
    if (errors.length) problems.push(`FAIL self-test ${check.name}: ${errors.join("; ")}`);
    else passed += 1;
  }

  // A capture that leaves parts of the contract out must list them.
  const partial = validateCapture(contract, capture(call("1", "Echo", ["x"], { result: "x" })));
  const expectUnseen = ["Conformance.EchoPerson result", "Conformance.Counter item", "Conformance.Sum uploadItems[0]", "ConformanceClient.Answer result"];
  const missing = expectUnseen.filter((p) => !partial.unseen.includes(p));
  if (missing.length || partial.unseen.includes("Conformance.Echo arguments")) {
    problems.push(`FAIL self-test unseen parts: ${JSON.stringify(partial.unseen)}`);
  } else passed += 1;

  for (const p of problems) console.log(p);
  console.log(`self-test: ${passed} passed, ${problems.length} failed`);
  return problems.length === 0;
}

// ---------------------------------------------------------------- command line

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    "usage: node tests/node/validate-payloads.mjs --schema SCHEMA.json --capture FILE\n" +
      "       node tests/node/validate-payloads.mjs --self-test [--schema SCHEMA.json]",
  );
  process.exit(2);
}

function main(argv) {
  const opts = { schema: null, capture: null, selfTest: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (!v) usage(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case "--schema":
        opts.schema = value();
        break;
      case "--capture":
        opts.capture = value();
        break;
      case "--self-test":
        opts.selfTest = true;
        break;
      case "-h":
      case "--help":
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  if (opts.selfTest) {
    opts.schema ??= path.join(path.dirname(fileURLToPath(import.meta.url)), "../../examples/conformance/contract.schema.json");
  } else if (!opts.schema || !opts.capture) {
    usage("--schema and --capture are required");
  }

  let contract;
  try {
    contract = new ContractSchema(JSON.parse(readFileSync(opts.schema, "utf8")));
  } catch (e) {
    console.log(`FAIL schema ${opts.schema}: ${e.message}`);
    return 1;
  }
  if (opts.selfTest) return selfTest(contract) ? 0 : 1;

  let records;
  try {
    records = readCapture(opts.capture);
  } catch (e) {
    console.log(`FAIL capture: ${e.message}`);
    return 1;
  }
  const report = validateCapture(contract, records);
  for (const f of report.failures) console.log(`FAIL ${f}`);
  for (const s of report.skipped) console.log(`skipped ${s}`);
  if (report.unseen.length) console.log(`FAIL never seen in the capture: ${report.unseen.join(", ")}`);
  console.log(summary(report));
  return report.failures.length || report.unseen.length ? 1 : 0;
}

let code;
try {
  code = main(process.argv.slice(2));
} catch (e) {
  console.log(`FAIL validate-payloads: ${e.stack ?? e}`);
  code = 1;
}
process.exit(code);
