// `HubStream<T>` is what a method returns; a parameter receiving a stream from the caller
// is `UploadStream<T>`, and the error says so at the parameter's type.

#[signalr::hub_contract]
pub trait Sensor {
    async fn record(&self, samples: signalr::HubStream<f64>) -> u32;
}

fn main() {}
