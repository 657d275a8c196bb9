// A classic ASP.NET SignalR 2.x client in a real headless Chromium, driven with
// playwright-core, against a classic endpoint (the conformance server's /signalr, hub
// `conformance`): the conformance rows 2.x can express (classic/rows.js) over WebSockets,
// Server-Sent Events and long polling. The client is the official jQuery client (npm
// `signalr` 2.4.3 with `jquery`; the default) or `--client signalr-no-jquery` (npm
// `signalr-no-jquery`, the same client's code on a jQuery shim of its own, bundled here with
// esbuild).
//
//   node tests/node/classic-interop.mjs --url http://127.0.0.1:PORT [--client NAME] [--chromium PATH] [--timeout SECONDS]
//
// The page is served at URL/__classic-interop/ by the browser itself (a route), so it has
// the server's origin: the client (for jQuery: jQuery, jquery.signalR and the server's
// generated /signalr/hubs proxy), then the rows. Prints `ok [transport] row` or
// `FAIL [transport] row: reason` per row, then `CLIENT: N passed, M failed`; exits non-zero
// if anything failed.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

function usage() {
  console.error("usage: classic-interop.mjs --url URL [--client jquery.signalR|signalr-no-jquery] [--chromium PATH] [--timeout SECONDS]");
  process.exit(2);
}

let url;
let client = "jquery.signalR";
let executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
let timeoutSeconds = 240;
const args = process.argv.slice(2);
while (args.length > 0) {
  const [flag, value] = args.splice(0, 2);
  if (flag === "--url" && value) {
    url = value.replace(/\/+$/, "");
  } else if (flag === "--client" && ["jquery.signalR", "signalr-no-jquery"].includes(value)) {
    client = value;
  } else if (flag === "--chromium" && value) {
    executablePath = value;
  } else if (flag === "--timeout" && Number(value) > 0) {
    timeoutSeconds = Number(value);
  } else {
    usage();
  }
}
if (!url) {
  usage();
}

const TRANSPORTS = (process.env.CLASSIC_TRANSPORTS || "webSockets,serverSentEvents,longPolling").split(",");
/** signalr-no-jquery as one script setting `window.classicClient`. */
async function bundleNoJquery() {
  const out = await build({
    stdin: {
      contents: 'import { hubConnection, signalR } from "signalr-no-jquery";\n' +
        "window.classicClient = { hubConnection, signalR };\n",
      resolveDir: here,
    },
    bundle: true,
    format: "iife",
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0].text;
}

const assets = { "rows.js": readFileSync(join(here, "classic", "rows.js"), "utf8") };
let scripts;
if (client === "jquery.signalR") {
  assets["jquery.js"] = readFileSync(require.resolve("jquery/dist/jquery.js"), "utf8");
  assets["jquery.signalR.js"] = readFileSync(require.resolve("signalr/jquery.signalR.js"), "utf8");
  scripts = ["/__classic-interop/jquery.js", "/__classic-interop/jquery.signalR.js", "/signalr/hubs"];
} else {
  assets["client.js"] = await bundleNoJquery();
  scripts = ["/__classic-interop/client.js"];
}
scripts.push("/__classic-interop/rows.js");
const page_html = `<!doctype html>
<html><head><meta charset="utf-8"><title>classic interop</title>
${scripts.map((src) => `<script src="${src}"></script>`).join("\n")}
</head><body></body></html>`;

let passed = 0;
let failed = 0;
let browser;
let over = false;

function ok(name) {
  if (!over) {
    passed += 1;
    console.log(`ok ${name}`);
  }
}

function fail(name, reason) {
  if (!over) {
    failed += 1;
    console.log(`FAIL ${name}: ${String(reason).split("\n")[0]}`);
  }
}

async function closeBrowser() {
  const b = browser;
  browser = undefined;
  if (b) {
    await Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
  }
}

function finish() {
  console.log(`${client}: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const watchdog = setTimeout(async () => {
  fail("timeout", `the run took longer than ${timeoutSeconds}s`);
  over = true;
  await closeBrowser();
  finish();
}, timeoutSeconds * 1000);

async function runTransport(transport) {
  const context = await browser.newContext();
  const errors = [];
  try {
    await context.route(`${url}/__classic-interop/**`, (route) => {
      const name = new URL(route.request().url()).pathname.split("/").pop();
      if (name === "index.html") {
        return route.fulfill({ contentType: "text/html; charset=utf-8", body: page_html });
      }
      if (Object.hasOwn(assets, name)) {
        return route.fulfill({ contentType: "application/javascript; charset=utf-8", body: assets[name] });
      }
      return route.fulfill({ status: 404, body: "" });
    });
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    if (process.env.CLASSIC_DEBUG) {
      page.on("console", (message) => console.log(`  console: ${message.text()}`));
    }
    await page.goto(`${url}/__classic-interop/index.html`, { waitUntil: "load", timeout: 10_000 });
    const results = await page.evaluate((t) => window.runRows(t), transport);
    for (const r of results) {
      if (r.ok) {
        ok(`[${transport}] ${r.name}`);
      } else {
        fail(`[${transport}] ${r.name}`, r.reason);
      }
    }
    if (errors.length === 0) {
      ok(`[${transport}] the page threw no uncaught error`);
    } else {
      fail(`[${transport}] the page threw no uncaught error`, errors.join(" | "));
    }
  } finally {
    await context.close().catch(() => {});
  }
}

async function run() {
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      timeout: 30_000,
      // The page comes from a route of the browser's own, which Chromium's local network
      // access checks count as a public page: they would block its WebSocket to 127.0.0.1.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-features=LocalNetworkAccessChecks,LocalNetworkAccessChecksWebSockets,BlockInsecurePrivateNetworkRequests",
      ],
    });
  } catch (error) {
    fail("the browser starts", error.message);
    return;
  }
  for (const transport of TRANSPORTS) {
    try {
      await runTransport(transport);
    } catch (error) {
      fail(`[${transport}] the page runs`, error.stack ?? error);
    }
  }
}

try {
  await run();
} catch (error) {
  fail("the run", error.stack ?? error);
} finally {
  await closeBrowser();
}
clearTimeout(watchdog);
finish();
