//! The C# generator: golden files for the example and test contracts (regenerated only on
//! purpose, with `UPDATE_GOLDEN=1`), the exact errors for `tests/contracts/dtos.rs` (which
//! uses what System.Text.Json cannot carry), and the rules that matter on the wire. That
//! every committed C# file parses is checked by `scripts/check-csharp`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use support::{golden, repo};

use signalr_codegen::cs::{Dialect, Options, generate};
use signalr_contract::Side;

fn options(namespace: &str) -> Options {
    Options {
        namespace: namespace.to_owned(),
        ..Default::default()
    }
}

fn cs_of(rel: &str, namespace: &str) -> String {
    let contracts = signalr_codegen::read(&repo(rel)).unwrap_or_else(|e| panic!("{e:?}"));
    generate(&contracts, &options(namespace)).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The generated files: (contract, namespace, golden file).
const GENERATED: [(&str, &str, &str); 5] = [
    (
        "examples/src/conformance.rs",
        "Conformance.Client",
        "examples/conformance/Client.cs",
    ),
    (
        "examples/src/chat.rs",
        "Chat.Client",
        "examples/chat/Chat.cs",
    ),
    (
        "tests/contracts/shapes.rs",
        "Shapes.Client",
        "tests/golden/shapes/Client.cs",
    ),
    (
        "tests/contracts/csharp_dtos.rs",
        "Catalog.Client",
        "tests/golden/csharp-dtos/Client.cs",
    ),
    (
        "tests/contracts/hostile.rs",
        "Hostile.Client",
        "tests/golden/hostile/Client.cs",
    ),
];

#[test]
fn golden_files() {
    for (contract, namespace, file) in GENERATED {
        golden(file, &cs_of(contract, namespace));
    }
}

/// `tests/contracts/dtos.rs` uses tuples, an externally tagged enum with data, a tuple
/// variant and an untagged enum: its C# golden is the exact error lines, each at the item.
#[test]
fn golden_errors_for_what_csharp_cannot_carry() {
    let contracts = signalr_codegen::read(&repo("tests/contracts/dtos.rs")).unwrap();
    let errors = generate(&contracts, &options("Dtos.Client")).unwrap_err();
    let root = repo("");
    let text: String = errors
        .iter()
        .map(|e| {
            let file = e.file.strip_prefix(&root).unwrap_or(&e.file);
            format!(
                "{}:{}:{}: {}\n",
                file.display(),
                e.line,
                e.column,
                e.message
            )
        })
        .collect();
    golden("tests/golden/dtos/cs-errors.txt", &text);
    for name in ["Containers", "Point", "Shape", "Reply", "Sample"] {
        assert!(
            text.contains(&format!(": `{name}` cannot be represented in C#: ")),
            "{name} in:\n{text}"
        );
    }
}

#[test]
fn wire_names_are_the_contracts_own() {
    for (contract, namespace, _) in GENERATED {
        let contracts = signalr_codegen::read(&repo(contract)).unwrap();
        let cs = generate(&contracts, &options(namespace)).unwrap();
        for hub in &contracts.hubs {
            for m in &hub.contract.methods {
                let wire = format!("\"{}\"", m.wire_name);
                match hub.contract.side {
                    Side::Server => assert!(
                        cs.contains(&format!("Async({wire}, "))
                            || cs.contains(&format!(">({wire}, ")),
                        "{contract}: {wire} is not called"
                    ),
                    Side::Client => {
                        let names = if m.plain_name == m.wire_name {
                            format!("new[] {{ {wire} }},")
                        } else {
                            format!("new[] {{ {wire}, \"{}\" }},", m.plain_name)
                        };
                        assert!(cs.contains(&names), "{contract}: {names} is not registered");
                    }
                }
            }
        }
    }
    let shapes = cs_of("tests/contracts/shapes.rs", "Shapes.Client");
    // `#[hub(name = "Renamed")]` keeps the Rust name for the C# method.
    assert!(shapes.contains(
        "public Task<byte> OtherAsync(CancellationToken cancellationToken = default) =>\n        _connection.InvokeCoreAsync<byte>(\"Shapes|Renamed\", Array.Empty<object?>(), cancellationToken);"
    ));
    // Upload streams keep their place among the arguments; the connection turns them into
    // stream ids in order.
    assert!(shapes.contains("\"Shapes|Dot\", new object?[] { xs, scale, ys }"));
    // Only the Rust side has `CancellationToken` and `Caller` parameters.
    assert!(shapes.contains(
        "Task<bool> WaitAsync(ulong ms, CancellationToken cancellationToken = default);"
    ));
    assert!(shapes.contains(
        "Task<string> AskAsync(string question, CancellationToken cancellationToken = default);"
    ));
    // A server-to-client token is a marker in its argument slot.
    assert!(shapes.contains("new[] { typeof(ulong), typeof(CancellationMarker) },"));
    assert!(shapes.contains("Task<bool> WorkAsync(ulong ms, CancellationToken cancel);"));
    assert!(shapes.contains("_connection.On(\"CancelTokenFromServer\""));
}

#[test]
fn output_names_the_contract_file_only() {
    let cs = cs_of("examples/src/chat.rs", "Chat.Client");
    assert!(
        cs.starts_with("// <auto-generated>\n//     Generated by signalr-codegen from chat.rs.\n")
    );
    assert!(!cs.contains(env!("CARGO_MANIFEST_DIR")));
    assert!(cs.contains("\n#nullable enable\n"));
    assert!(cs.contains("\nnamespace Chat.Client;\n"));
    assert_eq!(cs, cs_of("examples/src/chat.rs", "Chat.Client"));
    assert_eq!(Options::default().namespace, "SignalR.Contracts");
}

#[test]
fn serde_attributes_shape_the_records() {
    let cs = cs_of("tests/contracts/csharp_dtos.rs", "Catalog.Client");
    for expected in [
        // Required in both directions.
        "    [JsonPropertyName(\"listOfNames\")]\n    public required IReadOnlyList<string> ListOfNames { get; init; }\n",
        // An Option may be missing and may be null.
        "    [JsonPropertyName(\"maybeCount\")]\n    public uint? MaybeCount { get; init; }\n",
        // A default or skipped-when field is nullable and left out when null.
        "    [JsonPropertyName(\"score\")]\n    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]\n    public int? Score { get; init; }\n",
        // Bytes: base64 for Binary, numbers for serde_bytes and Vec<u8>.
        "public required byte[] Blob { get; init; }",
        "public required IReadOnlyList<byte> Raw { get; init; }",
        "public required IReadOnlyList<byte> Octets { get; init; }",
        "public required JsonElement Anything { get; init; }",
        // Keys: integers, uuids, newtypes of them, unit enums.
        "IReadOnlyDictionary<ushort, string> ByNumber",
        "IReadOnlyDictionary<Guid, string> ByUser",
        "IReadOnlyDictionary<Level, bool> ByLevel",
        // A flattened struct's fields, a flattened map as extension data.
        "    [JsonPropertyName(\"city\")]\n    public required string City { get; init; }\n\n    [JsonPropertyName(\"zip\")]",
        "    [JsonExtensionData]\n    public Dictionary<string, JsonElement>? Extra { get; init; }\n",
        // Newtypes are their content.
        "Task<UserProfile?> ProfileAsync(Guid id, ",
        "Task<double> DistanceAsync(Position a, Position b, ",
        // Enums.
        "[JsonConverter(typeof(JsonStringEnumConverter<Level>))]\npublic enum Level\n",
        "    [JsonStringEnumMemberName(\"max\")]\n    Maximum,\n",
        "[JsonPolymorphic(TypeDiscriminatorPropertyName = \"type\")]\n[JsonDerivedType(typeof(Event.Started), \"started\")]\n",
        "    public sealed record Started : Event;\n",
        // A newtype variant of an internally tagged enum has its struct's fields.
        "    public sealed record Renamed : Event\n    {\n        [JsonPropertyName(\"city\")]\n",
        // Adjacently tagged: the content under its key.
        "[JsonPolymorphic(TypeDiscriminatorPropertyName = \"kind\")]\n",
        "        [JsonPropertyName(\"data\")]\n        public required string Data { get; init; }\n",
        "        public required Fields Data { get; init; }\n",
        // A variant's name hides the namespace type of that name inside the enum.
        "public required global::Catalog.Client.Level Data { get; init; }",
        // Polymorphic values are written through their base type.
        "new object?[] { level, DeclaredJson.Of(@event) }",
        "new object?[] { DeclaredJson.Items(events) }",
        "return DeclaredJson.Of(await receiver.LatestAsync(call0.Token).ConfigureAwait(false));",
        // Keywords as parameter names.
        "Task OnEventAsync(Event @event);",
    ] {
        assert!(cs.contains(expected), "missing {expected:?} in:\n{cs}");
    }
    assert!(!cs.contains("Cache"), "a skipped field is not on the wire");
    assert!(
        !cs.contains("object Anything") && !cs.contains(" object "),
        "nothing is typed object"
    );
}

/// Errors of a contract written to a temporary file, without the file's path.
fn errors_of(source: &str, namespace: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "signalr-codegen-cs-{}-{}",
        std::process::id(),
        source.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contract.rs");
    std::fs::write(&file, source).unwrap();
    let contracts = signalr_codegen::read(&file).unwrap();
    let errors = generate(&contracts, &options(namespace)).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    errors
        .iter()
        .map(|e| {
            let text = e.to_string();
            // `file:line:col: message` with the file first.
            assert!(text.starts_with(&file.display().to_string()), "{text}");
            text[file.display().to_string().len()..].to_owned()
        })
        .collect()
}

fn cs_of_source(source: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "signalr-codegen-cs-ok-{}-{}",
        std::process::id(),
        source.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contract.rs");
    std::fs::write(&file, source).unwrap();
    let contracts = signalr_codegen::read(&file).unwrap();
    let cs = generate(&contracts, &Options::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let _ = std::fs::remove_dir_all(&dir);
    cs
}

#[test]
fn what_csharp_cannot_carry_is_an_error_naming_the_item() {
    let errors = errors_of(
        r#"
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Bag {
    pub id: u32,
    pub pair: (u32, String),
}

#[signalr::hub_contract]
pub trait Store {
    async fn put(&self, bag: Bag);
    async fn both(&self, pair: (i32, i32)) -> ();
}
"#,
        "Store.Client",
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with(
            ":3:12: `Bag` cannot be represented in C#: the field `Bag::pair`: a tuple is a JSON array"
        ),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with(
            ":11:14: `Store::both` cannot be represented in C#: the parameter `pair`: a tuple"
        ),
        "{errors:?}"
    );

    let errors = errors_of(
        r#"
#[derive(serde::Serialize, serde::Deserialize)]
pub enum Shape {
    Empty,
    Circle(f64),
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Sample {
    Number(f64),
    Text(String),
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Profile {
    #[serde(rename(serialize = "name", deserialize = "userName"))]
    pub name: String,
    #[serde(flatten)]
    pub tags: std::collections::HashMap<String, String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Nothing;

#[signalr::hub_contract]
pub trait Store {
    async fn put(&self, shape: Shape, sample: Sample, profile: Profile, nothing: Nothing);
}
"#,
        "Store.Client",
    );
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(
        errors[0].starts_with(
            ":3:10: `Shape` cannot be represented in C#: an externally tagged enum with data"
        ),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with(":10:10: `Sample` cannot be represented in C#: an untagged enum"),
        "{errors:?}"
    );
    assert!(errors[2].starts_with(":16:12: `Profile` cannot be represented in C#: the field `Profile::name` is written as `name` but read as `userName`"), "{errors:?}");
    assert!(
        errors[3].starts_with(":24:12: `Nothing` cannot be represented in C#: a unit struct"),
        "{errors:?}"
    );
}

/// Names never collide: a contract type named like a type the file uses, a method whose
/// name is another's fire-and-forget variant, a field named like its record, a C# keyword:
/// each is renamed (`_` appended, `@` before a keyword) instead of refused.
#[test]
fn names_yield_instead_of_colliding() {
    let cs = cs_of_source(
        r#"
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Task {
    pub id: u32,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Name {
    pub name: String,
    pub to_string: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct r#class {
    pub x: u8,
}

#[signalr::hub_contract]
pub trait Store {
    async fn put(&self, task: Task, name: Name, r#class: r#class);
    async fn hello(&self);
    async fn send_hello(&self);
}
"#,
    );
    for expected in [
        "public sealed record Task_\n",
        "public sealed record Name\n",
        "public required string Name_ { get; init; }",
        "public required string ToString_ { get; init; }",
        "public sealed record @class\n",
        "Task PutAsync(Task_ task, Name name, @class @class, CancellationToken cancellationToken = default);",
        "Task HelloAsync(CancellationToken cancellationToken = default);",
        "Task SendHelloAsync_(CancellationToken cancellationToken = default);",
        "Task SendHelloAsync(CancellationToken cancellationToken = default);",
    ] {
        assert!(cs.contains(expected), "missing {expected:?} in:\n{cs}");
    }

    // The namespace must be one.
    let errors = errors_of(
        "#[signalr::hub_contract]\npub trait Store {\n    async fn hello(&self);\n}\n",
        "Store.class",
    );
    assert!(
        errors[0].contains("`Store.class` is not a C# namespace name"),
        "{errors:?}"
    );
}

#[test]
fn parameter_names_avoid_keywords_and_the_token() {
    let cs = cs_of_source(
        "#[signalr::hub_contract]\npub trait Words {\n    async fn put(&self, default: String, r#type: u8, cancellation_token: bool, cancel: signalr::CancellationToken);\n}\n",
    );
    assert!(
        cs.contains("Task PutAsync(string @default, byte type, bool cancellationToken, CancellationToken cancellationToken_ = default) =>\n        _connection.InvokeCoreAsync(\"Words|Put\", new object?[] { @default, type, cancellationToken }, cancellationToken_);"),
        "{cs}"
    );
}

fn signalarrr_options() -> Options {
    Options {
        namespace: "SignalArrr.Client".to_owned(),
        dialect: Dialect::SignalArrr,
    }
}

#[test]
fn signalarrr_dialect_golden_and_tunnelling() {
    let contracts = signalr_codegen::read(&repo("examples/src/signalarrr_test.rs")).unwrap();
    let cs = generate(&contracts, &signalarrr_options()).unwrap_or_else(|e| panic!("{e:?}"));
    golden("tests/golden/signalarrr/Client.cs", &cs);
    // Calls tunnel through SignalARRR's fixed methods, naming the method in the message.
    assert!(cs.contains(
        r#"_connection.InvokeCoreAsync<string>("InvokeMessageResult", new object?[] { new SignalArrrRequest("TestShared.ITestServerMethods|Echo", new object?[] { text }, Authorization()) }, cancellationToken)"#
    ));
    assert!(cs.contains(
        r#"_connection.SendCoreAsync("SendMessage", new object?[] { new SignalArrrRequest("TestShared.ITestServerMethods|SubscribeViaSend", new object?[] { @group }, Authorization()) }, cancellationToken)"#
    ));
    assert!(cs.contains(
        r#"_connection.StreamAsyncCore<int>("StreamMessage", new object?[] { new SignalArrrRequest("TestShared.ITestServerMethods|Counter", new object?[] { count, delay }, Authorization()) }, cancellationToken)"#
    ));
    assert!(cs.contains(r#"new SignalArrrRequest("ExtraMethods|CustomEcho""#));
    // The message's JSON names are SignalARRR's, whatever the connection's naming policy.
    for name in ["Method", "Arguments", "Authorization"] {
        assert!(cs.contains(&format!(r#"[property: JsonPropertyName("{name}")]"#)));
    }
    // Receivers answer the server's two call kinds and read the message's argument slots.
    // The receivers of both client contracts share one route table per connection, so the
    // two targets are listened to once, whatever registers.
    assert_eq!(cs.matches(r#"On("InvokeServerRequest""#).count(), 1);
    assert_eq!(cs.matches(r#"On("InvokeServerMessage""#).count(), 1);
    assert!(cs.contains(r#"connection.On("InvokeServerRequest", parameterTypes, request, this)"#));
    assert!(cs.contains(r#"connection.On("InvokeServerMessage", parameterTypes, message, this)"#));
    assert!(cs.contains("ConditionalWeakTable<HubConnection, SignalArrrRoutes>"));
    assert!(cs.contains("using System.Runtime.CompilerServices;"));
    assert!(cs.contains(
        "public static IDisposable Register(HubConnection connection, ITestClientNotes receiver)"
    ));
    assert!(cs.contains(r#"new[] { "TestShared.ITestClientMethods|GetById", "GetById" },"#));
    assert!(cs.contains("receiver.GetByIdAsync(args.Get<string>(0))"));
    assert!(cs.contains("new(StringComparer.OrdinalIgnoreCase)"));
    // Disposing a registration removes only the routes it still owns.
    assert!(cs.contains("_routes?.Remove(name, this);"));
    assert!(cs.contains("ReferenceEquals(route.Owner, owner)"));
    // A token parameter is cancelled by the marker id in its slot.
    assert!(cs.contains("using var call1 = registration.Open(args.Get<CancellationMarker?>(1));"));
    assert!(cs.contains(r#"_connection.On("CancelTokenFromServer", new[] { typeof(CancelTokenRequest) }, cancel, this)"#));
    // A call carrying a StreamId is answered as a stream: items, then the completion.
    assert!(cs.contains(r#"[JsonPropertyName("StreamId")]"#));
    assert!(cs.contains(
        r#"_connection.SendCoreAsync("StreamItemToServer", new object?[] { streamId, item })"#
    ));
    assert!(cs.contains(
        r#"_connection.SendCoreAsync("StreamCompleteToServer", new object?[] { streamId, error })"#
    ));
    // A proxy given a credential answers ChallengeAuthentication, once per connection.
    assert!(cs.contains("SignalArrrChallenges.Answer(connection, authorization);"));
    assert_eq!(cs.matches(r#"On("ChallengeAuthentication""#).count(), 1);
    assert!(cs.contains("ConditionalWeakTable<HubConnection, SignalArrrChallenges>"));
    // No plain hub method is a target.
    assert!(!cs.contains(r#"Async<string>("TestShared"#));
    assert!(!cs.contains("registration.OnResult("));
    // The default dialect is unchanged: plain targets.
    let plain = generate(&contracts, &options("SignalArrr.Client")).unwrap();
    assert!(plain.contains(
        r#"_connection.InvokeCoreAsync<string>("TestShared.ITestServerMethods|Echo", new object?[] { text }, cancellationToken)"#
    ));
    assert!(!plain.contains("InvokeMessageResult"));
    assert!(!plain.contains("SignalArrrRequest"));
    assert!(!plain.contains("SignalArrrRoutes"));
    assert!(!plain.contains("ChallengeAuthentication"));
    assert!(!plain.contains("StreamItemToServer"));
}

#[test]
fn signalarrr_dialect_rejects_upload_streams() {
    let contracts = signalr_codegen::read(&repo("examples/src/conformance.rs")).unwrap();
    let errors = generate(&contracts, &signalarrr_options()).unwrap_err();
    let text = format!("{errors:?}");
    assert!(text.contains("upload stream cannot tunnel"), "{text}");
    assert!(text.contains("cannot be represented in C#"), "{text}");
}
