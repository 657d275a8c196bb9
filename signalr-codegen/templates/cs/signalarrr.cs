{#- SignalARRR's messages and routes (included by client.cs). #}
{%- if uses.requests %}

/// <summary>
/// SignalARRR's <c>ClientRequestMessage</c>, the one argument of every tunnelled call: the
/// method's wire name, its arguments in order, and the call's credential.
/// </summary>
file sealed record SignalArrrRequest(
    [property: JsonPropertyName("Method")] string Method,
    [property: JsonPropertyName("Arguments")] object?[] Arguments,
    [property: JsonPropertyName("Authorization")] string Authorization);
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
