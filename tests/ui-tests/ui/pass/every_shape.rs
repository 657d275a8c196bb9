// Every method shape, implemented and dispatched (the contract the end-to-end tests use).

use std::time::Duration;

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
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => false,
            () = cancel.cancelled() => true,
        }
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

fn main() {
    let hub = ShapesDispatch::hub(ShapesImpl);
    for name in [
        "Hello",
        "Echo",
        "Divide",
        "Count",
        "Sum",
        "Wait",
        "Ask",
        "Renamed",
        "Interrupt",
    ] {
        assert!(hub.resolve(name).is_some(), "{name}");
        assert!(
            hub.resolve(&format!("Shapes|{name}")).is_some(),
            "Shapes|{name}"
        );
    }
    assert!(hub.resolve("Other").is_none());
}
