{#- SignalARRR's messages, challenge answers and per-connection routes (included by client.ts). #}
{%- if uses.requests %}

/** SignalARRR's `ClientRequestMessage`: what every tunnelled call carries. */
interface $ClientRequest {
  Method: string;
  Arguments: unknown[];
  Authorization: string;
}

function $request(authorization: (() => string | undefined) | undefined, method: string, args: unknown[]): $ClientRequest {
  return { Method: method, Arguments: args, Authorization: authorization?.() ?? "" };
}

/** Per connection, the credential that answers the server's `ChallengeAuthentication`. */
const $challenges = new WeakMap<HubConnection, { credential: () => string | undefined }>();

/**
 * Answers `ChallengeAuthentication` (a client result: the message credential, `""` for
 * none) on `connection` with `authorization`: one handler per connection, answering with
 * the credential of the latest proxy given one.
 */
function $answerChallenges(connection: HubConnection, authorization: (() => string | undefined) | undefined): void {
  if (!authorization) {
    return;
  }
  const known = $challenges.get(connection);
  if (known) {
    known.credential = authorization;
    return;
  }
  const entry = { credential: authorization };
  $challenges.set(connection, entry);
  connection.on("ChallengeAuthentication", () => entry.credential() ?? "");
}
{%- endif %}
{%- if uses.routes %}

/** SignalARRR's `ServerRequestMessage`: a call from the server. */
interface $ServerRequest {
  Id?: string | null;
  Method?: string | null;
  Arguments?: unknown[] | null;
  CancellationGuid?: string | null;
  StreamId?: string | null;
}

type $Route = ($args: unknown[]) => unknown;

/**
 * The routes of one connection's receivers, by lower-cased method name: one handler each
 * for `InvokeServerRequest` and `InvokeServerMessage`, so several receivers share a
 * connection and a client result comes from exactly one of them. A call carrying a
 * `StreamId` asks for a stream: the routed method's result is sent back item by item.
 */
class $Routes {
  private static readonly connections = new WeakMap<HubConnection, $Routes>();
  private readonly routes = new Map<string, $Route>();

  static of(connection: HubConnection): $Routes {
    let routes = $Routes.connections.get(connection);
    if (!routes) {
      routes = new $Routes(connection);
      $Routes.connections.set(connection, routes);
    }
    return routes;
  }

  private constructor(private readonly connection: HubConnection) {
    connection.on("InvokeServerRequest", (request: $ServerRequest | null) => this.call(request));
    connection.on("InvokeServerMessage", (request: $ServerRequest | null) => this.call(request));
  }

  add(entries: [string[], $Route][]): {{ helpers.registration }} {
    const added: [string, $Route][] = [];
    for (const [names, route] of entries) {
      for (const name of names) {
        const key = name.toLowerCase();
        this.routes.set(key, route);
        added.push([key, route]);
      }
    }
    return {
      dispose: () => {
        for (const [key, route] of added) {
          if (this.routes.get(key) === route) {
            this.routes.delete(key);
          }
        }
        added.length = 0;
      },
    };
  }

  private call(request: $ServerRequest | null): unknown {
    const method = typeof request?.Method === "string" ? request.Method : "";
    const args = Array.isArray(request?.Arguments) ? request.Arguments : [];
    const run = (): unknown => {
      const route = this.routes.get(method.toLowerCase());
      if (!route) {
        throw new Error(`Method '${method}' not found`);
      }
      return route(args);
    };
    const streamId = request?.StreamId;
    return typeof streamId === "string" && streamId !== "" ? this.stream(streamId, run) : run();
  }

  /**
   * Sends what `run` returns as the stream the server asked for: each item of an array or
   * an async iterable, or the value itself as one item (none for `null` or `undefined`),
   * then the completion, carrying the error's text if `run` failed. Resolves to `null`,
   * the client result of an `InvokeServerRequest` that asked for a stream.
   */
  private async stream(streamId: string, run: () => unknown): Promise<null> {
    const send = (item: unknown): Promise<void> => this.connection.send("StreamItemToServer", streamId, item);
    let error: string | null = null;
    try {
      const result = await run();
      if (Array.isArray(result)) {
        for (const item of result) {
          await send(item);
        }
      } else if (typeof result === "object" && result !== null && Symbol.asyncIterator in result) {
        for await (const item of result as AsyncIterable<unknown>) {
          await send(item);
        }
      } else if (result !== null && result !== undefined) {
        await send(result);
      }
    } catch (e: unknown) {
      error = String(e);
    }
    await this.connection.send("StreamCompleteToServer", streamId, error);
    return null;
  }
}
{%- endif %}
