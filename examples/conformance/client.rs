//! Runs every case of the conformance contract (`CONTRACT.md`) against a server, through the
//! typed `ConformanceProxy` and `ConformanceClientReceiver` that `#[hub_contract]` generates
//! from `signalr_examples::conformance`.
//!
//! ```text
//! cargo run --release --example conformance-client -- --url http://127.0.0.1:5000/hubs/conformance \
//!     [--protocol json|messagepack] [--transport websockets|sse|longpolling] [--skip CASE]...
//! ```
//!
//! Prints `ok   NAME` or `FAIL NAME: REASON` per case and `N passed, M failed` last; exits 0
//! only when nothing failed. Every case runs on connections of its own, within a time limit,
//! over the one transport asked for (all three, with fallback, when none is). `--skip CASE`
//! leaves out a case a server cannot express (printed as `skip NAME`, counted in neither).
//! Only the cases about wire-level names and arguments, which a typed proxy cannot get wrong,
//! call methods by their string names.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use signalr::client::{ClientError, HubConnection, HubConnectionBuilder, Protocol, Transports};
use signalr::{Binary, CancellationToken};
use signalr_examples::conformance::{
    ConformanceClient, ConformanceClientReceiver, ConformanceProxy, Person,
};
use tokio::sync::mpsc;

/// How long one case may take.
const CASE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a callback from the server may take to arrive.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

type Outcome = Result<(), String>;
type Case = Pin<Box<dyn Future<Output = Outcome> + Send>>;

#[derive(Debug, Clone)]
struct Options {
    url: String,
    protocol: Protocol,
    transports: Transports,
    skip: Vec<String>,
}

const USAGE: &str = "usage: conformance-client --url URL [--protocol json|messagepack] \
                     [--transport websockets|sse|longpolling] [--skip CASE]...";

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut protocol = Protocol::Json;
    let mut transports = Transports::ALL;
    let mut skip = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = Some(args.next().ok_or("--url needs a URL")?),
            "--protocol" => {
                let name = args.next().ok_or("--protocol needs json or messagepack")?;
                protocol = Protocol::from_name(&name)
                    .ok_or_else(|| format!("unknown protocol {name}: use json or messagepack"))?;
            }
            "--transport" => {
                let name = args
                    .next()
                    .ok_or("--transport needs websockets, sse or longpolling")?;
                transports = match name.as_str() {
                    "websockets" => Transports::WEB_SOCKETS,
                    "sse" | "serversentevents" => Transports::SERVER_SENT_EVENTS,
                    "longpolling" => Transports::LONG_POLLING,
                    other => {
                        return Err(format!(
                            "unknown transport {other}: use websockets, sse or longpolling"
                        ));
                    }
                };
            }
            "--skip" => skip.push(args.next().ok_or("--skip needs a case name")?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let url = url.ok_or(USAGE)?;
    Ok(Options {
        url,
        protocol,
        transports,
        skip,
    })
}

/// A name no other run is using.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A call the server made on a client.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    Notified(String),
    GroupMessage(String, String),
    Broadcasted(String),
}

type Events = mpsc::UnboundedReceiver<Event>;

/// The client side of the contract: reports every call to its connection's case, and
/// answers `Answer` itself.
#[derive(Debug, Clone)]
struct Recorder {
    events: mpsc::UnboundedSender<Event>,
}

impl ConformanceClient for Recorder {
    async fn notified(&self, text: String) {
        let _ = self.events.send(Event::Notified(text));
    }

    async fn group_message(&self, group: String, text: String) {
        let _ = self.events.send(Event::GroupMessage(group, text));
    }

    async fn broadcasted(&self, text: String) {
        let _ = self.events.send(Event::Broadcasted(text));
    }

    async fn answer(&self, question: String) -> String {
        format!("answer to {question}")
    }
}

fn connection(o: &Options) -> HubConnection {
    HubConnectionBuilder::new(o.url.clone())
        .protocol(o.protocol)
        .transports(o.transports)
        .build()
}

