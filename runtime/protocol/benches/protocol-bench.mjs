#!/usr/bin/env node
// JavaScript baseline for the hub-protocol benchmarks.
//
// Measures the official SignalR JavaScript hub protocols
// (`JsonHubProtocol` from @microsoft/signalr and `MessagePackHubProtocol` from
// @microsoft/signalr-protocol-msgpack, versions pinned in tests/node/package.json)
// on the shared benchmark corpus, using the method described in the corpus
// README (bench-corpus/README.md, "A fair way to measure it"):
//
//   * 20 passes over the 10,000-message corpus = 200,000 messages per run,
//   * 2 warm-up passes before the timed runs,
//   * the median of 5 runs is reported.
//
// Measurements, for each protocol:
//
//   write        protocol.writeMessage(msg) for each of the 10,000 messages;
//   parse-frame  protocol.parseMessages(frame, logger) once per message, one
//                frame per call (how a client receives one WebSocket message
//                per hub message);
//   parse-corpus protocol.parseMessages(wholeFile, logger) once per pass.
//
// Usage (from the repository root; install the packages first with
// `npm ci --prefix tests/node` or `npm install` in tests/node):
//
//   node runtime/protocol/benches/protocol-bench.mjs <corpus-dir> [--mbps]
//
// <corpus-dir> must contain json.bin and msgpack.bin. Output is exactly six
// lines on stdout:
//
//   json write N msg/s
//   json parse-frame N msg/s
//   json parse-corpus N msg/s
//   messagepack write N msg/s
//   messagepack parse-frame N msg/s
//   messagepack parse-corpus N msg/s
//
// With --mbps each line gets " (X MB/s)" appended, where MB/s is 10^6 bytes of
// wire frames processed per second (a frame's bytes include its trailing 0x1E
// record separator / its VarInt length prefix). All numbers are rounded to
// integers. Warnings (if any) go to stderr.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------------------
// Package resolution
// ---------------------------------------------------------------------------

// The packages are installed in tests/node/node_modules, not next to this
// script, so resolve them through a `require` anchored at
// tests/node/package.json. The location is derived from this file's own path,
// so the script works regardless of the current working directory.
const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, "..", "..", "..");
const peersRequire = createRequire(path.join(repoRoot, "tests", "node", "package.json"));

const { JsonHubProtocol, NullLogger, MessageType } = peersRequire("@microsoft/signalr");
const { MessagePackHubProtocol } = peersRequire("@microsoft/signalr-protocol-msgpack");
// @msgpack/msgpack is a dependency of the MessagePack protocol package; resolve
// it from that package so we get exactly the copy the protocol itself uses.
const msgpackRequire = createRequire(peersRequire.resolve("@microsoft/signalr-protocol-msgpack"));
const { decode: msgpackDecode } = msgpackRequire("@msgpack/msgpack");

// ---------------------------------------------------------------------------
// Parameters (from the corpus README)
// ---------------------------------------------------------------------------

const MESSAGES = 10_000; // messages in the corpus (and per pass)
const PASSES_PER_RUN = 20; // 20 passes = 200,000 messages per run
const WARMUP_PASSES = 2;
const RUNS = 5; // report the median of 5 runs

// The JS client's parser decodes every message but only returns the ones a
// client can receive: it drops stream invocations (type 4) and cancel
// invocations (type 5) after decoding them, so it yields 9,692 of 10,000.
const CLIENT_VISIBLE_MESSAGES = 9_692;

const RECORD_SEPARATOR = 0x1e;
const logger = NullLogger.instance;

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

