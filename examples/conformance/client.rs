//! Runs every case of the conformance contract (`CONTRACT.md`) against a server, with the
//! `signalr-client` crate.
//!
//! ```text
//! cargo run --release --example conformance-client -- --url http://127.0.0.1:5000/hubs/conformance [--protocol json|messagepack]
//! ```
//!
//! Prints `ok   NAME` or `FAIL NAME: REASON` per case and `N passed, M failed` last; exits 0
//! only when nothing failed. Every case runs on connections of its own, within a time limit.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use signalr_client::{
    Binary, ClientError, ClientStream, HubConnection, HubConnectionBuilder, Protocol,
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
}

/// `Person` of the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Person {
    name: String,
    age: i32,
    tags: Vec<String>,
    nickname: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut protocol = Protocol::Json;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = Some(args.next().ok_or("--url needs a URL")?),
            "--protocol" => {
                let name = args.next().ok_or("--protocol needs json or messagepack")?;
                protocol = Protocol::from_name(&name)
                    .ok_or_else(|| format!("unknown protocol {name}: use json or messagepack"))?;
            }
            "-h" | "--help" => {
                return Err(
                    "usage: conformance-client --url URL [--protocol json|messagepack]".into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let url = url.ok_or("usage: conformance-client --url URL [--protocol json|messagepack]")?;
    Ok(Options { url, protocol })
}

/// A name no other run is using.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn connection(o: &Options) -> HubConnection {
    HubConnectionBuilder::new(o.url.clone())
        .protocol(o.protocol)
        .build()
}

async fn started(c: HubConnection) -> Result<HubConnection, String> {
    c.start().await.map_err(|e| format!("start failed: {e}"))?;
    Ok(c)
}

async fn connect(o: &Options) -> Result<HubConnection, String> {
    started(connection(o)).await
}

fn equal<T: PartialEq + Debug>(what: &str, got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn call_err(what: &str) -> impl FnOnce(ClientError) -> String + '_ {
    move |e| format!("{what} failed: {e}")
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

/// A channel the handlers of a case report to.
fn channel<T>() -> (mpsc::UnboundedSender<T>, mpsc::UnboundedReceiver<T>) {
    mpsc::unbounded_channel()
}

/// Waits for a message matching `want`, skipping others (other clients may broadcast too).
async fn expect_message<T: PartialEq + Debug>(
    what: &str,
    rx: &mut mpsc::UnboundedReceiver<T>,
    want: &T,
) -> Outcome {
    let deadline = tokio::time::Instant::now() + CALLBACK_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(got)) if &got == want => return Ok(()),
            Ok(Some(_)) => continue,
            Ok(None) => return Err(format!("{what}: handler gone")),
            Err(_) => return Err(format!("{what}: no {want:?} within {CALLBACK_TIMEOUT:?}")),
        }
    }
}

/// Checks that nothing matching `unwanted` arrives for a while.
async fn expect_no_message<T: PartialEq + Debug>(
    what: &str,
    rx: &mut mpsc::UnboundedReceiver<T>,
    unwanted: &T,
) -> Outcome {
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
    let c = connect(&o).await?;
    let long = "x".repeat(20_000);
    for text in [
        "hello",
        "",
        "héllo wörld ✓ 🚀 中文 \"quoted\" \\ \u{1e}",
        long.as_str(),
    ] {
        let got: String = c.invoke("Echo", (text,)).await.map_err(call_err("Echo"))?;
        equal("Echo", got.as_str(), text)?;
    }
    c.stop().await;
    Ok(())
}

async fn add(o: Options) -> Outcome {
    let c = connect(&o).await?;
    for (a, b) in [(2, 3), (-7, 2), (i32::MAX, 0), (i32::MIN, 0)] {
        let got: i32 = c.invoke("Add", (a, b)).await.map_err(call_err("Add"))?;
        equal("Add", got, a + b)?;
    }
    c.stop().await;
    Ok(())
}

async fn add_overflow(o: Options) -> Outcome {
    let c = connect(&o).await?;
    expect_error(
        "Add overflow",
        c.invoke::<i32>("Add", (i32::MAX, 1)).await,
        "overflow",
    )?;
    // The connection keeps working.
    let got: i32 = c.invoke("Add", (1, 1)).await.map_err(call_err("Add"))?;
    equal("Add after overflow", got, 2)?;
    c.stop().await;
    Ok(())
}

async fn echo_person(o: Options) -> Outcome {
    let c = connect(&o).await?;
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
        let got: Person = c
            .invoke("EchoPerson", (&p,))
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
    c.stop().await;
    Ok(())
}

