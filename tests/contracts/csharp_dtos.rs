// The serde attributes and wire types the C# generator maps, read as a file by its golden
// test (signalr-codegen/tests/cs.rs writes tests/golden/csharp-dtos/Client.cs from it).
// tests/contracts/dtos.rs also uses what System.Text.Json cannot carry (tuples,
// externally tagged and untagged enums with data), so its C# golden is the generator's
// errors; this file keeps everything else, and adds what only C# treats specially
// (polymorphic arguments, upload items and client results, keywords as names).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Every scalar the JSON protocol carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scalars {
    /// A flag.
    pub flag: bool,
    pub i8: i8,
    pub i16: i16,
    pub i32: i32,
    pub i64: i64,
    pub i128: i128,
    pub u8: u8,
    pub u16: u16,
    pub u32: u32,
    pub u64: u64,
    pub u128: u128,
    pub f32: f32,
    pub f64: f64,
    pub text: String,
    pub letter: char,
    /// Base64 text in JSON, as System.Text.Json writes `byte[]`.
    pub blob: signalr::Binary,
    /// An array of numbers in JSON.
    #[serde(with = "serde_bytes")]
    pub raw: Vec<u8>,
    /// Numbers, as serde writes a plain `Vec<u8>`.
    pub octets: Vec<u8>,
    pub id: uuid::Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub anything: serde_json::Value,
    pub maybe_anything: Option<serde_json::Value>,
}

/// Containers and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Containers {
    pub list_of_names: Vec<String>,
    pub maybe_count: Option<u32>,
    pub nested: Vec<Option<Vec<i32>>>,
    pub by_name: HashMap<String, f64>,
    pub by_number: BTreeMap<u16, String>,
    pub by_id: HashMap<uuid::Uuid, Meters>,
    pub by_level: BTreeMap<Level, bool>,
    pub by_user: HashMap<UserId, String>,
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
    /// Left out when empty, filled in when missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub badges: Vec<String>,
    /// Its fields sit beside the others.
    #[serde(flatten)]
    pub address: Address,
    /// Every other key.
    #[serde(flatten)]
    pub extra: HashMap<String, serde_json::Value>,
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

/// A point with named coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// A struct that names itself when written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "shape")]
pub struct Circle {
    pub center: Position,
    pub radius: Meters,
}

/// A unit-only enum: strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    Low,
    High,
    /// Renamed on its own.
    #[serde(rename = "max")]
    Maximum,
}

/// Internally tagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// No data: the tag alone.
    Started,
    /// Fields beside the tag.
    Moved { from: Position, to: Position },
    /// A struct's fields beside the tag.
    Renamed(Address),
    /// Any other tag.
    #[serde(other)]
    Unknown,
}

/// Adjacently tagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum Reply {
    Nothing,
    Text(String),
    /// Holds a type of its own name.
    Level(Level),
    Detail {
        code: u16,
        #[serde(default)]
        note: Option<String>,
    },
}

/// A catalog of every payload shape C# carries.
#[signalr::hub_contract]
pub trait Catalog {
    /// Scalars there and back.
    async fn scalars(&self, value: Scalars) -> Scalars;
    /// Containers there and back.
    async fn containers(&self, value: Containers) -> Containers;
    /// A profile by user id.
    async fn profile(&self, id: UserId) -> Option<UserProfile>;
    /// Distance in meters between two points.
    async fn distance(&self, a: Position, b: Position) -> Meters;
    /// A struct with a tag there and back.
    async fn circle(&self, circle: Circle) -> Circle;
    /// Events after `since`, streamed.
    fn events(&self, since: Option<Event>) -> signalr::HubStream<Event>;
    /// Events in, a count out.
    async fn record(&self, events: signalr::UploadStream<Event>) -> u64;
    /// A reply to an event.
    async fn reply(&self, level: Level, event: Event) -> Reply;
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
    /// The client's latest event, if any.
    async fn latest(&self, cancel: signalr::CancellationToken) -> Option<Event>;
    /// Watches `room` until the server cancels.
    async fn watch(&self, room: String, cancel: signalr::CancellationToken);
}