async fn start(c: HubConnection) -> Result<ConformanceProxy, String> {
    c.start()
        .await
        .map_err(|e| format!("start failed: {}", e.report()))?;
    Ok(ConformanceProxy::new(c))
}

/// A started connection whose client methods a [`Recorder`] receives, and what it records.
async fn connect(o: &Options) -> Result<(ConformanceProxy, Events), String> {
    let c = connection(o);
    let (events, rx) = mpsc::unbounded_channel();
    // The registrations live as long as the connection; dropping the handles keeps them.
    let _ = ConformanceClientReceiver::register(&c, Recorder { events });
    Ok((start(c).await?, rx))
}

async fn stop(hub: &ConformanceProxy) {
    hub.connection().stop().await;
}

fn equal<T: PartialEq + Debug>(what: &str, got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn call_err(what: &str) -> impl FnOnce(ClientError) -> String + '_ {
    move |e| format!("{what} failed: {}", e.report())
}

/// Expects an error completion whose text contains `needle` (any error when empty).
fn expect_error<T: Debug>(what: &str, r: Result<T, ClientError>, needle: &str) -> Outcome {
    match r {
        Ok(v) => Err(format!("{what}: expected an error, got {v:?}")),
        Err(ClientError::Hub(text)) if text.contains(needle) => Ok(()),
        Err(e) => Err(format!(
            "{what}: expected an error containing {needle:?}, got {e:?}"
        )),
    }
}

/// Waits for an event matching `want`, skipping others (other clients may broadcast too).
async fn expect_event(what: &str, rx: &mut Events, want: &Event) -> Outcome {
    let deadline = tokio::time::Instant::now() + CALLBACK_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(got)) if &got == want => return Ok(()),
            Ok(Some(_)) => continue,
            Ok(None) => return Err(format!("{what}: receiver gone")),
            Err(_) => return Err(format!("{what}: no {want:?} within {CALLBACK_TIMEOUT:?}")),
        }
    }
}

/// Checks that nothing matching `unwanted` arrives for a while.
async fn expect_no_event(what: &str, rx: &mut Events, unwanted: &Event) -> Outcome {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(got)) if &got == unwanted => return Err(format!("{what}: got {got:?}")),
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return Ok(()),
        }
    }
}

async fn echo(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let long = "x".repeat(20_000);
    for text in [
        "hello",
        "",
        "héllo wörld ✓ 🚀 中文 \"quoted\" \\ \u{1e}",
        long.as_str(),
    ] {
        let got = hub.echo(text.into()).await.map_err(call_err("Echo"))?;
        equal("Echo", got.as_str(), text)?;
    }
    stop(&hub).await;
    Ok(())
}

async fn add(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    for (a, b) in [(2, 3), (-7, 2), (i32::MAX, 0), (i32::MIN, 0)] {
        let got = hub.add(a, b).await.map_err(call_err("Add"))?;
        equal("Add", got, a + b)?;
    }
    stop(&hub).await;
    Ok(())
}

async fn add_overflow(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    expect_error("Add overflow", hub.add(i32::MAX, 1).await, "overflow")?;
    // The connection keeps working.
    let got = hub.add(1, 1).await.map_err(call_err("Add"))?;
    equal("Add after overflow", got, 2)?;
    stop(&hub).await;
    Ok(())
}

async fn echo_person(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let people = [
        Person {
            name: "Ada".into(),
            age: 36,
            tags: vec!["math".into(), "engines".into()],
            nickname: None,
        },
        Person {
            name: "Grace ✓".into(),
            age: 0,
            tags: vec![],
            nickname: Some("Amazing".into()),
        },
    ];
    for p in people {
        let got = hub
            .echo_person(p.clone())
            .await
            .map_err(call_err("EchoPerson"))?;
        equal(
            "EchoPerson",
            got,
            Person {
                age: p.age + 1,
                ..p
            },
        )?;
    }
    stop(&hub).await;
    Ok(())
}

