// A WebSocket class for the official SignalR JavaScript client that records every
// frame it sends and receives, without changing the client:
//
//   const capture = new FrameCapture();
//   new signalR.HubConnectionBuilder().withUrl(url, { WebSocket: capture.WebSocket, ... })
//
// In Node.js, @microsoft/signalr opens WebSockets with the `ws` package (its
// `withUrl` option `WebSocket` replaces that constructor); the class here extends the
// very `ws` the client would use. Each WebSocket is one connection, numbered from 1 in
// the order they are opened. A text frame of the JSON hub protocol holds one or more
// messages, each terminated by the record separator 0x1e; every message is recorded
// separately as `{connection, direction: "sent"|"received", frame}`, `frame` being the
// parsed message (the handshake request and reply included). A message that is not
// JSON is recorded as `{..., raw: text, parseError}`, a binary frame as
// `{..., binary: base64}`, so that nothing on the wire goes unnoticed.

import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";

const require = createRequire(import.meta.url);
// The same `ws` that @microsoft/signalr requires (resolved from its own directory).
const signalRDir = require.resolve("@microsoft/signalr");
const BaseWebSocket = require(require.resolve("ws", { paths: [signalRDir] }));

const RECORD_SEPARATOR = "\u001e";

export class FrameCapture {
  constructor() {
    this.records = [];
    this.connections = 0;
    const capture = this;

    this.WebSocket = class CapturingWebSocket extends BaseWebSocket {
      constructor(...args) {
        super(...args);
        capture.connections += 1;
        this._captureConnection = capture.connections;
        // A plain `message` listener: setting `onmessage` (as the transport does)
        // removes the listeners added with `addEventListener`, not this one. It is
        // registered first, so a frame is recorded before the client handles it.
        // (ws 7 passes text frames as strings; ws 8 passes a Buffer and `isBinary`.)
        this.on("message", (data, isBinary) =>
          capture.record(this._captureConnection, "received", isBinary === false ? data.toString("utf8") : data),
        );
      }

      send(data, ...rest) {
        capture.record(this._captureConnection, "sent", data);
        return super.send(data, ...rest);
      }
    };
  }

  record(connection, direction, data) {
    if (typeof data !== "string") {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      this.records.push({ connection, direction, binary: bytes.toString("base64") });
      return;
    }
    const parts = data.split(RECORD_SEPARATOR);
    const tail = parts.pop();
    for (const text of parts) {
      try {
        this.records.push({ connection, direction, frame: JSON.parse(text) });
      } catch (e) {
        this.records.push({ connection, direction, raw: text, parseError: e.message });
      }
    }
    if (tail !== "") {
      // A frame must end with the record separator; keep the tail so the
      // validator reports it.
      this.records.push({ connection, direction, raw: tail, parseError: "no record separator after the message" });
    }
  }

  // Writes the records as JSON lines.
  write(file) {
    const lines = this.records.map((r) => JSON.stringify(r));
    writeFileSync(file, lines.length ? `${lines.join("\n")}\n` : "");
  }
}
