// Validates AsyncAPI documents with the AsyncAPI initiative's own parser (@asyncapi/parser,
// pinned in package.json): the document must parse as AsyncAPI 3.0 with no error
// diagnostic, and every channel, operation and message must be reachable through the
// parsed model (so the references resolve).
//
//   node tests/node/validate-asyncapi.mjs FILE.asyncapi.json...
//
// Prints one line per file and a last line `N passed, M failed`; exits 1 when one fails.
// `--self-test` first checks that the parser rejects a broken document.

import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();

/** The error diagnostics of `text`, and the parsed document when it parsed. */
async function check(text) {
  const { document, diagnostics } = await parser.parse(text);
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  return { document, errors };
}

function describe(diagnostic) {
  const path = diagnostic.path?.join("/") ?? "";
  return `${diagnostic.code}: ${diagnostic.message} at /${path}`;
}

async function selfTest() {
  const broken = JSON.stringify({
    asyncapi: "3.0.0",
    info: { title: "broken", version: "1.0.0" },
    channels: { a: { address: "A", messages: { m: { $ref: "#/components/messages/missing" } } } },
  });
  const { document, errors } = await check(broken);
  if (document && errors.length === 0) {
    console.log("FAIL self-test: a dangling reference was accepted");
    process.exit(1);
  }
}

const args = process.argv.slice(2);
if (args[0] === "--self-test") {
  args.shift();
  await selfTest();
}
let passed = 0;
let failed = 0;
for (const file of args) {
  const text = readFileSync(file, "utf8");
  const raw = JSON.parse(text);
  const { document, errors } = await check(text);
  const problems = errors.map(describe);
  if (document) {
    if (document.version() !== "3.0.0") problems.push(`version ${document.version()}`);
    const counts = [
      ["channels", document.channels().length, Object.keys(raw.channels ?? {}).length],
      ["operations", document.operations().length, Object.keys(raw.operations ?? {}).length],
      ["messages", document.messages().length, Object.keys(raw.components?.messages ?? {}).length],
    ];
    for (const [what, parsed, written] of counts) {
      if (parsed !== written) problems.push(`${what}: ${parsed} parsed, ${written} written`);
    }
    for (const operation of document.operations()) {
      if (operation.messages().length === 0) problems.push(`operation ${operation.id()} has no message`);
      for (const message of operation.messages()) {
        if (!message.hasPayload()) problems.push(`message ${message.id()} has no payload`);
      }
    }
  } else if (problems.length === 0) {
    problems.push("the parser returned no document");
  }
  if (problems.length === 0) {
    passed += 1;
    console.log(`ok ${file}`);
  } else {
    failed += 1;
    console.log(`FAIL ${file}: ${problems.slice(0, 10).join("; ")}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
