// Builds the chat example's web page (examples/chat/web/) into a directory that
// `chat-server --web DIR` serves: typechecks app.ts and the generated chat-client.ts with
// `tsc --strict` (tsconfig.web.json), bundles them with @microsoft/signalr into app.js
// (esbuild, ESM for browsers), and copies index.html and style.css beside it.
//
//   node tests/node/build-chat-web.mjs [--out DIR]     (default: target/chat-web)
//
// Needs tests/node/node_modules (scripts/setup-peers).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const web = join(root, "examples/chat/web");

function usage() {
  console.error("usage: build-chat-web.mjs [--out DIR]");
  process.exit(2);
}

let out = join(root, "target/chat-web");
const args = process.argv.slice(2);
while (args.length > 0) {
  const [flag, value] = args.splice(0, 2);
  if (flag === "--out" && value) {
    out = resolve(value);
  } else {
    usage();
  }
}

const tsc = spawnSync(process.execPath, [join(here, "node_modules/typescript/bin/tsc"), "-p", join(here, "tsconfig.web.json")], {
  stdio: "inherit",
});
if (tsc.status !== 0) {
  console.error("build-chat-web: examples/chat/web does not typecheck");
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
try {
  await esbuild.build({
    entryPoints: [join(web, "app.ts")],
    outfile: join(out, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    nodePaths: [join(here, "node_modules")],
    logLevel: "warning",
  });
} catch {
  // esbuild has printed what went wrong.
  process.exit(1);
}
for (const file of ["index.html", "style.css"]) {
  copyFileSync(join(web, file), join(out, file));
}
console.log(`built the chat page into ${out}`);
