// A contract whose every name is hostile: every Rust, TypeScript and C# keyword usable as a
// Rust identifier (raw identifiers for Rust's own), every name the generated code uses for
// itself, and every member of HubConnection, as methods, parameters, types and fields.
// Included by tests/tests/macros.rs (a round trip through the Rust server), generated as
// TypeScript (tsc --strict in both protocols, scripts/typescript) and C#
// (tests/golden/hostile, parsed by scripts/check-csharp). Each keyword method `m(p)`
// answers `"m:{p}"`.

/// Every hostile type name in one place.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Everything {
    pub the_record: Record,
    pub the_promise: Promise,
    pub the_hubstream: HubStream,
    pub the_upload: Upload,
    pub the_registration: Registration,
    pub the_jsonvalue: JsonValue,
    pub the_hubconnection: HubConnection,
    pub the_task: Task,
    pub the_declaredjson: DeclaredJson,
    pub the_hubregistration: HubRegistration,
    pub the_callcancellation: CallCancellation,
    pub the_canceltokenrequest: CancelTokenRequest,
    pub the_cancellationmarker: CancellationMarker,
    pub the_abortsignal: AbortSignal,
    pub the_struct: r#struct,
    pub the_string: string,
    pub the_object: object,
    pub the_type: r#type,
    pub mode: Mode,
}

/// A type named `Record`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub r#type: String,
    pub class: u8,
    pub default: bool,
    pub to_string: String,
    pub equals: i32,
    pub record: String,
    pub get_hash_code: u8,
}

/// A type named `Promise`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Promise {
    pub then: String,
}

/// A type named `HubStream`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HubStream {
    pub id: u32,
}

/// A type named `Upload`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    pub id: u32,
}

/// A type named `Registration`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Registration {
    pub id: u32,
}

/// A type named `JsonValue`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JsonValue {
    pub id: u32,
}

/// A type named `HubConnection`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HubConnection {
    pub connection_id: String,
}

/// A type named `Task`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Task {
    pub id: u32,
}

/// A type named `DeclaredJson`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeclaredJson {
    pub id: u32,
}

/// A type named `HubRegistration`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HubRegistration {
    pub id: u32,
}

/// A type named `CallCancellation`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CallCancellation {
    pub id: u32,
}

/// A type named `CancelTokenRequest`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancelTokenRequest {
    pub cancellation_guid: String,
}

/// A type named `CancellationMarker`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancellationMarker {
    pub id: String,
}

/// A type named `AbortSignal`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AbortSignal {
    pub aborted: bool,
}

/// A type named `struct`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct r#struct {
    pub r#enum: u8,
}

/// A type named `string`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct string {
    pub value: String,
}

/// A type named `object`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct object {
    pub value: String,
}

/// A type named `type`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct r#type {
    pub value: String,
}

/// Variants named like keywords, helpers and the enum itself.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    Class,
    Default,
    New,
    Record,
    Task,
    Equals,
    Mode,
    Type,
    Object,
    String,
}