async fn fail(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let message = unique("boom");
    expect_error("Fail", hub.fail(message.clone()).await, &message)?;
    stop(&hub).await;
    Ok(())
}

/// `Notify` sent without waiting (a message without an invocation id, which the typed proxy
/// has no method for), then invoked; `Notified` must arrive both times.
async fn notify_checks(hub: &ConformanceProxy, events: &mut Events) -> Outcome {
    let text = unique("notify");
    hub.connection()
        .send("Notify", (&text,))
        .await
        .map_err(call_err("send Notify"))?;
    expect_event("Notified", events, &Event::Notified(text)).await?;
    // Invoked rather than sent, it completes too.
    let text = unique("notify-invoke");
    hub.notify(text.clone())
        .await
        .map_err(call_err("invoke Notify"))?;
    expect_event("Notified", events, &Event::Notified(text)).await
}

async fn notify(o: Options) -> Outcome {
    let (hub, mut events) = connect(&o).await?;
    notify_checks(&hub, &mut events).await?;
    stop(&hub).await;
    Ok(())
}

/// The receiver registers `Notified`; here the handler is registered as `nOtIfIeD` by hand,
/// a name the typed receiver cannot spell.
async fn notify_case_insensitive(o: Options) -> Outcome {
    let c = connection(&o);
    let (tx, mut events) = mpsc::unbounded_channel();
    let _ = c.on("nOtIfIeD", move |(text,): (String,)| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(Event::Notified(text));
        }
    });
    let hub = start(c).await?;
    notify_checks(&hub, &mut events).await?;
    stop(&hub).await;
    Ok(())
}

async fn counter(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let items: Vec<Result<i32, ClientError>> =
        hub.counter(5, 10, CancellationToken::new()).collect().await;
    let items: Result<Vec<i32>, _> = items.into_iter().collect();
    equal(
        "Counter",
        items.map_err(|e| e.to_string())?,
        vec![0, 1, 2, 3, 4],
    )?;
    let empty: Vec<_> = hub.counter(0, 0, CancellationToken::new()).collect().await;
    equal("Counter(0)", empty.len(), 0)?;
    stop(&hub).await;
    Ok(())
}

async fn counter_cancellation(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    // Dropping the stream cancels it (the proxy does not watch the token of a stream).
    let mut stream = hub.counter(1000, 20, CancellationToken::new());
    for want in 0..3 {
        match stream.next().await {
            Some(Ok(got)) => equal("Counter item", got, want)?,
            other => return Err(format!("Counter item {want}: got {other:?}")),
        }
    }
    drop(stream);
    // The server notices the cancellation promptly, not necessarily before it answers the
    // next call: ask for up to 3 s, as the official client's suite does.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let cancelled = loop {
        let cancelled = hub
            .counter_cancelled()
            .await
            .map_err(call_err("CounterCancelled"))?;
        if cancelled || tokio::time::Instant::now() >= deadline {
            break cancelled;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    equal("CounterCancelled", cancelled, true)?;
    stop(&hub).await;
    Ok(())
}

async fn sum(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let got = hub
        .sum(futures_util::stream::iter(1..=100))
        .await
        .map_err(call_err("Sum"))?;
    equal("Sum 1..=100", got, 5050)?;
    let slow = futures_util::stream::iter([5, -2, 7]).then(|n| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        n
    });
    let got = hub.sum(slow).await.map_err(call_err("Sum"))?;
    equal("Sum of a slow stream", got, 10)?;
    let got = hub
        .sum(futures_util::stream::empty())
        .await
        .map_err(call_err("Sum"))?;
    equal("Sum of nothing", got, 0)?;
    stop(&hub).await;
    Ok(())
}

