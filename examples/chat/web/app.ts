// The chat page. It talks to the hub only through `chat-client.ts`, the client that
// `signalr-codegen ts examples/src/chat.rs` generates from the `Chat` and `ChatClient`
// contracts, over a `@microsoft/signalr` connection to `/hubs/chat` on the page's origin
// (or the URL given as `?hub=`).
//
// The page's state is in `document.body.dataset.state`: "connecting", "connected",
// "joining", "joined", "reconnecting", "disconnected" or "error".

import * as signalR from "@microsoft/signalr";
import { ChatClientReceiver, ChatProxy, type ChatClient, type ChatMessage } from "./chat-client.js";

type State = "connecting" | "connected" | "joining" | "joined" | "reconnecting" | "disconnected" | "error";

function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new Error(`the page has no #${id}`);
  }
  return element;
}

const ui = {
  status: byId("status", HTMLElement),
  joinForm: byId("join-form", HTMLFormElement),
  name: byId("name", HTMLInputElement),
  room: byId("room", HTMLInputElement),
  join: byId("join", HTMLButtonElement),
  leave: byId("leave", HTMLButtonElement),
  messages: byId("messages", HTMLUListElement),
  people: byId("people", HTMLUListElement),
  sendForm: byId("send-form", HTMLFormElement),
  text: byId("text", HTMLInputElement),
  send: byId("send", HTMLButtonElement),
};

/** The room this page is in (or joining), and the name it used. */
let here: { room: string; name: string } | undefined;
/** Who else is in the room: one entry per connection, so a name can appear twice. */
let people: string[] = [];
/** Messages already on screen, so the history and live messages do not repeat. */
const shown = new Set<string>();
/** Live messages that arrive while the room's history loads; shown after it. */
let held: ChatMessage[] | undefined;
let state: State = "connecting";
let busy = false;

const connection = new signalR.HubConnectionBuilder()
  .withUrl(new URLSearchParams(location.search).get("hub") ?? "/hubs/chat")
  .withAutomaticReconnect()
  .configureLogging(signalR.LogLevel.Warning)
  .build();
const chat = new ChatProxy(connection);

const screen: ChatClient = {
  receive(message) {
    if (message.room !== here?.room) {
      return;
    }
    if (held) {
      held.push(message);
    } else {
      showMessage(message);
    }
  },
  joined(room, name) {
    if (room === here?.room) {
      people.push(name);
      showPeople();
      showNotice(`${name} joined`);
    }
  },
  left(room, name) {
    if (room === here?.room) {
      const at = people.indexOf(name);
      if (at >= 0) {
        people.splice(at, 1);
      }
      showPeople();
      showNotice(`${name} left`);
    }
  },
};
ChatClientReceiver.register(connection, screen);

function setState(next: State, status: string): void {
  state = next;
  document.body.dataset.state = next;
  ui.status.textContent = status;
  showControls();
}

function showControls(): void {
  const joined = state === "joined";
  ui.join.disabled = busy || state !== "connected";
  ui.name.disabled = ui.room.disabled = joined || state === "joining";
  ui.join.hidden = joined;
  ui.leave.hidden = !joined;
  ui.leave.disabled = busy;
  ui.text.disabled = !joined;
  ui.send.disabled = busy || !joined;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // The package prefixes a hub error with where it came from; the rest is the server's text.
  return text.replace(/^An unexpected error occurred invoking '[^']*' on the server\. (HubException: )?/, "");
}

function showError(error: unknown): void {
  ui.status.textContent = errorText(error);
}

function append(item: HTMLLIElement): void {
  const atBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 8;
  ui.messages.append(item);
  if (atBottom) {
    item.scrollIntoView({ block: "end" });
  }
}

function showMessage(message: ChatMessage): void {
  const key = `${message.sentAtMs}\u0000${message.from}\u0000${message.text}`;
  if (shown.has(key)) {
    return;
  }
  shown.add(key);
  const item = document.createElement("li");
  item.className = "message";
  item.dataset.from = message.from;
  const sentAt = new Date(message.sentAtMs);
  const time = document.createElement("time");
  time.dateTime = sentAt.toISOString();
  time.textContent = sentAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = message.from;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message.text;
  item.append(time, from, text);
  append(item);
}

function showNotice(text: string): void {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  append(item);
}

function showPeople(): void {
  const items: HTMLLIElement[] = [];
  if (here && state === "joined") {
    const you = document.createElement("li");
    you.className = "you";
    you.dataset.name = here.name;
    you.textContent = `${here.name} (you)`;
    items.push(you);
  }
  for (const name of [...people].sort((a, b) => a.localeCompare(b))) {
    const item = document.createElement("li");
    item.dataset.name = name;
    item.textContent = name;
    items.push(item);
  }
  ui.people.replaceChildren(...items);
}

/** Enters `room` as `name`, then shows who is there and the room's recent messages. */
async function join(room: string, name: string): Promise<void> {
  // Set before the call: the room's first notices can arrive together with the reply.
  here = { room, name };
  people = [];
  held = [];
  shown.clear();
  ui.messages.replaceChildren();
  setState("joining", `Joining #${room}…`);
  showPeople();
  let others: string[];
  try {
    others = await chat.join(room, name);
  } catch (error) {
    here = undefined;
    held = undefined;
    people = [];
    setState("connected", "");
    showError(error);
    showPeople();
    return;
  }
  people = [...others, ...people];
  let historyError: unknown;
  try {
    for await (const message of chat.history(room)) {
      showMessage(message);
    }
  } catch (error) {
    historyError = error;
  }
  const live = held ?? [];
  held = undefined;
  for (const message of live) {
    showMessage(message);
  }
  setState("joined", `In #${room} as ${name}`);
  showPeople();
  if (historyError !== undefined) {
    ui.status.textContent = `In #${room} as ${name}; the history is unavailable: ${errorText(historyError)}`;
  }
  ui.text.focus();
}

async function leave(): Promise<void> {
  if (!here) {
    return;
  }
  const { room } = here;
  busy = true;
  showControls();
  try {
    await chat.leave(room);
    here = undefined;
    people = [];
    showNotice(`You left #${room}`);
    setState("connected", "Connected");
    showPeople();
  } catch (error) {
    showError(error);
  } finally {
    busy = false;
    showControls();
  }
}

async function send(): Promise<void> {
  const text = ui.text.value.trim();
  if (!here || text === "") {
    return;
  }
  busy = true;
  showControls();
  try {
    await chat.sendMessage(here.room, text);
    ui.text.value = "";
  } catch (error) {
    showError(error);
  } finally {
    busy = false;
    showControls();
    ui.text.focus();
  }
}

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = ui.room.value.trim();
  const name = ui.name.value.trim();
  if (state === "connected" && room !== "" && name !== "") {
    void join(room, name);
  }
});
ui.leave.addEventListener("click", () => void leave());
ui.sendForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void send();
});

connection.onreconnecting(() => setState("reconnecting", "Reconnecting…"));
connection.onreconnected(() => {
  // A new connection is in no room: enter the same one again.
  if (here) {
    void join(here.room, here.name);
  } else {
    setState("connected", "Connected");
  }
});
connection.onclose((error) =>
  setState("disconnected", error ? `Disconnected: ${errorText(error)}` : "Disconnected"),
);

async function start(): Promise<void> {
  try {
    await connection.start();
    setState("connected", "Connected");
    ui.name.focus();
  } catch (error) {
    setState("error", `Cannot connect: ${errorText(error)}`);
  }
}

void start();
