//! `#[hub_contract]` end to end over real sockets: every method shape, both directions,
//! both protocols, and the macro and the contract model agreeing on the contract.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use signalr::client::{HubConnectionBuilder, Protocol};
use signalr::server::{HubServer, RouterExt};
use signalr::{Caller, CancellationToken, HubError, HubStream, UploadStream};

include!("../contracts/shapes.rs");

#[derive(Default)]
struct ShapesImpl {
    cancelled: Arc<Mutex<Vec<bool>>>,
}

impl Shapes for ShapesImpl {
    async fn hello(&self) {}

    async fn echo(&self, text: String) -> String {
        text
    }

    async fn divide(&self, a: i32, b: i32) -> Result<i32, HubError> {
        a.checked_div(b)
            .ok_or_else(|| HubError::new("division by zero"))
    }

    fn count(&self, n: i32, delay_ms: u64) -> HubStream<i32> {
        signalr::hub_stream(futures_util::stream::iter(0..n).then(move |i| async move {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            i
        }))
    }

    async fn sum(&self, mut numbers: UploadStream<i32>) -> i32 {
        let mut total = 0;
        while let Some(Ok(n)) = numbers.next().await {
            total += n;
        }
        total
    }

    async fn dot(&self, mut xs: UploadStream<i32>, scale: i32, mut ys: UploadStream<i32>) -> i32 {
        let mut total = 0;
        while let (Some(Ok(x)), Some(Ok(y))) = (xs.next().await, ys.next().await) {
            total += x * y;
        }
        total * scale
    }

    async fn wait(&self, ms: u64, cancel: CancellationToken) -> bool {
        let cancelled = tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => false,
            () = cancel.cancelled() => true,
        };
        self.cancelled.lock().unwrap().push(cancelled);
        cancelled
    }

    async fn ask(&self, question: String, caller: Caller) -> Result<String, HubError> {
        let proxy = ShapesClientProxy::new(caller.clients.caller());
        proxy.notify(format!("asking {question}"))?;
        proxy.answer(question).await
    }

    async fn other(&self) -> u8 {
        7
    }

    async fn interrupt(&self, caller: Caller) -> Result<String, HubError> {
        let token = CancellationToken::new();
        let later = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            later.cancel();
        });
        match ShapesClientProxy::new(caller.clients.caller())
            .work(10_000, token)
            .await
        {
            Ok(done) => Ok(format!("finished: {done}")),
            Err(e) => Ok(e.to_string()),
        }
    }
}

#[derive(Clone, Default)]
struct Receiver {
    notes: Arc<Mutex<Vec<String>>>,
}

impl ShapesClient for Receiver {
    async fn notify(&self, text: String) {
        self.notes.lock().unwrap().push(text);
    }

    async fn answer(&self, question: String) -> String {
        format!("{question}? 42")
    }

    async fn work(&self, ms: u64, cancel: CancellationToken) -> bool {
        let cancelled = tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => false,
            () = cancel.cancelled() => true,
        };
        self.notes
            .lock()
            .unwrap()
            .push(format!("work cancelled: {cancelled}"));
        cancelled
    }
}

