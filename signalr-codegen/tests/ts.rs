//! The TypeScript generator: golden files for the test contracts (regenerated only on
//! purpose, with `UPDATE_GOLDEN=1`), the protocol-specific mappings, and the errors for
//! constructs TypeScript cannot describe. That the output compiles with `tsc --strict`
//! and works against real servers is checked by `scripts/typescript`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use support::{golden, repo};

use signalr_codegen::Protocol;
use signalr_codegen::ts::{Dialect, Options, generate};

fn ts_of(rel: &str, protocol: Protocol) -> String {
    let contracts = signalr_codegen::read(&repo(rel)).unwrap_or_else(|e| panic!("{e:?}"));
    generate(
        &contracts,
        &Options {
            protocol,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn golden_files() {
    for (contract, dir) in [
        ("tests/contracts/shapes.rs", "tests/golden/shapes"),
        ("tests/contracts/dtos.rs", "tests/golden/dtos"),
    ] {
        golden(
            &format!("{dir}/client.ts"),
            &ts_of(contract, Protocol::Json),
        );
        golden(
            &format!("{dir}/client.msgpack.ts"),
            &ts_of(contract, Protocol::MessagePack),
        );
        let contracts = signalr_codegen::read(&repo(contract)).unwrap();
        golden(
            &format!("{dir}/schema.json"),
            &signalr_codegen::schema::to_string(&contracts),
        );
    }
}

#[test]
fn bytes_follow_the_protocol() {
    let json = ts_of("tests/contracts/dtos.rs", Protocol::Json);
    let msgpack = ts_of("tests/contracts/dtos.rs", Protocol::MessagePack);
    // `Binary`: base64 text under JSON; serde_bytes: numbers under JSON; both bin in
    // MessagePack.
    assert!(json.contains("  blob: string;\n"));
    assert!(json.contains("  raw: number[];\n"));
    assert!(msgpack.contains("  blob: Uint8Array;\n"));
    assert!(msgpack.contains("  raw: Uint8Array;\n"));
    // A plain Vec<u8> is an array of numbers in both.
    assert!(json.contains("  octets: number[];\n"));
    assert!(msgpack.contains("  octets: number[];\n"));
    assert!(json.contains("bytes(blob: string): Promise<string>"));
    assert!(msgpack.contains("bytes(blob: Uint8Array): Promise<Uint8Array>"));
    // 64-bit integers are numbers, with the caveat in the header, and never bigint.
    assert!(json.contains("  u64: number;\n"));
    assert!(json.contains("exact up to Number.MAX_SAFE_INTEGER"));
    assert!(!json.contains("bigint"));
    // Nothing is typed `any` but the handler table's own signature.
    let any_word = |l: &str| {
        l.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == "any")
    };
    let code = |l: &&str| !l.trim_start().starts_with(['*', '/']);
    for line in json.lines().filter(code).filter(|l| any_word(l)) {
        assert!(line.contains("(...args: any[]) => unknown"), "{line}");
    }
}

#[test]
fn serde_attributes_shape_the_types() {
    let ts = ts_of("tests/contracts/dtos.rs", Protocol::Json);
    for expected in [
        // rename_all = "camelCase", Option is optional and nullable.
        "  listOfNames: string[];\n",
        "  maybeCount?: number | null;\n",
        // A unit-only enum as a map key.
        "  byLevel: { [key in Level]?: boolean };\n",
        // rename_all = "kebab-case" with a quoted key, rename, skip (absent),
        // skip_serializing_if and default (optional), flatten (intersection).
        "export type UserProfile = {\n",
        "  \"display-name\": string;\n",
        "  e_mail: string;\n",
        "  bio?: string | null;\n",
        "  score?: number;\n",
        "} & Address;\n",
        // newtype and transparent: the content's type.
        "export type UserId = string;\n",
        "export type Meters = number;\n",
        "export type Point = [number, number];\n",
        // rename_all on an enum, rename on a variant.
        "  | \"LOW\"\n",
        "  | \"max\";\n",
        // The four enum representations.
        "  | { Circle: number }\n",
        "  | { Rect: { width: number; height: number } };\n",
        "  | { type: \"moved\"; from: Point; to: Point }\n",
        "  | ({ type: \"renamed\" } & Address);\n",
        "  | { kind: \"Pair\"; data: [number, number] }\n",
        "export type Sample =\n  /** Every integer is also a number: the schema must accept either variant. */\n  | number\n  | number\n  | string[]\n  | null;\n",
        // A renamed client interface: both names are listened to.
        "handlers.on([\"CatalogEvents|OnEvent\", \"OnEvent\"]",
    ] {
        assert!(ts.contains(expected), "missing {expected:?} in:\n{ts}");
    }
    assert!(!ts.contains("cache"), "a skipped field is not on the wire");
}

fn errors_of(source: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "signalr-codegen-ts-{}-{}",
        std::process::id(),
        source.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contract.rs");
    std::fs::write(&file, source).unwrap();
    let contracts = signalr_codegen::read(&file).unwrap();
    let errors = generate(&contracts, &Options::default()).unwrap_err();
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

#[test]
fn what_typescript_cannot_describe_is_an_error_naming_the_item() {
    let errors = errors_of(
        r#"
use std::collections::HashMap;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Bag {
    pub id: u32,
    #[serde(flatten)]
    pub extra: HashMap<String, String>,
}

#[signalr::hub_contract]
pub trait Store {
    async fn put(&self, bag: Bag);
}
"#,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            ":5:12: `Bag` cannot be written in TypeScript: the flattened field `Bag::extra`"
        ),
        "{errors:?}"
    );
}

fn ts_of_source(source: &str, protocol: Protocol) -> String {
    let dir = std::env::temp_dir().join(format!(
        "signalr-codegen-ts-src-{}-{}",
        std::process::id(),
        source.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contract.rs");
    std::fs::write(&file, source).unwrap();
    let contracts = signalr_codegen::read(&file).unwrap();
    let ts = generate(
        &contracts,
        &Options {
            protocol,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let _ = std::fs::remove_dir_all(&dir);
    ts
}

/// Generated names yield to the contract's: a DTO named like a helper type keeps its name
/// (the helper is renamed), a method named like a proxy member keeps its name (the member
/// is renamed), and parameters never capture what the generated code refers to.
#[test]
fn generated_names_yield_to_the_contracts_names() {
    let ts = ts_of_source(
        r#"
#[derive(serde::Serialize, serde::Deserialize)]
pub struct HubStream {
    pub id: u32,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub by_name: std::collections::HashMap<String, u32>,
}

#[signalr::hub_contract]
pub trait Store {
    async fn put(&self, s: HubStream, connection: Record);
    fn items(&self, upload: signalr::UploadStream<u32>, signal: u8) -> signalr::HubStream<HubStream>;
    async fn send(&self, text: String);
    async fn connection(&self);
    async fn constructor(&self);
}

#[signalr::hub_contract(client)]
pub trait StoreClient {
    async fn changed(&self, receiver: u32, handlers: String, cancel: signalr::CancellationToken);
}
"#,
        Protocol::Json,
    );
    for expected in [
        "export interface HubStream {\n",
        "export interface Record {\n  by_name: { [key: string]: number };\n}",
        "export interface HubStream_<T> extends IStreamResult<T>, AsyncIterable<T> {}",
        "items(upload: Upload<number>, signal: number): HubStream_<HubStream> {",
        "$upload(upload)",
        "readonly send_: StoreSend;",
        "constructor(readonly connection_: HubConnection) {",
        "put: (s: HubStream, connection: Record) => this.connection_.send(\"Store|Put\", s, connection),",
        "send(text: string): Promise<void> {",
        "connection(): Promise<void> {",
        "constructor_(): Promise<void> {",
        "changed(receiver_: number, handlers_: string, cancel: AbortSignal): void | Promise<void>;",
        "async (receiver_: number, handlers_: string, cancel: $CancellationMarker | null) => {",
        "return await receiver.changed(receiver_, handlers_, cancellations.open(cancel));",
    ] {
        assert!(ts.contains(expected), "missing {expected:?} in:\n{ts}");
    }
}

#[test]
fn parameter_names_avoid_reserved_words() {
    let dir = std::env::temp_dir().join(format!("signalr-codegen-ts-words-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contract.rs");
    std::fs::write(
        &file,
        "#[signalr::hub_contract]\npub trait Words {\n    async fn put(&self, default: String, new: u8, signal: bool, cancel: signalr::CancellationToken);\n}\n",
    )
    .unwrap();
    let contracts = signalr_codegen::read(&file).unwrap();
    let ts = generate(&contracts, &Options::default()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        ts.contains("put(default_: string, new_: number, signal: boolean, abortSignal?: AbortSignal): Promise<void> {"),
        "{ts}"
    );
    assert!(ts.contains("$abortable(abortSignal, () => this.connection.invoke<void>(\"Words|Put\", default_, new_, signal))"));
}

#[test]
fn signalarrr_dialect_golden_and_tunnelling() {
    let contracts = signalr_codegen::read(&repo("examples/src/signalarrr_test.rs")).unwrap();
    let options = Options {
        dialect: Dialect::SignalArrr,
        ..Default::default()
    };
    let ts = generate(&contracts, &options).unwrap_or_else(|e| panic!("{e:?}"));
    golden("tests/golden/signalarrr/client.ts", &ts);
    // Calls tunnel through SignalARRR's fixed methods, naming the method in the message.
    assert!(ts.contains(
        r#"this.connection.invoke<string>("InvokeMessageResult", $request(this.#authorization, "TestShared.ITestServerMethods|Echo", [text]))"#
    ));
    assert!(ts.contains(
        r#"this.connection.send("SendMessage", $request(this.#authorization, "TestShared.ITestServerMethods|SubscribeViaSend", [group]))"#
    ));
    assert!(ts.contains(
        r#"this.connection.stream<number>("StreamMessage", $request(this.#authorization, "TestShared.ITestServerMethods|Counter", [count, delay]))"#
    ));
    assert!(ts.contains(r#""ExtraMethods|CustomEcho""#));
    // Receivers answer the server's two call kinds and read the message's argument slots.
    assert!(ts.contains(r#"connection.on("InvokeServerRequest""#));
    assert!(ts.contains(r#"connection.on("InvokeServerMessage""#));
    assert!(ts.contains(
        r#"[["TestShared.ITestClientMethods|GetById", "GetById"], ($args: unknown[]) => receiver.getById($args[0] as string)]"#
    ));
    assert!(ts.contains("this.routes.get(method.toLowerCase())"));
    // Both client contracts' receivers share the route table: each target listened to once.
    assert_eq!(
        ts.matches(r#"connection.on("InvokeServerRequest""#).count(),
        1
    );
    assert!(ts.contains("export const TestClientNotesReceiver = {"));
    // A call carrying a StreamId is answered as a stream: items, then the completion.
    assert!(ts.contains(r#"this.connection.send("StreamItemToServer", streamId, item)"#));
    assert!(ts.contains(r#"this.connection.send("StreamCompleteToServer", streamId, error)"#));
    // No plain hub method is a target.
    assert!(!ts.contains(r#".invoke<string>("TestShared"#));
    assert!(!ts.contains(r#"handlers.on(["TestShared"#));
    // Only cancellation has a handler of its own.
    assert!(ts.contains(r#"handlers.on(["CancelTokenFromServer"]"#));
    // The default dialect is unchanged: plain targets.
    let plain = generate(&contracts, &Options::default()).unwrap();
    assert!(
        plain.contains(
            r#"this.connection.invoke<string>("TestShared.ITestServerMethods|Echo", text)"#
        )
    );
    assert!(!plain.contains("InvokeMessageResult"));
}

#[test]
fn signalarrr_dialect_rejects_upload_streams() {
    let contracts = signalr_codegen::read(&repo("examples/src/conformance.rs")).unwrap();
    let options = Options {
        dialect: Dialect::SignalArrr,
        ..Default::default()
    };
    let errors = generate(&contracts, &options).unwrap_err();
    let text = format!("{errors:?}");
    assert!(text.contains("upload stream cannot tunnel"), "{text}");
}
