// The generated code is warning-free: every shape, both sides, under `deny(warnings)`.
// (trybuild runs rustc, not clippy; clippy sees the same expansion through the workspace's
// own `cargo clippy --all-targets`.)
#![deny(warnings)]

use futures_util::StreamExt;
use signalr::{Caller, CancellationToken, HubError, HubStream, UploadStream};

include!("../../../contracts/shapes.rs");

struct ShapesImpl;

impl Shapes for ShapesImpl {
    async fn hello(&self) {}

    async fn echo(&self, text: String) -> String {
        text
    }

    async fn divide(&self, a: i32, b: i32) -> Result<i32, HubError> {
        a.checked_div(b)
            .ok_or_else(|| HubError::new("division by zero"))
    }

    fn count(&self, n: i32, _delay_ms: u64) -> HubStream<i32> {
        signalr::hub_stream(futures_util::stream::iter(0..n))
    }

    async fn sum(&self, numbers: UploadStream<i32>) -> i32 {
        numbers
            .filter_map(|n| async move { n.ok() })
            .fold(0, |a, n| async move { a + n })
            .await
    }

    async fn dot(&self, mut xs: UploadStream<i32>, scale: i32, mut ys: UploadStream<i32>) -> i32 {
        let mut total = 0;
        while let (Some(Ok(x)), Some(Ok(y))) = (xs.next().await, ys.next().await) {
            total += x * y;
        }
        total * scale
    }

    async fn wait(&self, _ms: u64, cancel: CancellationToken) -> bool {
        cancel.is_cancelled()
    }

    async fn ask(&self, question: String, caller: Caller) -> Result<String, HubError> {
        let all = ShapesClientProxy::new(caller.clients.all());
        all.notify(format!("asking {question}"))?;
        let one = ShapesClientProxy::new(caller.clients.caller());
        one.notify(format!("asking {question}"))?;
        one.answer(question).await
    }

    async fn other(&self) -> u8 {
        7
    }

    async fn interrupt(&self, caller: Caller) -> Result<String, HubError> {
        let done = ShapesClientProxy::new(caller.clients.caller())
            .work(10, CancellationToken::new())
            .await?;
        Ok(format!("finished: {done}"))
    }
}

struct Receiver;

impl ShapesClient for Receiver {
    async fn notify(&self, _text: String) {}

    async fn answer(&self, question: String) -> String {
        question
    }

    async fn work(&self, _ms: u64, cancel: CancellationToken) -> bool {
        cancel.is_cancelled()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let hub = ShapesDispatch::hub(ShapesImpl);
    assert!(hub.resolve("Shapes|Echo").is_some());

    let connection =
        signalr::client::HubConnectionBuilder::new("http://127.0.0.1:1/shapes").build();
    let subscriptions = ShapesClientReceiver::register(&connection, Receiver);
    // Each method under its plain and `Interface|Method` names, and the cancel handler.
    assert_eq!(subscriptions.len(), 7);

    // Every proxy method, built but never awaited: there is no server behind the connection.
    let proxy = ShapesProxy::new(connection.clone());
    assert_eq!(proxy.connection().state(), connection.state());
    drop(proxy.hello());
    drop(proxy.echo("hi".into()));
    drop(proxy.divide(1, 2));
    drop(proxy.count(3, 0));
    drop(proxy.sum(futures_util::stream::iter([1, 2, 3])));
    drop(proxy.wait(1, CancellationToken::new()));
    drop(proxy.ask("why".into()));
    drop(proxy.other());
    drop(proxy.interrupt());
}
