// A contract whose payloads use every serde attribute and every wire type the generators
// map. Compiled by tests/tests/dtos.rs (which also checks real serde output against the
// generated schema) and read as a file by the generators' golden tests.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Every scalar the protocols carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scalars {
    /// A flag.
    pub flag: bool,
    pub i8: i8,
    pub i16: i16,
    pub i32: i32,
    /// Exact in JavaScript only up to 2^53 - 1.
    pub i64: i64,
    pub u8: u8,
    pub u16: u16,
    pub u32: u32,
    pub u64: u64,
    pub f32: f32,
    pub f64: f64,
    pub text: String,
    pub letter: char,
    /// Base64 text in JSON, `bin` in MessagePack.
    pub blob: signalr::Binary,
    /// An array of numbers in JSON, `bin` in MessagePack.
    #[serde(with = "serde_bytes")]
    pub raw: Vec<u8>,
    /// Numbers, as serde writes a plain `Vec<u8>`.
    pub octets: Vec<u8>,
    pub id: uuid::Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub anything: serde_json::Value,
}

/// Containers, options and tuples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Containers {
    pub list_of_names: Vec<String>,
    pub maybe_count: Option<u32>,
    pub nested: Vec<Option<Vec<i32>>>,
    pub by_name: HashMap<String, f64>,
    pub by_number: BTreeMap<u16, String>,
    pub by_level: BTreeMap<Level, bool>,
    pub pair: (i32, String),
    pub unit: (),
}

/// A renamed struct with field-level attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Profile", rename_all = "kebab-case")]
pub struct UserProfile {
    /// Written as `display-name`.
    pub display_name: String,
    /// Written as `e_mail`.
    #[serde(rename = "e_mail")]
    pub email: String,
    /// Never on the wire.
    #[serde(skip)]
    pub cache: Option<String>,
    /// Left out when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// Filled in when missing.
    #[serde(default)]
    pub score: i32,
    /// Its fields sit beside the others.
    #[serde(flatten)]
    pub address: Address,
}

/// An address, flattened into [`UserProfile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub city: String,
    pub zip: String,
}

/// A newtype: written as its content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub uuid::Uuid);

/// A transparent wrapper: written as its one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Meters {
    pub value: f64,
}

/// A tuple struct: an array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point(pub f64, pub f64);

/// A unit-only enum: a string union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    Low,
    High,
    /// Renamed on its own.
    #[serde(rename = "max")]
    Maximum,
}

/// Externally tagged (serde's default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    Empty,
    Circle(f64),
    Segment(Point, Point),
    Rect { width: f64, height: f64 },
}

/// Internally tagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    Started,
    Moved { from: Point, to: Point },
    Renamed(Address),
}

/// Adjacently tagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum Reply {
    Nothing,
    Text(String),
    Pair(i32, i32),
    Detail { code: u16 },
}

/// Untagged: the content alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Sample {
    /// Every integer is also a number: the schema must accept either variant.
    Count(i64),
    Number(f64),
    Words(Vec<String>),
    Nothing,
}

/// A catalog of every payload shape.
#[signalr::hub_contract]
pub trait Catalog {
    /// Scalars there and back.
    async fn scalars(&self, value: Scalars) -> Scalars;
    /// Containers there and back.
    async fn containers(&self, value: Containers) -> Containers;
    /// A profile by user id.
    async fn profile(&self, id: UserId) -> Option<UserProfile>;
    /// Distance in meters between two points.
    async fn distance(&self, a: Point, b: Point) -> Meters;
    /// Every shape, streamed.
    fn shapes(&self) -> signalr::HubStream<Shape>;
    /// Events in, a count out.
    async fn record(&self, events: signalr::UploadStream<Event>) -> u64;
    /// Levels and values.
    async fn classify(&self, level: Level, sample: Sample) -> Reply;
    /// Raw bytes there and back.
    async fn bytes(&self, blob: signalr::Binary) -> signalr::Binary;
}

/// What the catalog pushes to clients.
#[signalr::hub_contract(client, name = "CatalogEvents")]
pub trait CatalogClient {
    /// An event happened.
    async fn on_event(&self, event: Event);
    /// The server asks which level to use.
    async fn choose_level(&self, options: Vec<Level>, cancel: signalr::CancellationToken) -> Level;
}