async fn fail(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let message = unique("boom");
    expect_error("Fail", c.invoke::<()>("Fail", (&message,)).await, &message)?;
    c.stop().await;
    Ok(())
}

async fn notify(o: Options, handler_name: &'static str) -> Outcome {
    let c = connection(&o);
    let (tx, mut rx) = channel();
    c.on(handler_name, move |(text,): (String,)| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(text);
        }
    });
    let c = started(c).await?;
    let text = unique("notify");
    c.send("Notify", (&text,))
        .await
        .map_err(call_err("send Notify"))?;
    expect_message("Notified", &mut rx, &text).await?;
    // Invoked rather than sent, it completes too.
    let text = unique("notify-invoke");
    c.invoke::<()>("Notify", (&text,))
        .await
        .map_err(call_err("invoke Notify"))?;
    expect_message("Notified", &mut rx, &text).await?;
    c.stop().await;
    Ok(())
}

async fn counter(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let items: Vec<Result<i32, ClientError>> = c.stream::<i32>("Counter", (5, 10)).collect().await;
    let items: Result<Vec<i32>, _> = items.into_iter().collect();
    equal(
        "Counter",
        items.map_err(|e| e.to_string())?,
        vec![0, 1, 2, 3, 4],
    )?;
    let empty: Vec<_> = c.stream::<i32>("Counter", (0, 0)).collect().await;
    equal("Counter(0)", empty.len(), 0)?;
    c.stop().await;
    Ok(())
}

async fn counter_cancellation(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let mut stream = c.stream::<i32>("Counter", (1000, 20));
    for want in 0..3 {
        match stream.next().await {
            Some(Ok(got)) => equal("Counter item", got, want)?,
            other => return Err(format!("Counter item {want}: got {other:?}")),
        }
    }
    drop(stream);
    let cancelled: bool = c
        .invoke("CounterCancelled", ())
        .await
        .map_err(call_err("CounterCancelled"))?;
    equal("CounterCancelled", cancelled, true)?;
    c.stop().await;
    Ok(())
}

async fn sum(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let numbers = ClientStream::new(futures_util::stream::iter(1..=100));
    let got: i32 = c
        .invoke_with_streams("Sum", (), vec![numbers])
        .await
        .map_err(call_err("Sum"))?;
    equal("Sum 1..=100", got, 5050)?;
    let slow = ClientStream::new(futures_util::stream::iter([5, -2, 7]).then(|n| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        n
    }));
    let got: i32 = c
        .invoke_with_streams("Sum", (), vec![slow])
        .await
        .map_err(call_err("Sum"))?;
    equal("Sum of a slow stream", got, 10)?;
    let empty = ClientStream::new(futures_util::stream::iter(Vec::<i32>::new()));
    let got: i32 = c
        .invoke_with_streams("Sum", (), vec![empty])
        .await
        .map_err(call_err("Sum"))?;
    equal("Sum of nothing", got, 0)?;
    c.stop().await;
    Ok(())
}

async fn ask_client(o: Options) -> Outcome {
    let c = connection(&o);
    c.on_result("Answer", |(question,): (String,)| async move {
        Ok::<_, String>(format!("answer to {question}"))
    });
    let c = started(c).await?;
    let q = unique("question");
    let got: String = c
        .invoke("AskClient", (&q,))
        .await
        .map_err(call_err("AskClient"))?;
    equal("AskClient", got, format!("answer to {q}"))?;
    c.stop().await;
    Ok(())
}

type GroupMessages = mpsc::UnboundedReceiver<(String, String)>;

async fn group_member(o: &Options) -> Result<(HubConnection, GroupMessages), String> {
    let c = connection(o);
    let (tx, rx) = channel();
    c.on("GroupMessage", move |(group, text): (String, String)| {
        let tx = tx.clone();
        async move {
            let _ = tx.send((group, text));
        }
    });
    Ok((started(c).await?, rx))
}