async fn serve(cancelled: Arc<Mutex<Vec<bool>>>) -> String {
    let server = HubServer::new(ShapesDispatch::hub(ShapesImpl { cancelled }));
    let app = axum::Router::new().hub("/shapes", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/shapes")
}

#[tokio::test]
async fn every_method_shape_round_trips_in_both_protocols() {
    let cancelled = Arc::new(Mutex::new(Vec::new()));
    let url = serve(cancelled.clone()).await;
    for protocol in Protocol::ALL {
        let connection = HubConnectionBuilder::new(&url).protocol(protocol).build();
        let receiver = Receiver::default();
        let subscriptions = ShapesClientReceiver::register(&connection, receiver.clone());
        connection.start().await.unwrap();
        let hub = ShapesProxy::new(connection.clone());

        hub.hello().await.unwrap();
        assert_eq!(hub.echo("héllo 😀".into()).await.unwrap(), "héllo 😀");
        assert_eq!(hub.divide(7, 2).await.unwrap(), 3);
        let err = hub.divide(1, 0).await.unwrap_err().to_string();
        assert_eq!(
            err,
            "An unexpected error occurred invoking 'Shapes|Divide' on the server. HubException: division by zero"
        );
        let items: Vec<i32> = hub.count(4, 1).map(Result::unwrap).collect().await;
        assert_eq!(items, [0, 1, 2, 3]);
        assert_eq!(
            hub.sum(futures_util::stream::iter([1, 2, 3, 36]))
                .await
                .unwrap(),
            42
        );
        assert_eq!(hub.other().await.unwrap(), 7);
        let xs = futures_util::stream::iter([1, 2, 3]);
        let ys = futures_util::stream::iter([4, 5, 6]);
        assert_eq!(hub.dot(xs, 2, ys).await.unwrap(), 64);

        // Cancelling the caller's token sends CancelInvocation; the server's token fires.
        let token = CancellationToken::new();
        let call = tokio::spawn(hub.wait(10_000, token.clone()));
        tokio::time::sleep(Duration::from_millis(100)).await;
        token.cancel();
        assert!(matches!(
            call.await.unwrap(),
            Err(signalr::client::ClientError::Canceled)
        ));
        for _ in 0..100 {
            if cancelled.lock().unwrap().last() == Some(&true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(cancelled.lock().unwrap().last(), Some(&true));
        assert!(!hub.wait(1, CancellationToken::new()).await.unwrap());

        // A client result, through the client contract's server-side proxy and receiver.
        assert_eq!(hub.ask("life".into()).await.unwrap(), "life? 42");
        assert_eq!(receiver.notes.lock().unwrap().as_slice(), ["asking life"]);

        // Server to client: the token travels as a marker; cancelling it on the server
        // cancels the client's token through CancelTokenFromServer.
        assert_eq!(
            hub.interrupt().await.unwrap(),
            "Invocation canceled by the server."
        );
        for _ in 0..100 {
            if receiver.notes.lock().unwrap().len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let notes = receiver.notes.lock().unwrap().clone();
        assert_eq!(
            notes.get(1).map(String::as_str),
            Some("work cancelled: true"),
            "{notes:?}"
        );

        for s in subscriptions {
            s.off();
        }
        connection.stop().await;
    }
}

#[tokio::test]
async fn stock_clients_can_call_plain_names_and_interface_names() {
    let url = serve(Arc::default()).await;
    let connection = HubConnectionBuilder::new(&url).build();
    connection.start().await.unwrap();
    assert_eq!(
        connection
            .invoke::<String>("echo", ("plain",))
            .await
            .unwrap(),
        "plain"
    );
    assert_eq!(
        connection
            .invoke::<String>("shapes|ECHO", ("iface",))
            .await
            .unwrap(),
        "iface"
    );
    assert_eq!(connection.invoke::<u8>("Renamed", ()).await.unwrap(), 7);
    connection.stop().await;
}

#[test]
fn the_macro_and_the_contract_model_see_the_same_contract() {
    let source = include_str!("../contracts/shapes.rs");
    let file = syn::parse_file(source).unwrap();
    let parsed: Vec<_> = signalr_contract::contracts_in_file(&file)
        .into_iter()
        .map(|c| c.unwrap_or_else(|e| panic!("{:?}", e.into_vec())))
        .collect();
    let from_macro: Vec<signalr_contract::HubContract> =
        [ShapesProxy::CONTRACT, ShapesClientProxy::<()>::CONTRACT]
            .iter()
            .map(|json| serde_json::from_str(json).unwrap())
            .collect();
    assert_eq!(parsed, from_macro);
    assert_eq!(from_macro[0].methods[1].wire_name, "Shapes|Echo");
    assert_eq!(from_macro[0].methods[8].wire_name, "Shapes|Renamed");
}

/// Cancelling a stream proxy's token reaches the server at once: its token fires while the
/// caller still holds the stream, without polling it, and the stream then ends.
#[tokio::test]
async fn a_stream_call_ends_when_its_token_is_cancelled_and_the_server_sees_it() {
    use signalr_examples::conformance::ConformanceProxy;
    let server = HubServer::new(signalr_examples::conformance::hub());
    let app = axum::Router::new().hub("/c", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/c", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let connection = HubConnectionBuilder::new(&url).build();
    connection.start().await.unwrap();
    let hub = ConformanceProxy::new(connection.clone());
    let token = CancellationToken::new();
    // 1000 items 20 ms apart: the stream runs for 20 s unless it is cancelled.
    let mut items = hub.counter(1000, 20, token.clone());
    assert_eq!(items.next().await.unwrap().unwrap(), 0);
    token.cancel();
    // The stream is held, neither polled nor dropped: the server's token must fire anyway.
    let mut seen = false;
    for _ in 0..20 {
        if hub.counter_cancelled().await.unwrap() {
            seen = true;
            break;
        }
    }
    assert!(
        seen,
        "the server's token did not fire while the caller held the cancelled stream"
    );
    assert!(
        items.next().await.is_none(),
        "the stream ends when its token fires"
    );
    drop(items);
    connection.stop().await;
}

/// Every wire name the generated TypeScript sends or listens to, in order of appearance.
fn typescript_wire_names(ts: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in ts.lines() {
        let line = line.trim();
        let start = ["invoke<", "stream<"]
            .iter()
            .find_map(|call| {
                line.find(call)
                    .and_then(|i| line[i..].find("(\"").map(|j| i + j + 1))
            })
            .or_else(|| {
                line.find("connection.send(\"")
                    .map(|i| i + "connection.send(".len())
            })
            .or_else(|| {
                line.find("handlers.on([")
                    .map(|i| i + "handlers.on([".len())
            });
        let Some(start) = start else { continue };
        let rest = &line[start..];
        let end = rest
            .find(']')
            .or_else(|| rest.find(','))
            .or_else(|| rest.find(')'));
        for literal in rest[..end.unwrap_or(rest.len())].split(", ") {
            if let Ok(name) = serde_json::from_str::<String>(literal) {
                names.push(name);
            }
        }
    }
    names
}

#[test]
fn the_macro_and_the_generated_typescript_use_the_same_wire_names() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/shapes.rs");
    let contracts = signalr_codegen::read(&path).unwrap();
    let ts = signalr_codegen::ts::generate(&contracts, &Default::default()).unwrap();
    let names = typescript_wire_names(&ts);
    let server: signalr_contract::HubContract =
        serde_json::from_str(ShapesProxy::CONTRACT).unwrap();
    let client: signalr_contract::HubContract =
        serde_json::from_str(ShapesClientProxy::<()>::CONTRACT).unwrap();
    // Each server method is called by its wire name (unit methods also through `send`).
    for m in &server.methods {
        assert!(
            names.contains(&m.wire_name),
            "{} not in the TypeScript",
            m.wire_name
        );
    }
    // Each client method is listened to by its wire name and its plain name.
    for m in &client.methods {
        assert!(
            names.contains(&m.wire_name),
            "{} not in the TypeScript",
            m.wire_name
        );
        assert!(
            names.contains(&m.plain_name),
            "{} not in the TypeScript",
            m.plain_name
        );
    }
    // And nothing else is sent or listened to, but the cancellation channel.
    let known: Vec<&String> = server
        .methods
        .iter()
        .chain(&client.methods)
        .flat_map(|m| [&m.wire_name, &m.plain_name])
        .collect();
    for n in &names {
        assert!(
            known.contains(&n) || n == "CancelTokenFromServer",
            "the TypeScript uses `{n}`, which the contract does not have"
        );
    }
    assert!(names.contains(&"Shapes|Renamed".to_owned()));
    assert!(!names.iter().any(|n| n == "Shapes|Other" || n == "Other"));
}

/// The hostile-names contract (`tests/contracts/hostile.rs`): it compiles with the macro,
/// and every method answers through the Rust server, called by its wire name and, for the
/// names generated code also uses, through the typed proxy.
// The names are hostile on purpose: the lints about names do not apply.
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    unreachable_pub,
    clippy::all
)]
mod hostile {
    use super::*;

    include!("../contracts/hostile.rs");

    async fn serve() -> String {
        let server = HubServer::new(HostileDispatch::hub(HostileHub));
        let app = axum::Router::new().hub("/hostile", &server);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hostile")
    }

    #[tokio::test]
    async fn every_hostile_name_round_trips_in_both_protocols() {
        use signalr::HubProxy;
        let url = serve().await;
        let contract: signalr_contract::HubContract =
            serde_json::from_str(<HostileProxy as HubProxy>::CONTRACT).unwrap();
        // Raw identifiers lose their `r#`: `r#type` is `Hostile|Type` on the wire.
        let wire: Vec<&str> = contract
            .methods
            .iter()
            .map(|m| m.wire_name.as_str())
            .collect();
        for name in [
            "Hostile|Type",
            "Hostile|Match",
            "Hostile|Fn",
            "Hostile|Await",
        ] {
            assert!(wire.contains(&name), "{name}");
        }
        for name in [
            "Hostile|RType",
            "Hostile|RMatch",
            "Hostile|RFn",
            "Hostile|RAwait",
        ] {
            assert!(!wire.contains(&name), "{name}");
        }
        // The contract model reads the file as the macro did.
        let file = syn::parse_file(include_str!("../contracts/hostile.rs")).unwrap();
        let parsed: Vec<signalr_contract::HubContract> = signalr_contract::contracts_in_file(&file)
            .into_iter()
            .map(|c| c.unwrap_or_else(|e| panic!("{:?}", e.into_vec())))
            .collect();
        let client: signalr_contract::HubContract =
            serde_json::from_str(<HostileClientProxy<()> as HubProxy>::CONTRACT).unwrap();
        assert_eq!(parsed, [contract.clone(), client]);
        for protocol in Protocol::ALL {
            let connection = HubConnectionBuilder::new(&url).protocol(protocol).build();
            let receiver = HostileReceiver::default();
            let subscriptions = HostileClientReceiver::register(&connection, receiver.clone());
            connection.start().await.unwrap();
            let mut keyword_methods = 0;
            for m in &contract.methods {
                let Some(param) = m.params.first().filter(|p| {
                    m.params.len() == 1 && p.ty.as_ref().is_some_and(|t| t.rust == "String")
                }) else {
                    continue;
                };
                let answer: String = connection
                    .invoke(&m.wire_name, (param.name.clone(),))
                    .await
                    .unwrap_or_else(|e| panic!("{}: {e}", m.wire_name));
                assert_eq!(
                    answer,
                    format!("{}:{}", m.name, param.name),
                    "{}",
                    m.wire_name
                );
                keyword_methods += 1;
            }
            assert!(keyword_methods > 200, "{keyword_methods}");

            // The typed proxy: methods named like its own helpers and like keywords.
            // `from_target` is a hub method too: the trait is named to reach its own.
            let hub = <HostileProxy as HubProxy>::from_target(connection.clone());
            assert_eq!(hub.new("x".into()).await.unwrap(), "new:x");
            assert_eq!(hub.connection("x".into()).await.unwrap(), "connection:x");
            assert_eq!(hub.r#type("x".into()).await.unwrap(), "type:x");
            assert_eq!(hub.__call("x".into()).await.unwrap(), "__call:x");
            assert_eq!(hub.invoke("x".into()).await.unwrap(), "invoke:x");
            let total = hub
                .total(
                    futures_util::stream::iter([1, 2, 3]),
                    10,
                    CancellationToken::new(),
                )
                .await
                .unwrap();
            assert_eq!(total, 16);
            let ticks: Vec<u32> = hub
                .ticks(3, Mode::Class, CancellationToken::new())
                .map(|t| t.unwrap().id)
                .collect()
                .await;
            assert_eq!(ticks, [0, 1, 2]);
            assert_eq!(
                hub.call_back().await.unwrap(),
                "cancellations+args true Record"
            );
            assert_eq!(
                receiver.news.lock().unwrap().as_slice(),
                ["receiver handlers"]
            );
            for s in subscriptions {
                s.off();
            }
            connection.stop().await;
        }
    }
}

/// `#[hub(authorize ...)]` over real sockets: the generated hub requires what the contract
/// says, and the server (its own checks, with a JWT authenticator) refuses the rest.
mod authorization {
    use super::*;
    use signalr_examples::jwt::{Claims, JwtAuthenticator};

    const SECRET: &[u8] = b"the secret the vault's test tokens are signed with";

    /// Every connection must be authenticated; some methods need more.
    #[signalr::hub_contract]
    #[hub(authorize)]
    pub(crate) trait Vault {
        /// Any authenticated user.
        async fn open(&self) -> String;
        /// Admins and operators.
        #[hub(authorize(roles = "admin, ops"))]
        async fn purge(&self) -> String;
        /// Users the `adults` policy accepts.
        #[hub(authorize(policy = "adults"))]
        async fn drink(&self) -> String;
        /// Admins the `adults` policy accepts.
        #[hub(authorize(roles = ["admin"], policy = "adults"))]
        async fn both(&self) -> String;
    }

    struct VaultImpl;

    impl Vault for VaultImpl {
        async fn open(&self) -> String {
            "open".into()
        }
        async fn purge(&self) -> String {
            "purged".into()
        }
        async fn drink(&self) -> String {
            "cheers".into()
        }
        async fn both(&self) -> String {
            "both".into()
        }
    }

    async fn serve() -> String {
        let server = HubServer::builder(VaultDispatch::hub(VaultImpl))
            .authenticate(JwtAuthenticator::hs256(SECRET).unwrap())
            .policy(
                "adults",
                signalr::server::policy_fn(|i| {
                    i.claim("age")
                        .and_then(|a| a.parse::<u32>().ok())
                        .is_some_and(|a| a >= 18)
                }),
            )
            .build()
            .unwrap();
        let app = axum::Router::new().hub("/vault", &server);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/vault")
    }

    async fn connect(url: &str, claims: Option<Claims>) -> Result<VaultProxy, String> {
        let mut builder = HubConnectionBuilder::new(url);
        if let Some(claims) = claims {
            let token = JwtAuthenticator::hs256(SECRET).unwrap().issue(&claims);
            builder = builder.access_token_factory(move || {
                let token = token.clone();
                async move { token }
            });
        }
        let connection = builder.build();
        connection.start().await.map_err(|e| e.to_string())?;
        Ok(VaultProxy::new(connection))
    }

    /// The method's answer, or whether the server refused the caller.
    async fn answer(
        call: impl std::future::Future<Output = Result<String, signalr::client::ClientError>>,
    ) -> String {
        match call.await {
            Ok(text) => text,
            Err(e) if e.to_string().contains("because user is unauthorized") => "refused".into(),
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn the_contract_s_requirements_are_enforced() {
        let url = serve().await;
        assert!(
            connect(&url, None).await.is_err(),
            "anonymous connections are refused"
        );

        let alice = connect(
            &url,
            Some(Claims::new("alice", 3600).with_claim("age", "30")),
        )
        .await
        .unwrap();
        assert_eq!(answer(alice.open()).await, "open");
        assert_eq!(answer(alice.purge()).await, "refused");
        assert_eq!(answer(alice.drink()).await, "cheers");
        assert_eq!(answer(alice.both()).await, "refused");

        let bob = connect(
            &url,
            Some(
                Claims::new("bob", 3600)
                    .with_claim("age", "12")
                    .with_role("ops"),
            ),
        )
        .await
        .unwrap();
        assert_eq!(answer(bob.purge()).await, "purged");
        assert_eq!(answer(bob.drink()).await, "refused");
        assert_eq!(answer(bob.both()).await, "refused");

        let root = connect(
            &url,
            Some(
                Claims::new("root", 3600)
                    .with_claim("age", "40")
                    .with_role("admin"),
            ),
        )
        .await
        .unwrap();
        assert_eq!(answer(root.both()).await, "both");

        // The contract carries the requirements as data too.
        let contract: signalr_contract::HubContract =
            serde_json::from_str(VaultProxy::CONTRACT).unwrap();
        assert_eq!(
            contract.authorize,
            [signalr_contract::Requirement::Authenticated]
        );
        assert_eq!(
            contract.methods[3].authorize,
            [
                signalr_contract::Requirement::AnyRole {
                    roles: vec!["admin".into()]
                },
                signalr_contract::Requirement::Policy {
                    name: "adults".into()
                }
            ]
        );
        for proxy in [alice, bob, root] {
            proxy.connection().stop().await;
        }
    }
}

/// `#[hub_contract(crate = "...")]`: generated code names the facade by the given path (a
/// re-export here), as serde's and jsonrpsee's `crate` attributes do.
mod renamed_facade {
    use super::*;

    /// The facade under another name.
    pub(crate) mod reexports {
        pub(crate) use ::signalr as sr;
    }

    #[signalr::hub_contract(crate = "crate::renamed_facade::reexports::sr")]
    pub(crate) trait Echo {
        async fn echo(&self, text: String) -> Result<String, reexports::sr::HubError>;
        fn letters(
            &self,
            text: String,
            cancel: reexports::sr::CancellationToken,
        ) -> reexports::sr::HubStream<char>;
    }

    struct EchoImpl;

    impl Echo for EchoImpl {
        async fn echo(&self, text: String) -> Result<String, reexports::sr::HubError> {
            Ok(text)
        }

        fn letters(
            &self,
            text: String,
            _cancel: reexports::sr::CancellationToken,
        ) -> reexports::sr::HubStream<char> {
            let letters: Vec<char> = text.chars().collect();
            reexports::sr::hub_stream(futures_util::stream::iter(letters))
        }
    }

    #[tokio::test]
    async fn a_contract_names_the_facade_through_a_re_export() {
        let server = HubServer::new(EchoDispatch::hub(EchoImpl));
        let app = axum::Router::new().hub("/echo", &server);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/echo", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let connection = HubConnectionBuilder::new(&url).build();
        connection.start().await.unwrap();
        let hub = EchoProxy::new(connection.clone());
        assert_eq!(hub.echo("hé".into()).await.unwrap(), "hé");
        let letters: Vec<char> = hub
            .letters("abc".into(), CancellationToken::new())
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(letters, ['a', 'b', 'c']);
        connection.stop().await;
    }
}
