// A contract that uses every method shape. Included by the macro tests and read as a file
// by the contract-model parity test, so both see exactly the same source.

/// Every method shape a hub contract can have.
#[signalr::hub_contract]
pub trait Shapes {
    /// A unit method.
    async fn hello(&self);
    /// A value method.
    async fn echo(&self, text: String) -> String;
    /// A fallible method.
    async fn divide(&self, a: i32, b: i32) -> Result<i32, signalr::HubError>;
    /// A stream from the server.
    fn count(&self, n: i32, delay_ms: u64) -> signalr::HubStream<i32>;
    /// A stream from the caller.
    async fn sum(&self, numbers: signalr::UploadStream<i32>) -> i32;
    /// Two streams from the caller, and an ordinary argument between them.
    async fn dot(&self, xs: signalr::UploadStream<i32>, scale: i32, ys: signalr::UploadStream<i32>) -> i32;
    /// A cancellable method: returns whether it was cancelled.
    async fn wait(&self, ms: u64, cancel: signalr::CancellationToken) -> bool;
    /// A method that asks its caller for a client result.
    async fn ask(&self, question: String, caller: signalr::Caller) -> Result<String, signalr::HubError>;
    /// A method with its own wire name.
    #[hub(name = "Renamed")]
    async fn other(&self) -> u8;
    /// Starts work on the caller, then cancels it from the server.
    async fn interrupt(&self, caller: signalr::Caller) -> Result<String, signalr::HubError>;
}

/// What the server calls on clients.
#[signalr::hub_contract(client)]
pub trait ShapesClient {
    /// A notification.
    async fn notify(&self, text: String);
    /// A client result.
    async fn answer(&self, question: String) -> String;
    /// Work the server can cancel: returns whether it was cancelled.
    async fn work(&self, ms: u64, cancel: signalr::CancellationToken) -> bool;
}
