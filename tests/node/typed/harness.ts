// The small test harness of the typed conformance program (conformance.ts): command
// line, timeouts, assertions, a mailbox for callbacks, and the case runner that prints
// `ok <name>` / `FAIL <name>: <reason>` and a last line `N passed, M failed`.
//
// tsconfig.json compiles without @types/node, so the few Node.js globals used here are
// typed locally (`nodeProcess`).

/** The parts of Node.js's `process` this program uses. */
interface NodeProcess {
  readonly argv: string[];
  readonly pid: number;
  exit(code: number): never;
  on(event: "unhandledRejection", listener: (reason: unknown) => void): unknown;
}

export const nodeProcess = (globalThis as unknown as { process: NodeProcess }).process;

// ---------------------------------------------------------------- command line

export type ProtocolName = "json" | "messagepack";

export interface Options {
  url: string;
  protocol: ProtocolName;
}

function usage(message?: string): never {
  if (message) console.error(`error: ${message}`);
  console.error("usage: node tests/node/build/typed/conformance.js --url URL [--protocol json|messagepack]");
  return nodeProcess.exit(2);
}

export function parseArgs(argv: string[]): Options {
  let url: string | undefined;
  let protocol = "json";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const eq = arg.indexOf("=");
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      return v === undefined ? usage(`${key} needs a value`) : v;
    };
    switch (key) {
      case "--url":
        url = value();
        break;
      case "--protocol":
        protocol = value();
        break;
      case "-h":
      case "--help":
        return usage();
      default:
        return usage(`unknown argument ${arg}`);
    }
  }
  if (!url) return usage("--url is required");
  if (protocol !== "json" && protocol !== "messagepack") return usage(`unknown protocol ${protocol}`);
  return { url, protocol };
}

// ---------------------------------------------------------------- time

/** A case or a wait inside it ran out of time. */
export class CaseTimeout extends Error {}

export function withTimeout<T>(promise: Promise<T>, ms: number, what?: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CaseTimeout(`timed out after ${ms} ms${what ? ` (${what})` : ""}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------- assertions

export function errText(e: unknown): string {
  if (e === undefined || e === null) return String(e);
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

export function show(value: unknown, max = 120): string {
  let s: string | undefined;
  if (value instanceof Uint8Array) {
    s = `Uint8Array(${value.length})[${Array.from(value).join(",")}]`;
  } else {
    try {
      s = JSON.stringify(value);
    } catch {
      s = String(value);
    }
    if (s === undefined) s = String(value);
  }
  return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
}

export function fail(message: string): never {
  throw new Error(message);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const ka = Object.keys(ra).sort();
    const kb = Object.keys(rb).sort();
    return deepEqual(ka, kb) && ka.every((k) => deepEqual(ra[k], rb[k]));
  }
  return false;
}

export function expectEqual(actual: unknown, expected: unknown, what = "result"): void {
  if (!deepEqual(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Expects `promise` to reject and returns the error; fails if it resolves. */
export async function expectReject(promise: Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (e) {
    if (e instanceof CaseTimeout) throw e;
    return e;
  }
  return fail(`${what}: expected a rejection, got ${show(value)}`);
}

/** Polls `read` until it returns `expected` or `ms` pass; returns the last value read. */
export async function pollFor<T>(read: () => Promise<T>, expected: T, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value === expected || Date.now() > deadline) return value;
    await delay(50);
  }
}

let uniqueCounter = 0;

/** A string no other case or run uses. */
export function unique(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${nodeProcess.pid}-${Date.now().toString(36)}-${uniqueCounter}`;
}

// ---------------------------------------------------------------- callbacks

/** Values delivered by a callback, awaited with a predicate. */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: { pred: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (w.pred(item)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(item);
      }
    }
  }

  has(pred: (item: T) => boolean): boolean {
    return this.items.some(pred);
  }

  wait(pred: (item: T) => boolean, ms: number, what: string): Promise<T> {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return withTimeout(new Promise<T>((resolve) => this.waiters.push({ pred, resolve })), ms, what);
  }
}

// ---------------------------------------------------------------- runner

export const CASE_TIMEOUT_MS = 10_000;

export interface Case {
  name: string;
  run: () => Promise<void>;
}

/**
 * Runs every case in order, each under CASE_TIMEOUT_MS, printing one line per case and
 * the summary; `cleanup` runs last (it must stop every connection). Returns the number
 * of failed cases. When the very first case fails (no connection to the server), the
 * rest are reported as not run instead of each waiting out its timeout.
 */
export async function runCases(cases: Case[], cleanup: () => Promise<void>): Promise<number> {
  let passed = 0;
  let failed = 0;
  let fatal: string | null = null;
  for (const { name, run } of cases) {
    if (fatal) {
      console.log(`FAIL ${name}: not run (${fatal})`);
      failed += 1;
      continue;
    }
    try {
      await withTimeout(Promise.resolve().then(run), CASE_TIMEOUT_MS, name);
      console.log(`ok ${name}`);
      passed += 1;
    } catch (e) {
      console.log(`FAIL ${name}: ${errText(e).replace(/\s+/g, " ")}`);
      failed += 1;
      if (passed === 0 && failed === 1) fatal = "no connection to the server";
    }
  }
  try {
    await cleanup();
  } catch (e) {
    console.log(`FAIL cleanup: ${errText(e)}`);
    failed += 1;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}