async fn ask_client(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let q = unique("question");
    let got = hub
        .ask_client(q.clone())
        .await
        .map_err(call_err("AskClient"))?;
    equal("AskClient", got, format!("answer to {q}"))?;
    stop(&hub).await;
    Ok(())
}

async fn groups(o: Options) -> Outcome {
    let (a, mut a_events) = connect(&o).await?;
    let (b, mut b_events) = connect(&o).await?;
    let group = unique("group");
    for hub in [&a, &b] {
        hub.join_group(group.clone())
            .await
            .map_err(call_err("JoinGroup"))?;
    }
    let text = unique("to-both");
    a.send_to_group(group.clone(), text.clone())
        .await
        .map_err(call_err("SendToGroup"))?;
    let first = Event::GroupMessage(group.clone(), text);
    expect_event("GroupMessage to a", &mut a_events, &first).await?;
    expect_event("GroupMessage to b", &mut b_events, &first).await?;
    b.leave_group(group.clone())
        .await
        .map_err(call_err("LeaveGroup"))?;
    let text = unique("to-a-only");
    a.send_to_group(group.clone(), text.clone())
        .await
        .map_err(call_err("SendToGroup"))?;
    let second = Event::GroupMessage(group, text);
    expect_event("GroupMessage to a", &mut a_events, &second).await?;
    expect_no_event("GroupMessage after LeaveGroup", &mut b_events, &second).await?;
    stop(&a).await;
    stop(&b).await;
    Ok(())
}

async fn broadcast(o: Options) -> Outcome {
    let mut members = Vec::new();
    for _ in 0..3 {
        members.push(connect(&o).await?);
    }
    let text = unique("broadcast");
    members[1]
        .0
        .broadcast(text.clone())
        .await
        .map_err(call_err("Broadcast"))?;
    let want = Event::Broadcasted(text);
    for (i, (_, events)) in members.iter_mut().enumerate() {
        expect_event(&format!("Broadcasted to client {i}"), events, &want).await?;
    }
    for (hub, _) in &members {
        stop(hub).await;
    }
    Ok(())
}

async fn echo_bytes(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let all: Vec<u8> = (0..=255).collect();
    for data in [all, Vec::new()] {
        let got = hub
            .echo_bytes(Binary(data.clone()))
            .await
            .map_err(call_err("EchoBytes"))?;
        equal("EchoBytes", got.0, data)?;
    }
    stop(&hub).await;
    Ok(())
}

async fn sleep(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let start = Instant::now();
    let got = hub
        .sleep(200, CancellationToken::new())
        .await
        .map_err(call_err("Sleep"))?;
    equal("Sleep", got, 200)?;
    if start.elapsed() < Duration::from_millis(200) {
        return Err(format!("Sleep(200) returned after {:?}", start.elapsed()));
    }
    stop(&hub).await;
    Ok(())
}