const args = process.argv.slice(2);
const showMbps = args.includes("--mbps");
const positional = args.filter((a) => !a.startsWith("--"));
const unknownFlags = args.filter((a) => a.startsWith("--") && a !== "--mbps");
if (positional.length !== 1 || unknownFlags.length > 0) {
    process.stderr.write("usage: node runtime/protocol/benches/protocol-bench.mjs <corpus-dir> [--mbps]\n");
    process.exit(2);
}
const corpusDir = positional[0];

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Copies `length` bytes of a Node Buffer starting at `start` into a fresh,
 *  exactly-sized ArrayBuffer (the MessagePack protocol only accepts ArrayBuffer,
 *  and a Buffer's `.buffer` may be a larger shared pool). */
function toArrayBuffer(buf, start = 0, length = buf.length - start) {
    const offset = buf.byteOffset + start;
    return buf.buffer.slice(offset, offset + length);
}

/** Reads the VarInt (LEB128, 1-5 bytes) length prefix at `offset`.
 *  Returns [payloadLength, prefixLength]. */
function readVarInt(bytes, offset) {
    let value = 0;
    let shift = 0;
    let n = 0;
    for (;;) {
        if (n === 5 || offset + n >= bytes.length) {
            throw new Error(`bad VarInt length prefix at offset ${offset}`);
        }
        const b = bytes[offset + n++];
        value += (b & 0x7f) * 2 ** shift; // avoid 32-bit overflow of `<<`
        shift += 7;
        if ((b & 0x80) === 0) {
            return [value, n];
        }
    }
}

/** Byte-wise equality of two Uint8Arrays. */
function bytesEqual(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) return false;
    }
    return true;
}

