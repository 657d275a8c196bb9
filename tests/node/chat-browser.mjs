// The chat example's web page in a real headless Chromium, driven with playwright-core:
// two people in two browser contexts join one room, and messages typed in one page
// appear in the other; a third joins late and reads the history; one leaves.
//
//   node tests/node/chat-browser.mjs --url http://127.0.0.1:PORT/ [--chromium PATH] [--timeout SECONDS]
//
// The URL serves the page built by build-chat-web.mjs and the hub at /hubs/chat
// (`chat-server --web DIR`). Chromium defaults to $CHROMIUM or /usr/bin/chromium.
// Prints `ok <case>` or `FAIL <case>: reason` per case, then `N passed, M failed`;
// exits non-zero if anything failed, the browser could not start, or the run took longer
// than the timeout (default 90 seconds). The browser is always closed.
import { chromium } from "playwright-core";

function usage() {
  console.error("usage: chat-browser.mjs --url URL [--chromium PATH] [--timeout SECONDS]");
  process.exit(2);
}

let url;
let executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
let timeoutSeconds = 90;
const args = process.argv.slice(2);
while (args.length > 0) {
  const [flag, value] = args.splice(0, 2);
  if (flag === "--url" && value) {
    url = value;
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

/** How long one step (a page load, a message arriving) may take. */
const STEP_MS = 10_000;

let passed = 0;
let failed = 0;
let browser;
/** Set when the run timed out: what the cases print after that is noise. */
let over = false;
/** Errors the pages printed to their consoles or threw, as "who: text". */
const consoleErrors = [];

function ok(name) {
  if (over) {
    return;
  }
  passed += 1;
  console.log(`ok ${name}`);
}

function fail(name, reason) {
  if (over) {
    return;
  }
  failed += 1;
  console.log(`FAIL ${name}: ${String(reason).split("\n")[0]}`);
}

async function closeBrowser() {
  const b = browser;
  browser = undefined;
  if (b) {
    await Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
  }
}

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const watchdog = setTimeout(async () => {
  fail("timeout", `the run took longer than ${timeoutSeconds}s`);
  over = true;
  await closeBrowser();
  finish();
}, timeoutSeconds * 1000);

/** A person: a page in its own browser context (its own cookies and connection). */
async function open(who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push(`${who}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => consoleErrors.push(`${who}: ${error.message}`));
  await page.goto(url, { waitUntil: "load", timeout: STEP_MS });
  return { who, page };
}

/** Waits for the page's state (body[data-state]); on timeout, says what the page shows. */
async function waitState({ who, page }, state) {
  try {
    await page.waitForFunction((want) => document.body.dataset.state === want, state, { timeout: STEP_MS });
  } catch {
    const now = await page.evaluate(() => document.body.dataset.state).catch(() => "unknown");
    const status = await page.locator("#status").textContent().catch(() => "");
    throw new Error(`${who}'s page is "${now}", not "${state}" (status: ${JSON.stringify(status)})`);
  }
}

async function join(person, room) {
  await waitState(person, "connected");
  await person.page.fill("#name", person.who);
  await person.page.fill("#room", room);
  await person.page.click("#join");
  await waitState(person, "joined");
}

async function say(person, text) {
  await person.page.fill("#text", text);
  await person.page.click("#send");
}

/** The messages on a person's page, as "from: text", in order. */
function messages({ page }) {
  return page.$$eval("#messages li.message", (items) =>
    items.map((item) => `${item.querySelector(".from")?.textContent}: ${item.querySelector(".text")?.textContent}`),
  );
}

/** Waits until a person's page shows `from: text` in its message list. */
async function waitMessage(person, from, text) {
  const line = `${from}: ${text}`;
  try {
    await person.page.waitForFunction(
      (want) =>
        [...document.querySelectorAll("#messages li.message")].some(
          (item) => `${item.querySelector(".from")?.textContent}: ${item.querySelector(".text")?.textContent}` === want,
        ),
      line,
      { timeout: STEP_MS },
    );
  } catch {
    throw new Error(`${person.who}'s page never showed ${JSON.stringify(line)}; it shows ${JSON.stringify(await messages(person))}`);
  }
}

/** Waits until a person's "who's here" list is exactly `names` (in any order). */
async function waitPeople(person, names) {
  const want = [...names].sort();
  try {
    await person.page.waitForFunction(
      (want) =>
        JSON.stringify([...document.querySelectorAll("#people li")].map((li) => li.dataset.name).sort()) ===
        JSON.stringify(want),
      want,
      { timeout: STEP_MS },
    );
  } catch {
    const shown = await person.page.$$eval("#people li", (items) => items.map((li) => li.dataset.name));
    throw new Error(`${person.who}'s "who's here" shows ${JSON.stringify(shown)}, not ${JSON.stringify(want)}`);
  }
}

async function waitNotice(person, text) {
  try {
    await person.page.locator("#messages li.notice", { hasText: text }).first().waitFor({ timeout: STEP_MS });
  } catch {
    throw new Error(`${person.who}'s page never showed the notice ${JSON.stringify(text)}`);
  }
}

async function run() {
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      timeout: 30_000,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
    });
  } catch (error) {
    fail("the browser starts", error.message);
    return;
  }
  ok(`the browser starts (Chromium ${browser.version()})`);

  // A room of its own, so a reused server's history does not interfere.
  const room = `room-${process.pid}-${Date.now()}`;
  let ada;
  let bob;
  let cy;
  const cases = [
    [
      "two pages load and connect to the hub",
      async () => {
        [ada, bob] = await Promise.all([open("ada"), open("bob")]);
        await Promise.all([waitState(ada, "connected"), waitState(bob, "connected")]);
      },
    ],
    [
      "both join one room",
      async () => {
        await join(ada, room);
        await join(bob, room);
      },
    ],
    [
      "each sees the other in who's here",
      async () => {
        await waitPeople(bob, ["bob", "ada"]);
        await waitPeople(ada, ["ada", "bob"]);
        await waitNotice(ada, "bob joined");
      },
    ],
    [
      "a message typed by ada appears on bob's page and her own",
      async () => {
        const text = "hello bob, from a browser";
        await say(ada, text);
        await waitMessage(bob, "ada", text);
        await waitMessage(ada, "ada", text);
        const left = await ada.page.inputValue("#text");
        if (left !== "") {
          throw new Error(`ada's text box still holds ${JSON.stringify(left)} after sending`);
        }
      },
    ],
    [
      "a reply typed by bob appears on ada's page, in order",
      async () => {
        const text = "hi ada <b>not bold</b> & ünïcödé ✓";
        await say(bob, text);
        await waitMessage(ada, "bob", text);
        await waitMessage(bob, "bob", text);
        const want = ["ada: hello bob, from a browser", `bob: ${text}`];
        for (const person of [ada, bob]) {
          const shown = await messages(person);
          if (JSON.stringify(shown) !== JSON.stringify(want)) {
            throw new Error(`${person.who}'s page shows ${JSON.stringify(shown)}, not ${JSON.stringify(want)}`);
          }
        }
        if ((await ada.page.locator("#messages b").count()) !== 0) {
          throw new Error("message text was rendered as HTML");
        }
      },
    ],
    [
      "a late joiner reads the room's history",
      async () => {
        cy = await open("cy");
        await join(cy, room);
        const shown = await messages(cy);
        const want = await messages(ada);
        if (JSON.stringify(shown) !== JSON.stringify(want)) {
          throw new Error(`cy's page shows ${JSON.stringify(shown)}, not the history ${JSON.stringify(want)}`);
        }
        await waitPeople(cy, ["ada", "bob", "cy"]);
        await waitPeople(ada, ["ada", "bob", "cy"]);
      },
    ],
    [
      "leaving the room shows on the others' pages",
      async () => {
        await bob.page.click("#leave");
        await waitState(bob, "connected");
        await waitNotice(ada, "bob left");
        await waitPeople(ada, ["ada", "cy"]);
        await waitPeople(cy, ["ada", "cy"]);
      },
    ],
    [
      "a message the hub refuses shows the hub's reason",
      async () => {
        // Past the text box's maxlength, as a modified page could send it.
        await ada.page.locator("#text").evaluate((input, text) => {
          input.value = text;
        }, "x".repeat(2001));
        await ada.page.click("#send");
        await ada.page.waitForFunction(
          () => document.querySelector("#status")?.textContent?.includes("longer than 2000"),
          undefined,
          { timeout: STEP_MS },
        ).catch(async () => {
          throw new Error(`ada's status shows ${JSON.stringify(await ada.page.locator("#status").textContent())}`);
        });
      },
    ],
  ];
  for (const [name, body] of cases) {
    try {
      await body();
      ok(name);
    } catch (error) {
      // Each case builds on the one before: stop at the first failure.
      fail(name, error.message);
      break;
    }
  }
  if (consoleErrors.length === 0) {
    ok("no page printed a console error");
  } else {
    fail("no page printed a console error", consoleErrors.join(" | "));
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
