#[signalr::hub_contract(client)]
pub trait Sink {
    async fn sum(&self, numbers: signalr::UploadStream<i32>) -> i32;
}

fn main() {}
