// An upload stream of items without serde derives: the error points at the item type.

pub struct Sample {
    pub value: f64,
}

#[signalr::hub_contract]
pub trait Sensor {
    async fn record(&self, samples: signalr::UploadStream<Sample>) -> u32;
}

fn main() {}