async fn concurrent(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let calls = (0..200).map(|i| {
        let hub = hub.clone();
        async move {
            if i % 2 == 0 {
                let got = hub.echo(format!("call {i}")).await?;
                Ok::<_, ClientError>(got == format!("call {i}"))
            } else {
                let got = hub.add(i, i).await?;
                Ok(got == i + i)
            }
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let wrong = results.iter().filter(|r| !matches!(r, Ok(true))).count();
    equal("wrong results of 200 concurrent invocations", wrong, 0)?;
    stop(&hub).await;
    Ok(())
}

// The cases below test what the wire accepts, so they call methods by string name.

async fn case_insensitive(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    for name in ["echo", "ECHO", "eChO"] {
        let got: String = hub
            .connection()
            .invoke(name, ("case",))
            .await
            .map_err(call_err(name))?;
        equal(name, got.as_str(), "case")?;
    }
    stop(&hub).await;
    Ok(())
}

async fn qualified_name(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let got: String = hub
        .connection()
        .invoke("Conformance|Echo", ("qualified",))
        .await
        .map_err(call_err("Conformance|Echo"))?;
    equal("Conformance|Echo", got.as_str(), "qualified")?;
    stop(&hub).await;
    Ok(())
}

async fn unknown_method(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    expect_error(
        "unknown method",
        hub.connection().invoke::<()>("NoSuchMethod", ()).await,
        "NoSuchMethod",
    )?;
    let got = hub
        .echo("still open".into())
        .await
        .map_err(call_err("Echo"))?;
    equal("Echo after an unknown method", got.as_str(), "still open")?;
    stop(&hub).await;
    Ok(())
}

async fn wrong_arguments(o: Options) -> Outcome {
    let (hub, _) = connect(&o).await?;
    let c = hub.connection();
    expect_error(
        "Add with one argument",
        c.invoke::<i32>("Add", (1,)).await,
        "",
    )?;
    expect_error(
        "Add with three arguments",
        c.invoke::<i32>("Add", (1, 2, 3)).await,
        "",
    )?;
    expect_error(
        "Add with a string",
        c.invoke::<i32>("Add", ("one", 2)).await,
        "",
    )?;
    let got = hub.add(1, 2).await.map_err(call_err("Add"))?;
    equal("Add after bad arguments", got, 3)?;
    stop(&hub).await;
    Ok(())
}

fn cases(o: &Options) -> Vec<(&'static str, Case)> {
    vec![
        ("Echo", Box::pin(echo(o.clone()))),
        ("Add", Box::pin(add(o.clone()))),
        (
            "Add overflow is an error",
            Box::pin(add_overflow(o.clone())),
        ),
        ("EchoPerson", Box::pin(echo_person(o.clone()))),
        ("Fail", Box::pin(fail(o.clone()))),
        ("Notify calls Notified", Box::pin(notify(o.clone()))),
        (
            "client method names are case-insensitive",
            Box::pin(notify_case_insensitive(o.clone())),
        ),
        ("Counter stream", Box::pin(counter(o.clone()))),
        (
            "Counter cancellation, then CounterCancelled",
            Box::pin(counter_cancellation(o.clone())),
        ),
        ("Sum upload stream", Box::pin(sum(o.clone()))),
        (
            "AskClient calls Answer (client result)",
            Box::pin(ask_client(o.clone())),
        ),
        (
            "JoinGroup, SendToGroup, LeaveGroup",
            Box::pin(groups(o.clone())),
        ),
        (
            "Broadcast to three connections",
            Box::pin(broadcast(o.clone())),
        ),
        ("EchoBytes", Box::pin(echo_bytes(o.clone()))),
        ("Sleep", Box::pin(sleep(o.clone()))),
        (
            "200 concurrent invocations",
            Box::pin(concurrent(o.clone())),
        ),
        (
            "method names are case-insensitive",
            Box::pin(case_insensitive(o.clone())),
        ),
        ("Conformance|Echo", Box::pin(qualified_name(o.clone()))),
        (
            "unknown method is an error",
            Box::pin(unknown_method(o.clone())),
        ),
        (
            "wrong argument count or type is an error",
            Box::pin(wrong_arguments(o.clone())),
        ),
    ]
}

#[tokio::main]
async fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cases = cases(&o);
    if let Some(unknown) = o
        .skip
        .iter()
        .find(|s| !cases.iter().any(|(name, _)| name == s))
    {
        eprintln!("--skip {unknown:?}: there is no case with that name");
        return ExitCode::from(2);
    }
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        if o.skip.iter().any(|s| s == name) {
            println!("skip {name}");
            continue;
        }
        // Each case runs in its own task: a panic or a hang fails that case only.
        let task = tokio::spawn(tokio::time::timeout(CASE_TIMEOUT, case));
        let outcome = match task.await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(format!("timed out after {CASE_TIMEOUT:?}")),
            Err(e) => Err(format!("the case panicked: {e}")),
        };
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("ok   {name}");
            }
            Err(reason) => {
                failed += 1;
                println!("FAIL {name}: {reason}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