async fn groups(o: Options) -> Outcome {
    let (a, mut a_rx) = group_member(&o).await?;
    let (b, mut b_rx) = group_member(&o).await?;
    let group = unique("group");
    for c in [&a, &b] {
        c.invoke::<()>("JoinGroup", (&group,))
            .await
            .map_err(call_err("JoinGroup"))?;
    }
    let first = (group.clone(), unique("to-both"));
    a.invoke::<()>("SendToGroup", (&first.0, &first.1))
        .await
        .map_err(call_err("SendToGroup"))?;
    expect_message("GroupMessage to a", &mut a_rx, &first).await?;
    expect_message("GroupMessage to b", &mut b_rx, &first).await?;
    b.invoke::<()>("LeaveGroup", (&group,))
        .await
        .map_err(call_err("LeaveGroup"))?;
    let second = (group.clone(), unique("to-a-only"));
    a.invoke::<()>("SendToGroup", (&second.0, &second.1))
        .await
        .map_err(call_err("SendToGroup"))?;
    expect_message("GroupMessage to a", &mut a_rx, &second).await?;
    expect_no_message("GroupMessage after LeaveGroup", &mut b_rx, &second).await?;
    a.stop().await;
    b.stop().await;
    Ok(())
}

async fn broadcast(o: Options) -> Outcome {
    let mut members = Vec::new();
    for _ in 0..3 {
        let c = connection(&o);
        let (tx, rx) = channel();
        c.on("Broadcasted", move |(text,): (String,)| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(text);
            }
        });
        members.push((started(c).await?, rx));
    }
    let text = unique("broadcast");
    members[1]
        .0
        .invoke::<()>("Broadcast", (&text,))
        .await
        .map_err(call_err("Broadcast"))?;
    for (i, (_, rx)) in members.iter_mut().enumerate() {
        expect_message(&format!("Broadcasted to client {i}"), rx, &text).await?;
    }
    for (c, _) in members {
        c.stop().await;
    }
    Ok(())
}

async fn echo_bytes(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let all: Vec<u8> = (0..=255).collect();
    for data in [all, Vec::new()] {
        let got: Binary = c
            .invoke("EchoBytes", (Binary(data.clone()),))
            .await
            .map_err(call_err("EchoBytes"))?;
        equal("EchoBytes", got.0, data)?;
    }
    c.stop().await;
    Ok(())
}

async fn sleep(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let start = Instant::now();
    let got: i32 = c.invoke("Sleep", (200,)).await.map_err(call_err("Sleep"))?;
    equal("Sleep", got, 200)?;
    if start.elapsed() < Duration::from_millis(200) {
        return Err(format!("Sleep(200) returned after {:?}", start.elapsed()));
    }
    c.stop().await;
    Ok(())
}

async fn concurrent(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let calls = (0..200).map(|i| {
        let c = c.clone();
        async move {
            if i % 2 == 0 {
                let got: String = c.invoke("Echo", (format!("call {i}"),)).await?;
                Ok::<_, ClientError>(got == format!("call {i}"))
            } else {
                let got: i32 = c.invoke("Add", (i, i)).await?;
                Ok(got == i + i)
            }
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let wrong = results.iter().filter(|r| !matches!(r, Ok(true))).count();
    equal("wrong results of 200 concurrent invocations", wrong, 0)?;
    c.stop().await;
    Ok(())
}

async fn case_insensitive(o: Options) -> Outcome {
    let c = connect(&o).await?;
    for name in ["echo", "ECHO", "eChO"] {
        let got: String = c.invoke(name, ("case",)).await.map_err(call_err(name))?;
        equal(name, got.as_str(), "case")?;
    }
    c.stop().await;
    Ok(())
}

async fn qualified_name(o: Options) -> Outcome {
    let c = connect(&o).await?;
    let got: String = c
        .invoke("Conformance|Echo", ("qualified",))
        .await
        .map_err(call_err("Conformance|Echo"))?;
    equal("Conformance|Echo", got.as_str(), "qualified")?;
    c.stop().await;
    Ok(())
}

async fn unknown_method(o: Options) -> Outcome {
    let c = connect(&o).await?;
    expect_error(
        "unknown method",
        c.invoke::<()>("NoSuchMethod", ()).await,
        "NoSuchMethod",
    )?;
    let got: String = c
        .invoke("Echo", ("still open",))
        .await
        .map_err(call_err("Echo"))?;
    equal("Echo after an unknown method", got.as_str(), "still open")?;
    c.stop().await;
    Ok(())
}

async fn wrong_arguments(o: Options) -> Outcome {
    let c = connect(&o).await?;
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
    let got: i32 = c.invoke("Add", (1, 2)).await.map_err(call_err("Add"))?;
    equal("Add after bad arguments", got, 3)?;
    c.stop().await;
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
        (
            "Notify calls Notified",
            Box::pin(notify(o.clone(), "Notified")),
        ),
        (
            "client method names are case-insensitive",
            Box::pin(notify(o.clone(), "nOtIfIeD")),
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
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases(&o) {
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