/** Median of a list of numbers. */
function median(values) {
    const sorted = [...values].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Results are folded into this value so that the JIT cannot treat the measured
// calls as dead code. It is checked (not printed) at the end.
let sink = 0;

/**
 * Runs `pass` (one pass over the corpus; it must return a number derived from
 * the results) WARMUP_PASSES times, then RUNS timed runs of PASSES_PER_RUN
 * passes each. `expectedPerPass`, if given, is what every pass must return: a
 * cheap sanity check that also consumes the results.
 * Returns the median run time in seconds.
 */
function measure(name, pass, expectedPerPass) {
    const check = (got) => {
        if (expectedPerPass !== undefined && got !== expectedPerPass) {
            throw new Error(`${name}: pass returned ${got}, expected ${expectedPerPass}`);
        }
        sink += got;
    };
    for (let i = 0; i < WARMUP_PASSES; i++) {
        check(pass());
    }
    const seconds = [];
    for (let r = 0; r < RUNS; r++) {
        const start = process.hrtime.bigint();
        for (let i = 0; i < PASSES_PER_RUN; i++) {
            check(pass());
        }
        const end = process.hrtime.bigint();
        seconds.push(Number(end - start) / 1e9);
    }
    return median(seconds);
}

/**
 * Formats one output line. msg/s counts MESSAGES (10,000) messages per pass
 * for every measurement -- including the parse measurements, where the JS
 * parser decodes all 10,000 messages even though it returns only 9,692 -- so
 * the numbers are directly comparable with a Rust implementation that yields
 * all 10,000. MB/s counts the wire bytes of one pass over the corpus file.
 */
function report(label, seconds, bytesPerPass) {
    const msgPerSec = (MESSAGES * PASSES_PER_RUN) / seconds;
    let line = `${label} ${Math.round(msgPerSec)} msg/s`;
    if (showMbps) {
        const mbPerSec = (bytesPerPass * PASSES_PER_RUN) / seconds / 1e6;
        line += ` (${Math.round(mbPerSec)} MB/s)`;
    }
    process.stdout.write(line + "\n");
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

function benchJson() {
    const protocol = new JsonHubProtocol();
    const fileBytes = readFileSync(path.join(corpusDir, "json.bin"));
    const bytesPerPass = fileBytes.length;

    // The protocol works on JS strings; decode the UTF-8 file once up front (a
    // WebSocket transport hands the client an already-decoded string too).
    const wholeFile = fileBytes.toString("utf8");

    // Split into frames, each keeping its trailing 0x1E, as a client would
    // receive one hub message per WebSocket text message.
    const sep = String.fromCharCode(RECORD_SEPARATOR);
    const frames = wholeFile.split(sep);
    if (frames.pop() !== "") {
        throw new Error("json.bin does not end with 0x1E");
    }
    for (let i = 0; i < frames.length; i++) {
        frames[i] += sep;
    }
    if (frames.length !== MESSAGES) {
        throw new Error(`json.bin holds ${frames.length} frames, expected ${MESSAGES}`);
    }

    // Messages for `write`: parse each frame once with the protocol itself.
    // The parser drops stream invocations (4) and cancels (5); decode those
    // ourselves with JSON.parse (the JSON protocol's parser is JSON.parse plus
    // validation, so the result has exactly the same shape).
    const messages = frames.map((frame) => {
        const parsed = protocol.parseMessages(frame, logger);
        return parsed.length === 1 ? parsed[0] : JSON.parse(frame.slice(0, -1));
    });

    // Round-trip check: writeMessage must re-produce each corpus frame exactly
    // (all 10,000 are checked; it is cheap). Silent unless something differs.
    let mismatches = 0;
    for (let i = 0; i < MESSAGES; i++) {
        if (protocol.writeMessage(messages[i]) !== frames[i]) {
            if (mismatches++ === 0) {
                process.stderr.write(`warning: json writeMessage output differs from corpus frame ${i}\n`);
            }
        }
    }
    if (mismatches > 0) {
        process.stderr.write(`warning: json writeMessage differs from the corpus for ${mismatches} of ${MESSAGES} messages\n`);
    }
    // Every write pass must produce as many UTF-16 code units as the corpus
    // (only guaranteed when the round trip above is exact).
    const expectedWriteLength = mismatches === 0 ? wholeFile.length : undefined;

    // write: writeMessage for each of the 10,000 messages.
    const writeSeconds = measure("json write", () => {
        let n = 0;
        for (let i = 0; i < messages.length; i++) {
            n += protocol.writeMessage(messages[i]).length;
        }
        return n;
    }, expectedWriteLength);

    // parse-frame: one parseMessages call per frame.
    const parseFrameSeconds = measure("json parse-frame", () => {
        let n = 0;
        for (let i = 0; i < frames.length; i++) {
            n += protocol.parseMessages(frames[i], logger).length;
        }
        return n;
    }, CLIENT_VISIBLE_MESSAGES);

    // parse-corpus: one parseMessages call on the whole file per pass.
    const parseCorpusSeconds = measure("json parse-corpus", () => {
        return protocol.parseMessages(wholeFile, logger).length;
    }, CLIENT_VISIBLE_MESSAGES);

    report("json write", writeSeconds, bytesPerPass);
    report("json parse-frame", parseFrameSeconds, bytesPerPass);
    report("json parse-corpus", parseCorpusSeconds, bytesPerPass);
}

// ---------------------------------------------------------------------------
// MessagePack
// ---------------------------------------------------------------------------

/**
 * Converts a decoded MessagePack hub-message array into the HubMessage shape
 * MessagePackHubProtocol.writeMessage accepts. Only needed for the kinds the
 * JS parser drops (stream invocation, cancel invocation); see the hub
 * protocol spec for the array layouts.
 */
function messageFromArray(a) {
    switch (a[0]) {
        case MessageType.StreamInvocation: {
            // [4, headers, invocationId, target, arguments, streamIds?]
            const msg = { type: a[0], headers: a[1], invocationId: a[2], target: a[3], arguments: a[4] };
            if (a.length > 5) msg.streamIds = a[5];
            return msg;
        }
        case MessageType.CancelInvocation:
            // [5, headers, invocationId]
            return { type: a[0], headers: a[1], invocationId: a[2] };
        default:
            throw new Error(`unexpected message type ${a[0]} dropped by the parser`);
    }
}

function benchMessagePack() {
    const protocol = new MessagePackHubProtocol();
    const fileBytes = readFileSync(path.join(corpusDir, "msgpack.bin"));
    const bytesPerPass = fileBytes.length;

    // The whole file as one ArrayBuffer (parseMessages requires an ArrayBuffer).
    const wholeFile = toArrayBuffer(fileBytes);

    // Split into frames (VarInt prefix + payload), each in its own exactly-sized
    // ArrayBuffer, as a client would receive one WebSocket binary message per
    // hub message. `payloads` keeps the prefix-less MessagePack bytes.
    const frames = [];
    const payloads = [];
    for (let offset = 0; offset < fileBytes.length;) {
        const [length, prefix] = readVarInt(fileBytes, offset);
        const frameLength = prefix + length;
        if (offset + frameLength > fileBytes.length) {
            throw new Error(`msgpack.bin: truncated frame at offset ${offset}`);
        }
        frames.push(toArrayBuffer(fileBytes, offset, frameLength));
        payloads.push(fileBytes.subarray(offset + prefix, offset + frameLength));
        offset += frameLength;
    }
    if (frames.length !== MESSAGES) {
        throw new Error(`msgpack.bin holds ${frames.length} frames, expected ${MESSAGES}`);
    }

    // Messages for `write`: parse each frame once with the protocol itself;
    // decode the frames it drops (types 4 and 5) with @msgpack/msgpack.
    const messages = frames.map((frame, i) => {
        const parsed = protocol.parseMessages(frame, logger);
        if (parsed.length !== 1) {
            return messageFromArray(msgpackDecode(payloads[i]));
        }
        const msg = parsed[0];
        // The parser always adds `streamIds: []` to invocations, but the
        // corpus invocations are 5-element arrays (0x95) written without
        // streamIds; writeMessage would emit a 6th element for the empty
        // array. Drop it when the wire had none, so that `write` encodes the
        // same messages the corpus holds. (A fresh object rather than
        // `delete`, which could leave V8 with a slower dictionary-mode object.)
        if (msg.type === MessageType.Invocation && payloads[i][0] === 0x95 &&
            Array.isArray(msg.streamIds) && msg.streamIds.length === 0) {
            const { streamIds: _unused, ...withoutStreamIds } = msg;
            return withoutStreamIds;
        }
        return msg;
    });

    // Round-trip check: writeMessage must re-produce each corpus frame exactly
    // (all 10,000 are checked; it is cheap). Silent unless something differs.
    let mismatches = 0;
    for (let i = 0; i < MESSAGES; i++) {
        const written = new Uint8Array(protocol.writeMessage(messages[i]));
        if (!bytesEqual(written, new Uint8Array(frames[i]))) {
            if (mismatches++ === 0) {
                process.stderr.write(`warning: messagepack writeMessage output differs from corpus frame ${i}\n`);
            }
        }
    }
    if (mismatches > 0) {
        process.stderr.write(`warning: messagepack writeMessage differs from the corpus for ${mismatches} of ${MESSAGES} messages\n`);
    }
    const expectedWriteBytes = mismatches === 0 ? bytesPerPass : undefined;

    // write: writeMessage (returns an ArrayBuffer holding prefix + payload)
    // for each of the 10,000 messages.
    const writeSeconds = measure("messagepack write", () => {
        let n = 0;
        for (let i = 0; i < messages.length; i++) {
            n += protocol.writeMessage(messages[i]).byteLength;
        }
        return n;
    }, expectedWriteBytes);

    // parse-frame: one parseMessages call per length-prefixed frame.
    const parseFrameSeconds = measure("messagepack parse-frame", () => {
        let n = 0;
        for (let i = 0; i < frames.length; i++) {
            n += protocol.parseMessages(frames[i], logger).length;
        }
        return n;
    }, CLIENT_VISIBLE_MESSAGES);

    // parse-corpus: one parseMessages call on the whole file per pass.
    const parseCorpusSeconds = measure("messagepack parse-corpus", () => {
        return protocol.parseMessages(wholeFile, logger).length;
    }, CLIENT_VISIBLE_MESSAGES);

    report("messagepack write", writeSeconds, bytesPerPass);
    report("messagepack parse-frame", parseFrameSeconds, bytesPerPass);
    report("messagepack parse-corpus", parseCorpusSeconds, bytesPerPass);
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

benchJson();
benchMessagePack();

// Consume the sink so the accumulated results are observably used.
if (!Number.isFinite(sink)) {
    process.stderr.write("warning: result accumulator is not finite\n");
}