/// Methods and parameters named like every keyword, helper and `HubConnection` member.
#[signalr::hub_contract]
pub trait Hostile {
    async fn r#as(&self, r#break: String) -> String;
    async fn r#break(&self, r#const: String) -> String;
    async fn r#const(&self, r#continue: String) -> String;
    async fn r#continue(&self, r#else: String) -> String;
    async fn r#else(&self, r#enum: String) -> String;
    async fn r#enum(&self, r#extern: String) -> String;
    async fn r#extern(&self, r#false: String) -> String;
    async fn r#false(&self, r#fn: String) -> String;
    async fn r#fn(&self, r#for: String) -> String;
    async fn r#for(&self, r#if: String) -> String;
    async fn r#if(&self, r#impl: String) -> String;
    async fn r#impl(&self, r#in: String) -> String;
    async fn r#in(&self, r#let: String) -> String;
    async fn r#let(&self, r#loop: String) -> String;
    async fn r#loop(&self, r#match: String) -> String;
    async fn r#match(&self, r#mod: String) -> String;
    async fn r#mod(&self, r#move: String) -> String;
    async fn r#move(&self, r#mut: String) -> String;
    async fn r#mut(&self, r#pub: String) -> String;
    async fn r#pub(&self, r#ref: String) -> String;
    async fn r#ref(&self, r#return: String) -> String;
    async fn r#return(&self, r#static: String) -> String;
    async fn r#static(&self, r#struct: String) -> String;
    async fn r#struct(&self, r#trait: String) -> String;
    async fn r#trait(&self, r#true: String) -> String;
    async fn r#true(&self, r#type: String) -> String;
    async fn r#type(&self, r#unsafe: String) -> String;
    async fn r#unsafe(&self, r#use: String) -> String;
    async fn r#use(&self, r#where: String) -> String;
    async fn r#where(&self, r#while: String) -> String;
    async fn r#while(&self, r#async: String) -> String;
    async fn r#async(&self, r#await: String) -> String;
    async fn r#await(&self, r#dyn: String) -> String;
    async fn r#dyn(&self, r#abstract: String) -> String;
    async fn r#abstract(&self, r#become: String) -> String;
    async fn r#become(&self, r#box: String) -> String;
    async fn r#box(&self, r#do: String) -> String;
    async fn r#do(&self, r#final: String) -> String;
    async fn r#final(&self, r#macro: String) -> String;
    async fn r#macro(&self, r#override: String) -> String;
    async fn r#override(&self, r#priv: String) -> String;
    async fn r#priv(&self, r#typeof: String) -> String;
    async fn r#typeof(&self, r#unsized: String) -> String;
    async fn r#unsized(&self, r#virtual: String) -> String;
    async fn r#virtual(&self, r#yield: String) -> String;
    async fn r#yield(&self, r#try: String) -> String;
    async fn r#try(&self, r#gen: String) -> String;
    async fn r#gen(&self, arguments: String) -> String;
    async fn arguments(&self, case: String) -> String;
    async fn case(&self, catch: String) -> String;
    async fn catch(&self, class: String) -> String;
    async fn class(&self, debugger: String) -> String;
    async fn debugger(&self, default: String) -> String;
    async fn default(&self, delete: String) -> String;
    async fn delete(&self, eval: String) -> String;
    async fn eval(&self, export: String) -> String;
    async fn export(&self, extends: String) -> String;
    async fn extends(&self, finally: String) -> String;
    async fn finally(&self, function: String) -> String;
    async fn function(&self, implements: String) -> String;
    async fn implements(&self, import: String) -> String;
    async fn import(&self, instanceof: String) -> String;
    async fn instanceof(&self, interface: String) -> String;
    async fn interface(&self, new: String) -> String;
    async fn new(&self, null: String) -> String;
    async fn null(&self, package: String) -> String;
    async fn package(&self, private: String) -> String;
    async fn private(&self, protected: String) -> String;
    async fn protected(&self, public: String) -> String;
    async fn public(&self, switch: String) -> String;
    async fn switch(&self, this: String) -> String;
    async fn this(&self, throw: String) -> String;
    async fn throw(&self, var: String) -> String;
    async fn var(&self, void: String) -> String;
    async fn void(&self, with: String) -> String;
    async fn with(&self, constructor: String) -> String;
    async fn constructor(&self, any: String) -> String;
    async fn any(&self, boolean: String) -> String;
    async fn boolean(&self, never: String) -> String;
    async fn never(&self, number: String) -> String;
    async fn number(&self, object: String) -> String;
    async fn object(&self, string: String) -> String;
    async fn string(&self, symbol: String) -> String;
    async fn symbol(&self, undefined: String) -> String;
    async fn undefined(&self, unknown: String) -> String;
    async fn unknown(&self, declare: String) -> String;
    async fn declare(&self, namespace: String) -> String;
    async fn namespace(&self, module: String) -> String;
    async fn module(&self, readonly: String) -> String;
    async fn readonly(&self, keyof: String) -> String;
    async fn keyof(&self, infer: String) -> String;
    async fn infer(&self, is: String) -> String;
    async fn is(&self, asserts: String) -> String;
    async fn asserts(&self, satisfies: String) -> String;
    async fn satisfies(&self, get: String) -> String;
    async fn get(&self, set: String) -> String;
    async fn set(&self, of: String) -> String;
    async fn of(&self, from: String) -> String;
    async fn from(&self, require: String) -> String;
    async fn require(&self, global: String) -> String;
    async fn global(&self, base: String) -> String;
    async fn base(&self, bool: String) -> String;
    async fn bool(&self, byte: String) -> String;
    async fn byte(&self, char: String) -> String;
    async fn char(&self, checked: String) -> String;
    async fn checked(&self, decimal: String) -> String;
    async fn decimal(&self, delegate: String) -> String;
    async fn delegate(&self, double: String) -> String;
    async fn double(&self, event: String) -> String;
    async fn event(&self, explicit: String) -> String;
    async fn explicit(&self, fixed: String) -> String;
    async fn fixed(&self, float: String) -> String;
    async fn float(&self, foreach: String) -> String;
    async fn foreach(&self, goto: String) -> String;
    async fn goto(&self, implicit: String) -> String;
    async fn implicit(&self, int: String) -> String;
    async fn int(&self, internal: String) -> String;
    async fn internal(&self, lock: String) -> String;
    async fn lock(&self, long: String) -> String;
    async fn long(&self, operator: String) -> String;
    async fn operator(&self, out: String) -> String;
    async fn out(&self, params: String) -> String;
    async fn params(&self, sbyte: String) -> String;
    async fn sbyte(&self, sealed: String) -> String;
    async fn sealed(&self, short: String) -> String;
    async fn short(&self, sizeof: String) -> String;
    async fn sizeof(&self, stackalloc: String) -> String;
    async fn stackalloc(&self, uint: String) -> String;
    async fn uint(&self, ulong: String) -> String;
    async fn ulong(&self, unchecked: String) -> String;
    async fn unchecked(&self, ushort: String) -> String;
    async fn ushort(&self, using: String) -> String;
    async fn using(&self, volatile: String) -> String;
    async fn volatile(&self, record: String) -> String;
    async fn record(&self, required: String) -> String;
    async fn required(&self, dynamic: String) -> String;
    async fn dynamic(&self, file: String) -> String;
    async fn file(&self, scoped: String) -> String;
    async fn scoped(&self, nint: String) -> String;
    async fn nint(&self, nuint: String) -> String;
    async fn nuint(&self, value: String) -> String;
    async fn value(&self, partial: String) -> String;
    async fn partial(&self, when: String) -> String;
    async fn when(&self, init: String) -> String;
    async fn init(&self, args: String) -> String;
    async fn args(&self, connection: String) -> String;
    async fn connection(&self, send: String) -> String;
    async fn send(&self, hub: String) -> String;
    async fn hub(&self, target: String) -> String;
    async fn target(&self, from_target: String) -> String;
    async fn from_target(&self, contract: String) -> String;
    async fn contract(&self, implementation: String) -> String;
    async fn implementation(&self, receiver: String) -> String;
    async fn receiver(&self, handlers: String) -> String;
    async fn handlers(&self, cancellations: String) -> String;
    async fn cancellations(&self, signal: String) -> String;
    async fn signal(&self, abort_signal: String) -> String;
    async fn abort_signal(&self, upload: String) -> String;
    async fn upload(&self, hub_stream: String) -> String;
    async fn hub_stream(&self, abortable: String) -> String;
    async fn abortable(&self, registration: String) -> String;
    async fn registration(&self, cancellation_token: String) -> String;
    async fn cancellation_token(&self, json_value: String) -> String;
    async fn json_value(&self, declared_json: String) -> String;
    async fn declared_json(&self, __call: String) -> String;
    async fn __call(&self, __imp: String) -> String;
    async fn __imp(&self, __w: String) -> String;
    async fn __w(&self, __p: String) -> String;
    async fn __p(&self, __a: String) -> String;
    async fn __a(&self, __u: String) -> String;
    async fn __u(&self, __v: String) -> String;
    async fn __v(&self, __e: String) -> String;
    async fn __e(&self, __items: String) -> String;
    async fn __items(&self, __marker: String) -> String;
    async fn __marker(&self, __marker0: String) -> String;
    async fn __marker0(&self, __watch: String) -> String;
    async fn __watch(&self, __tokens: String) -> String;
    async fn __tokens(&self, __subscriptions: String) -> String;
    async fn __subscriptions(&self, __protocol: String) -> String;
    async fn __protocol(&self, start: String) -> String;
    async fn start(&self, stop: String) -> String;
    async fn stop(&self, stream: String) -> String;
    async fn stream(&self, invoke: String) -> String;
    async fn invoke(&self, on: String) -> String;
    async fn on(&self, off: String) -> String;
    async fn off(&self, onclose: String) -> String;
    async fn onclose(&self, onreconnecting: String) -> String;
    async fn onreconnecting(&self, onreconnected: String) -> String;
    async fn onreconnected(&self, state: String) -> String;
    async fn state(&self, connection_id: String) -> String;
    async fn connection_id(&self, base_url: String) -> String;
    async fn base_url(&self, server_timeout_in_milliseconds: String) -> String;
    async fn server_timeout_in_milliseconds(&self, keep_alive_interval_in_milliseconds: String) -> String;
    async fn keep_alive_interval_in_milliseconds(&self, stateful_reconnect_buffer_size: String) -> String;
    async fn stateful_reconnect_buffer_size(&self, on_raw: String) -> String;
    async fn on_raw(&self, send_core: String) -> String;
    async fn send_core(&self, invoke_core: String) -> String;
    async fn invoke_core(&self, stream_async_core: String) -> String;
    async fn stream_async_core(&self, stream_as_channel_core: String) -> String;
    async fn stream_as_channel_core(&self, dispose: String) -> String;
    async fn dispose(&self, closed: String) -> String;
    async fn closed(&self, reconnecting: String) -> String;
    async fn reconnecting(&self, reconnected: String) -> String;
    async fn reconnected(&self, r#as: String) -> String;
    /// A unit method (sent fire-and-forget too) whose parameters are named like the proxy's
    /// connection and like types.
    async fn notify(&self, connection: String, send: Record, everything: Everything);
    /// An upload stream named like the upload helper, and a token named like the signal.
    async fn total(&self, upload: signalr::UploadStream<i32>, hub_stream: i32, signal: signalr::CancellationToken) -> i32;
    /// A stream whose parameters are named like the stream helpers.
    fn ticks(&self, abortable: u32, r#type: Mode, cancellation_token: signalr::CancellationToken) -> signalr::HubStream<Task>;
    /// Calls the caller's client methods and joins their answers.
    async fn call_back(&self, caller: signalr::Caller) -> Result<String, signalr::HubError>;
}

/// Client methods and parameters named like the receiver's own names.
#[signalr::hub_contract(client)]
pub trait HostileClient {
    async fn new(&self, receiver: String, handlers: String);
    async fn connection(&self, cancellations: String, args: String) -> String;
    async fn register(&self, registration: Record, cancel: signalr::CancellationToken) -> bool;
    async fn r#type(&self, r#match: Mode, __tokens: String) -> Mode;
}

/// The server's implementation: each keyword method answers `"m:{p}"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostileHub;

impl Hostile for HostileHub {
    async fn r#as(&self, r#break: String) -> String {
        format!("as:{}", r#break)
    }

    async fn r#break(&self, r#const: String) -> String {
        format!("break:{}", r#const)
    }

    async fn r#const(&self, r#continue: String) -> String {
        format!("const:{}", r#continue)
    }

    async fn r#continue(&self, r#else: String) -> String {
        format!("continue:{}", r#else)
    }

    async fn r#else(&self, r#enum: String) -> String {
        format!("else:{}", r#enum)
    }

    async fn r#enum(&self, r#extern: String) -> String {
        format!("enum:{}", r#extern)
    }

    async fn r#extern(&self, r#false: String) -> String {
        format!("extern:{}", r#false)
    }

    async fn r#false(&self, r#fn: String) -> String {
        format!("false:{}", r#fn)
    }

    async fn r#fn(&self, r#for: String) -> String {
        format!("fn:{}", r#for)
    }

    async fn r#for(&self, r#if: String) -> String {
        format!("for:{}", r#if)
    }

    async fn r#if(&self, r#impl: String) -> String {
        format!("if:{}", r#impl)
    }

    async fn r#impl(&self, r#in: String) -> String {
        format!("impl:{}", r#in)
    }

    async fn r#in(&self, r#let: String) -> String {
        format!("in:{}", r#let)
    }

    async fn r#let(&self, r#loop: String) -> String {
        format!("let:{}", r#loop)
    }

    async fn r#loop(&self, r#match: String) -> String {
        format!("loop:{}", r#match)
    }

    async fn r#match(&self, r#mod: String) -> String {
        format!("match:{}", r#mod)
    }

    async fn r#mod(&self, r#move: String) -> String {
        format!("mod:{}", r#move)
    }

    async fn r#move(&self, r#mut: String) -> String {
        format!("move:{}", r#mut)
    }

    async fn r#mut(&self, r#pub: String) -> String {
        format!("mut:{}", r#pub)
    }

    async fn r#pub(&self, r#ref: String) -> String {
        format!("pub:{}", r#ref)
    }

    async fn r#ref(&self, r#return: String) -> String {
        format!("ref:{}", r#return)
    }

    async fn r#return(&self, r#static: String) -> String {
        format!("return:{}", r#static)
    }

    async fn r#static(&self, r#struct: String) -> String {
        format!("static:{}", r#struct)
    }

    async fn r#struct(&self, r#trait: String) -> String {
        format!("struct:{}", r#trait)
    }

    async fn r#trait(&self, r#true: String) -> String {
        format!("trait:{}", r#true)
    }

    async fn r#true(&self, r#type: String) -> String {
        format!("true:{}", r#type)
    }

    async fn r#type(&self, r#unsafe: String) -> String {
        format!("type:{}", r#unsafe)
    }

    async fn r#unsafe(&self, r#use: String) -> String {
        format!("unsafe:{}", r#use)
    }

    async fn r#use(&self, r#where: String) -> String {
        format!("use:{}", r#where)
    }

    async fn r#where(&self, r#while: String) -> String {
        format!("where:{}", r#while)
    }

    async fn r#while(&self, r#async: String) -> String {
        format!("while:{}", r#async)
    }

    async fn r#async(&self, r#await: String) -> String {
        format!("async:{}", r#await)
    }

    async fn r#await(&self, r#dyn: String) -> String {
        format!("await:{}", r#dyn)
    }

    async fn r#dyn(&self, r#abstract: String) -> String {
        format!("dyn:{}", r#abstract)
    }

    async fn r#abstract(&self, r#become: String) -> String {
        format!("abstract:{}", r#become)
    }

    async fn r#become(&self, r#box: String) -> String {
        format!("become:{}", r#box)
    }

    async fn r#box(&self, r#do: String) -> String {
        format!("box:{}", r#do)
    }

    async fn r#do(&self, r#final: String) -> String {
        format!("do:{}", r#final)
    }

    async fn r#final(&self, r#macro: String) -> String {
        format!("final:{}", r#macro)
    }

    async fn r#macro(&self, r#override: String) -> String {
        format!("macro:{}", r#override)
    }

    async fn r#override(&self, r#priv: String) -> String {
        format!("override:{}", r#priv)
    }

    async fn r#priv(&self, r#typeof: String) -> String {
        format!("priv:{}", r#typeof)
    }

    async fn r#typeof(&self, r#unsized: String) -> String {
        format!("typeof:{}", r#unsized)
    }

    async fn r#unsized(&self, r#virtual: String) -> String {
        format!("unsized:{}", r#virtual)
    }

    async fn r#virtual(&self, r#yield: String) -> String {
        format!("virtual:{}", r#yield)
    }

    async fn r#yield(&self, r#try: String) -> String {
        format!("yield:{}", r#try)
    }

    async fn r#try(&self, r#gen: String) -> String {
        format!("try:{}", r#gen)
    }

    async fn r#gen(&self, arguments: String) -> String {
        format!("gen:{}", arguments)
    }

    async fn arguments(&self, case: String) -> String {
        format!("arguments:{}", case)
    }

    async fn case(&self, catch: String) -> String {
        format!("case:{}", catch)
    }

    async fn catch(&self, class: String) -> String {
        format!("catch:{}", class)
    }

    async fn class(&self, debugger: String) -> String {
        format!("class:{}", debugger)
    }

    async fn debugger(&self, default: String) -> String {
        format!("debugger:{}", default)
    }

    async fn default(&self, delete: String) -> String {
        format!("default:{}", delete)
    }

    async fn delete(&self, eval: String) -> String {
        format!("delete:{}", eval)
    }

    async fn eval(&self, export: String) -> String {
        format!("eval:{}", export)
    }

    async fn export(&self, extends: String) -> String {
        format!("export:{}", extends)
    }

    async fn extends(&self, finally: String) -> String {
        format!("extends:{}", finally)
    }

    async fn finally(&self, function: String) -> String {
        format!("finally:{}", function)
    }

    async fn function(&self, implements: String) -> String {
        format!("function:{}", implements)
    }

    async fn implements(&self, import: String) -> String {
        format!("implements:{}", import)
    }

    async fn import(&self, instanceof: String) -> String {
        format!("import:{}", instanceof)
    }

    async fn instanceof(&self, interface: String) -> String {
        format!("instanceof:{}", interface)
    }

    async fn interface(&self, new: String) -> String {
        format!("interface:{}", new)
    }

    async fn new(&self, null: String) -> String {
        format!("new:{}", null)
    }

    async fn null(&self, package: String) -> String {
        format!("null:{}", package)
    }

    async fn package(&self, private: String) -> String {
        format!("package:{}", private)
    }

    async fn private(&self, protected: String) -> String {
        format!("private:{}", protected)
    }

    async fn protected(&self, public: String) -> String {
        format!("protected:{}", public)
    }

    async fn public(&self, switch: String) -> String {
        format!("public:{}", switch)
    }

    async fn switch(&self, this: String) -> String {
        format!("switch:{}", this)
    }

    async fn this(&self, throw: String) -> String {
        format!("this:{}", throw)
    }

    async fn throw(&self, var: String) -> String {
        format!("throw:{}", var)
    }

    async fn var(&self, void: String) -> String {
        format!("var:{}", void)
    }

    async fn void(&self, with: String) -> String {
        format!("void:{}", with)
    }

    async fn with(&self, constructor: String) -> String {
        format!("with:{}", constructor)
    }

    async fn constructor(&self, any: String) -> String {
        format!("constructor:{}", any)
    }

    async fn any(&self, boolean: String) -> String {
        format!("any:{}", boolean)
    }

    async fn boolean(&self, never: String) -> String {
        format!("boolean:{}", never)
    }

    async fn never(&self, number: String) -> String {
        format!("never:{}", number)
    }

    async fn number(&self, object: String) -> String {
        format!("number:{}", object)
    }

    async fn object(&self, string: String) -> String {
        format!("object:{}", string)
    }

    async fn string(&self, symbol: String) -> String {
        format!("string:{}", symbol)
    }

    async fn symbol(&self, undefined: String) -> String {
        format!("symbol:{}", undefined)
    }

    async fn undefined(&self, unknown: String) -> String {
        format!("undefined:{}", unknown)
    }

    async fn unknown(&self, declare: String) -> String {
        format!("unknown:{}", declare)
    }

    async fn declare(&self, namespace: String) -> String {
        format!("declare:{}", namespace)
    }

    async fn namespace(&self, module: String) -> String {
        format!("namespace:{}", module)
    }

    async fn module(&self, readonly: String) -> String {
        format!("module:{}", readonly)
    }

    async fn readonly(&self, keyof: String) -> String {
        format!("readonly:{}", keyof)
    }

    async fn keyof(&self, infer: String) -> String {
        format!("keyof:{}", infer)
    }

    async fn infer(&self, is: String) -> String {
        format!("infer:{}", is)
    }

    async fn is(&self, asserts: String) -> String {
        format!("is:{}", asserts)
    }

    async fn asserts(&self, satisfies: String) -> String {
        format!("asserts:{}", satisfies)
    }

    async fn satisfies(&self, get: String) -> String {
        format!("satisfies:{}", get)
    }

    async fn get(&self, set: String) -> String {
        format!("get:{}", set)
    }

    async fn set(&self, of: String) -> String {
        format!("set:{}", of)
    }

    async fn of(&self, from: String) -> String {
        format!("of:{}", from)
    }

    async fn from(&self, require: String) -> String {
        format!("from:{}", require)
    }

    async fn require(&self, global: String) -> String {
        format!("require:{}", global)
    }

    async fn global(&self, base: String) -> String {
        format!("global:{}", base)
    }

    async fn base(&self, bool: String) -> String {
        format!("base:{}", bool)
    }

    async fn bool(&self, byte: String) -> String {
        format!("bool:{}", byte)
    }

    async fn byte(&self, char: String) -> String {
        format!("byte:{}", char)
    }

    async fn char(&self, checked: String) -> String {
        format!("char:{}", checked)
    }

    async fn checked(&self, decimal: String) -> String {
        format!("checked:{}", decimal)
    }

    async fn decimal(&self, delegate: String) -> String {
        format!("decimal:{}", delegate)
    }

    async fn delegate(&self, double: String) -> String {
        format!("delegate:{}", double)
    }

    async fn double(&self, event: String) -> String {
        format!("double:{}", event)
    }

    async fn event(&self, explicit: String) -> String {
        format!("event:{}", explicit)
    }

    async fn explicit(&self, fixed: String) -> String {
        format!("explicit:{}", fixed)
    }

    async fn fixed(&self, float: String) -> String {
        format!("fixed:{}", float)
    }

    async fn float(&self, foreach: String) -> String {
        format!("float:{}", foreach)
    }

    async fn foreach(&self, goto: String) -> String {
        format!("foreach:{}", goto)
    }

    async fn goto(&self, implicit: String) -> String {
        format!("goto:{}", implicit)
    }

    async fn implicit(&self, int: String) -> String {
        format!("implicit:{}", int)
    }

    async fn int(&self, internal: String) -> String {
        format!("int:{}", internal)
    }

    async fn internal(&self, lock: String) -> String {
        format!("internal:{}", lock)
    }

    async fn lock(&self, long: String) -> String {
        format!("lock:{}", long)
    }

    async fn long(&self, operator: String) -> String {
        format!("long:{}", operator)
    }

    async fn operator(&self, out: String) -> String {
        format!("operator:{}", out)
    }

    async fn out(&self, params: String) -> String {
        format!("out:{}", params)
    }

    async fn params(&self, sbyte: String) -> String {
        format!("params:{}", sbyte)
    }

    async fn sbyte(&self, sealed: String) -> String {
        format!("sbyte:{}", sealed)
    }

    async fn sealed(&self, short: String) -> String {
        format!("sealed:{}", short)
    }

    async fn short(&self, sizeof: String) -> String {
        format!("short:{}", sizeof)
    }

    async fn sizeof(&self, stackalloc: String) -> String {
        format!("sizeof:{}", stackalloc)
    }

    async fn stackalloc(&self, uint: String) -> String {
        format!("stackalloc:{}", uint)
    }

    async fn uint(&self, ulong: String) -> String {
        format!("uint:{}", ulong)
    }

    async fn ulong(&self, unchecked: String) -> String {
        format!("ulong:{}", unchecked)
    }

    async fn unchecked(&self, ushort: String) -> String {
        format!("unchecked:{}", ushort)
    }

    async fn ushort(&self, using: String) -> String {
        format!("ushort:{}", using)
    }

    async fn using(&self, volatile: String) -> String {
        format!("using:{}", volatile)
    }

    async fn volatile(&self, record: String) -> String {
        format!("volatile:{}", record)
    }

    async fn record(&self, required: String) -> String {
        format!("record:{}", required)
    }

    async fn required(&self, dynamic: String) -> String {
        format!("required:{}", dynamic)
    }

    async fn dynamic(&self, file: String) -> String {
        format!("dynamic:{}", file)
    }

    async fn file(&self, scoped: String) -> String {
        format!("file:{}", scoped)
    }

    async fn scoped(&self, nint: String) -> String {
        format!("scoped:{}", nint)
    }

    async fn nint(&self, nuint: String) -> String {
        format!("nint:{}", nuint)
    }

    async fn nuint(&self, value: String) -> String {
        format!("nuint:{}", value)
    }

    async fn value(&self, partial: String) -> String {
        format!("value:{}", partial)
    }

    async fn partial(&self, when: String) -> String {
        format!("partial:{}", when)
    }

    async fn when(&self, init: String) -> String {
        format!("when:{}", init)
    }

    async fn init(&self, args: String) -> String {
        format!("init:{}", args)
    }

    async fn args(&self, connection: String) -> String {
        format!("args:{}", connection)
    }

    async fn connection(&self, send: String) -> String {
        format!("connection:{}", send)
    }

    async fn send(&self, hub: String) -> String {
        format!("send:{}", hub)
    }

    async fn hub(&self, target: String) -> String {
        format!("hub:{}", target)
    }

    async fn target(&self, from_target: String) -> String {
        format!("target:{}", from_target)
    }

    async fn from_target(&self, contract: String) -> String {
        format!("from_target:{}", contract)
    }

    async fn contract(&self, implementation: String) -> String {
        format!("contract:{}", implementation)
    }

    async fn implementation(&self, receiver: String) -> String {
        format!("implementation:{}", receiver)
    }

    async fn receiver(&self, handlers: String) -> String {
        format!("receiver:{}", handlers)
    }

    async fn handlers(&self, cancellations: String) -> String {
        format!("handlers:{}", cancellations)
    }

    async fn cancellations(&self, signal: String) -> String {
        format!("cancellations:{}", signal)
    }

    async fn signal(&self, abort_signal: String) -> String {
        format!("signal:{}", abort_signal)
    }

    async fn abort_signal(&self, upload: String) -> String {
        format!("abort_signal:{}", upload)
    }

    async fn upload(&self, hub_stream: String) -> String {
        format!("upload:{}", hub_stream)
    }

    async fn hub_stream(&self, abortable: String) -> String {
        format!("hub_stream:{}", abortable)
    }

    async fn abortable(&self, registration: String) -> String {
        format!("abortable:{}", registration)
    }

    async fn registration(&self, cancellation_token: String) -> String {
        format!("registration:{}", cancellation_token)
    }

    async fn cancellation_token(&self, json_value: String) -> String {
        format!("cancellation_token:{}", json_value)
    }

    async fn json_value(&self, declared_json: String) -> String {
        format!("json_value:{}", declared_json)
    }

    async fn declared_json(&self, __call: String) -> String {
        format!("declared_json:{}", __call)
    }

    async fn __call(&self, __imp: String) -> String {
        format!("__call:{}", __imp)
    }

    async fn __imp(&self, __w: String) -> String {
        format!("__imp:{}", __w)
    }

    async fn __w(&self, __p: String) -> String {
        format!("__w:{}", __p)
    }

    async fn __p(&self, __a: String) -> String {
        format!("__p:{}", __a)
    }

    async fn __a(&self, __u: String) -> String {
        format!("__a:{}", __u)
    }

    async fn __u(&self, __v: String) -> String {
        format!("__u:{}", __v)
    }

    async fn __v(&self, __e: String) -> String {
        format!("__v:{}", __e)
    }

    async fn __e(&self, __items: String) -> String {
        format!("__e:{}", __items)
    }

    async fn __items(&self, __marker: String) -> String {
        format!("__items:{}", __marker)
    }

    async fn __marker(&self, __marker0: String) -> String {
        format!("__marker:{}", __marker0)
    }

    async fn __marker0(&self, __watch: String) -> String {
        format!("__marker0:{}", __watch)
    }

    async fn __watch(&self, __tokens: String) -> String {
        format!("__watch:{}", __tokens)
    }

    async fn __tokens(&self, __subscriptions: String) -> String {
        format!("__tokens:{}", __subscriptions)
    }

    async fn __subscriptions(&self, __protocol: String) -> String {
        format!("__subscriptions:{}", __protocol)
    }

    async fn __protocol(&self, start: String) -> String {
        format!("__protocol:{}", start)
    }

    async fn start(&self, stop: String) -> String {
        format!("start:{}", stop)
    }

    async fn stop(&self, stream: String) -> String {
        format!("stop:{}", stream)
    }

    async fn stream(&self, invoke: String) -> String {
        format!("stream:{}", invoke)
    }

    async fn invoke(&self, on: String) -> String {
        format!("invoke:{}", on)
    }

    async fn on(&self, off: String) -> String {
        format!("on:{}", off)
    }

    async fn off(&self, onclose: String) -> String {
        format!("off:{}", onclose)
    }

    async fn onclose(&self, onreconnecting: String) -> String {
        format!("onclose:{}", onreconnecting)
    }

    async fn onreconnecting(&self, onreconnected: String) -> String {
        format!("onreconnecting:{}", onreconnected)
    }

    async fn onreconnected(&self, state: String) -> String {
        format!("onreconnected:{}", state)
    }

    async fn state(&self, connection_id: String) -> String {
        format!("state:{}", connection_id)
    }

    async fn connection_id(&self, base_url: String) -> String {
        format!("connection_id:{}", base_url)
    }

    async fn base_url(&self, server_timeout_in_milliseconds: String) -> String {
        format!("base_url:{}", server_timeout_in_milliseconds)
    }

    async fn server_timeout_in_milliseconds(&self, keep_alive_interval_in_milliseconds: String) -> String {
        format!("server_timeout_in_milliseconds:{}", keep_alive_interval_in_milliseconds)
    }

    async fn keep_alive_interval_in_milliseconds(&self, stateful_reconnect_buffer_size: String) -> String {
        format!("keep_alive_interval_in_milliseconds:{}", stateful_reconnect_buffer_size)
    }

    async fn stateful_reconnect_buffer_size(&self, on_raw: String) -> String {
        format!("stateful_reconnect_buffer_size:{}", on_raw)
    }

    async fn on_raw(&self, send_core: String) -> String {
        format!("on_raw:{}", send_core)
    }

    async fn send_core(&self, invoke_core: String) -> String {
        format!("send_core:{}", invoke_core)
    }

    async fn invoke_core(&self, stream_async_core: String) -> String {
        format!("invoke_core:{}", stream_async_core)
    }

    async fn stream_async_core(&self, stream_as_channel_core: String) -> String {
        format!("stream_async_core:{}", stream_as_channel_core)
    }

    async fn stream_as_channel_core(&self, dispose: String) -> String {
        format!("stream_as_channel_core:{}", dispose)
    }

    async fn dispose(&self, closed: String) -> String {
        format!("dispose:{}", closed)
    }

    async fn closed(&self, reconnecting: String) -> String {
        format!("closed:{}", reconnecting)
    }

    async fn reconnecting(&self, reconnected: String) -> String {
        format!("reconnecting:{}", reconnected)
    }

    async fn reconnected(&self, r#as: String) -> String {
        format!("reconnected:{}", r#as)
    }

    async fn notify(&self, connection: String, send: Record, everything: Everything) {
        let _ = (connection, send, everything);
    }

    async fn total(&self, mut upload: signalr::UploadStream<i32>, hub_stream: i32, signal: signalr::CancellationToken) -> i32 {
        let mut total = hub_stream;
        while let Some(Ok(n)) = futures_util::StreamExt::next(&mut upload).await {
            if signal.is_cancelled() {
                break;
            }
            total += n;
        }
        total
    }

    fn ticks(&self, abortable: u32, r#type: Mode, cancellation_token: signalr::CancellationToken) -> signalr::HubStream<Task> {
        let _ = (r#type, cancellation_token);
        signalr::hub_stream(futures_util::stream::iter((0..abortable).map(|id| Task { id })))
    }

    async fn call_back(&self, caller: signalr::Caller) -> Result<String, signalr::HubError> {
        // The client contract has a method named `new`: the proxy is built through `HubProxy`.
        let client = <HostileClientProxy<_> as signalr::HubProxy>::from_target(caller.clients.caller());
        client.new("receiver".into(), "handlers".into())?;
        let joined = client.connection("cancellations".into(), "args".into()).await?;
        let record = Record {
            r#type: "t".into(),
            class: 1,
            default: true,
            to_string: "s".into(),
            equals: 2,
            record: "r".into(),
            get_hash_code: 3,
        };
        let registered = client.register(record, signalr::CancellationToken::new()).await?;
        let mode = client.r#type(Mode::Record, "tokens".into()).await?;
        Ok(format!("{joined} {registered} {mode:?}"))
    }
}

/// The client's implementation.
#[derive(Debug, Clone, Default)]
pub struct HostileReceiver {
    /// What `new` received.
    pub news: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl HostileClient for HostileReceiver {
    async fn new(&self, receiver: String, handlers: String) {
        if let Ok(mut news) = self.news.lock() {
            news.push(format!("{receiver} {handlers}"));
        }
    }

    async fn connection(&self, cancellations: String, args: String) -> String {
        format!("{cancellations}+{args}")
    }

    async fn register(&self, registration: Record, cancel: signalr::CancellationToken) -> bool {
        registration.default && !cancel.is_cancelled()
    }

    async fn r#type(&self, r#match: Mode, __tokens: String) -> Mode {
        let _ = __tokens;
        r#match
    }
}
