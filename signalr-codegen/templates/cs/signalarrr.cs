{#- SignalARRR's messages, challenge answers and per-connection routes (included by client.cs). #}
{%- if uses.requests %}

/// <summary>
/// SignalARRR's <c>ClientRequestMessage</c>, the one argument of every tunnelled call: the
/// method's wire name, its arguments in order, and the call's credential.
/// </summary>
file sealed record SignalArrrRequest(
    [property: JsonPropertyName("Method")] string Method,
    [property: JsonPropertyName("Arguments")] object?[] Arguments,
    [property: JsonPropertyName("Authorization")] string Authorization);

/// <summary>
/// Per connection, the credential that answers the server's <c>ChallengeAuthentication</c>
/// (a client result: the message credential, <c>""</c> for none).
/// </summary>
file sealed class SignalArrrChallenges
{
    private static readonly ConditionalWeakTable<HubConnection, SignalArrrChallenges> Connections = new();
    private static readonly object Gate = new();
    private volatile Func<string?> _credential;

    private SignalArrrChallenges(Func<string?> credential)
    {
        _credential = credential;
    }

    /// <summary>
    /// Answers <c>ChallengeAuthentication</c> on <paramref name="connection"/> with
    /// <paramref name="authorization"/>, if given: one handler per connection, answering
    /// with the credential of the latest proxy given one.
    /// </summary>
    public static void Answer(HubConnection connection, Func<string?>? authorization)
    {
        if (authorization is null)
        {
            return;
        }
        lock (Gate)
        {
            if (Connections.TryGetValue(connection, out var known))
            {
                known._credential = authorization;
                return;
            }
            var entry = new SignalArrrChallenges(authorization);
            Connections.Add(connection, entry);
            Func<object?[], object, Task<object?>> answer = static (_, state) =>
                Task.FromResult<object?>(((SignalArrrChallenges)state)._credential() ?? "");
            connection.On("ChallengeAuthentication", new[] { typeof(object) }, answer, entry);
        }
    }
}
{%- endif %}
{%- if uses.routes %}

/// <summary>SignalARRR's <c>ServerRequestMessage</c>, the one argument of the server's calls.</summary>
file sealed record ServerRequestMessage
{
    [JsonPropertyName("Id")]
    public string? Id { get; init; }

    [JsonPropertyName("Method")]
    public string? Method { get; init; }

    [JsonPropertyName("Arguments")]
    public JsonElement[]? Arguments { get; init; }

    [JsonPropertyName("StreamId")]
    public string? StreamId { get; init; }
}

/// <summary>
/// The SignalARRR routes of one connection's receivers, by method name in any case: one
/// handler each for <c>InvokeServerRequest</c> and <c>InvokeServerMessage</c>, so receivers
/// of several contracts share a connection and each call reaches exactly one of them.
/// </summary>
file sealed class SignalArrrRoutes
{
    private static readonly ConditionalWeakTable<HubConnection, SignalArrrRoutes> Connections = new();
    private static readonly object Gate = new();
    private readonly HubConnection _connection;
    private readonly Dictionary<string, (object Owner, Func<SignalArrrArguments, Task<object?>> Handler)> _routes = new(StringComparer.OrdinalIgnoreCase);

    private SignalArrrRoutes(HubConnection connection)
    {
        _connection = connection;
        Func<object?[], object, Task<object?>> request = static (args, state) =>
            ((SignalArrrRoutes)state).RequestAsync(args[0] as ServerRequestMessage);
        Func<object?[], object, Task> message = static (args, state) =>
            ((SignalArrrRoutes)state).MessageAsync(args[0] as ServerRequestMessage);
        var parameterTypes = new[] { typeof(ServerRequestMessage) };
        connection.On("InvokeServerRequest", parameterTypes, request, this);
        connection.On("InvokeServerMessage", parameterTypes, message, this);
    }

    /// <summary>The route table of <paramref name="connection"/>, made (and listening) on first use.</summary>
    public static SignalArrrRoutes Of(HubConnection connection)
    {
        lock (Gate)
        {
            if (!Connections.TryGetValue(connection, out var routes))
            {
                routes = new SignalArrrRoutes(connection);
                Connections.Add(connection, routes);
            }
            return routes;
        }
    }

    /// <summary>Routes <paramref name="name"/> to <paramref name="handler"/> of <paramref name="owner"/>.</summary>
    public void Add(string name, object owner, Func<SignalArrrArguments, Task<object?>> handler)
    {
        lock (_routes)
        {
            _routes[name] = (owner, handler);
        }
    }

    /// <summary>Removes the route of <paramref name="name"/> if <paramref name="owner"/> still holds it.</summary>
    public void Remove(string name, object owner)
    {
        lock (_routes)
        {
            if (_routes.TryGetValue(name, out var route) && ReferenceEquals(route.Owner, owner))
            {
                _routes.Remove(name);
            }
        }
    }

    private async Task<object?> RequestAsync(ServerRequestMessage? message)
    {
        if (message is { StreamId: { Length: > 0 } streamId })
        {
            await StreamAsync(message, streamId).ConfigureAwait(false);
            return null;
        }
        return await Dispatch(message).ConfigureAwait(false);
    }

    private Task MessageAsync(ServerRequestMessage? message)
    {
        if (message is { StreamId: { Length: > 0 } streamId })
        {
            // The connection runs calls without a result one at a time: the stream is sent
            // beside them, so that the connection reads on (CancelTokenFromServer among
            // others) while it runs. StreamAsync reports its own failures.
            _ = StreamAsync(message, streamId);
            return Task.CompletedTask;
        }
        return Dispatch(message);
    }

    private Task<object?> Dispatch(ServerRequestMessage? message)
    {
        var method = message?.Method ?? "";
        Func<SignalArrrArguments, Task<object?>>? handler = null;
        lock (_routes)
        {
            if (_routes.TryGetValue(method, out var route))
            {
                handler = route.Handler;
            }
        }
        if (handler is null)
        {
            return Task.FromException<object?>(new InvalidOperationException($"Method '{method}' not found!"));
        }
        return handler(new SignalArrrArguments(message?.Arguments ?? Array.Empty<JsonElement>()));
    }

    /// <summary>
    /// Sends the routed method's result as the stream the server asked for: each element of
    /// an asynchronous sequence or of a list (what serializes as a JSON array), or the value
    /// itself as one item (none for <c>null</c>), then the completion, carrying the
    /// exception's message if the method failed.
    /// </summary>
    private async Task StreamAsync(ServerRequestMessage message, string streamId)
    {
        string? error = null;
        try
        {
            var result = await Dispatch(message).ConfigureAwait(false);
            if (result is IAsyncEnumerable<object?> sequence)
            {
                await foreach (var item in sequence.ConfigureAwait(false))
                {
                    await SendItemAsync(streamId, item).ConfigureAwait(false);
                }
            }
            else if (result is not null)
            {
                var json = result as JsonElement? ?? JsonSerializer.SerializeToElement(result, result.GetType());
                switch (json.ValueKind)
                {
                    case JsonValueKind.Array:
                        foreach (var item in json.EnumerateArray())
                        {
                            await SendItemAsync(streamId, item).ConfigureAwait(false);
                        }
                        break;
                    case JsonValueKind.Null:
                        break;
                    default:
                        await SendItemAsync(streamId, json).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (Exception e)
        {
            error = e.Message;
        }
        try
        {
            await _connection.SendCoreAsync("StreamCompleteToServer", new object?[] { streamId, error }).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection has ended: the server ends the stream itself.
        }
    }

    private Task SendItemAsync(string streamId, object? item) =>
        _connection.SendCoreAsync("StreamItemToServer", new object?[] { streamId, item });
}

/// <summary>The arguments of a <see cref="ServerRequestMessage"/>, each read from its slot.</summary>
file sealed class SignalArrrArguments
{
    private readonly JsonElement[] _slots;

    public SignalArrrArguments(JsonElement[] slots)
    {
        _slots = slots;
    }

    /// <summary>
    /// The argument in slot <paramref name="index"/> as <typeparamref name="T"/>, with
    /// System.Text.Json's default options (the generated types name every JSON property and
    /// enum member themselves); a missing slot is <c>default</c>.
    /// </summary>
    public T Get<T>(int index) => index < _slots.Length ? _slots[index].Deserialize<T>()! : default!;
}
{%- endif %}
