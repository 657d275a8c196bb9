//! Bytes as SignalR carries them: a base64 string under JSON, MessagePack `bin` under
//! MessagePack (as ASP.NET Core serializes `byte[]`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A byte buffer that serializes as base64 text in human-readable formats (JSON) and as
/// binary otherwise (MessagePack `bin`); it reads either, and also an array of numbers.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Binary(pub Vec<u8>);

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Binary {
    fn from(v: Vec<u8>) -> Self {
        Binary(v)
    }
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&STANDARD.encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Binary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes, a base64 string, or an array of bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Binary, E> {
        Ok(Binary(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Binary, E> {
        Ok(Binary(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Binary, E> {
        STANDARD
            .decode(v)
            .map(Binary)
            .map_err(|e| E::custom(format!("invalid base64: {e}")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(Binary(out))
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Binary, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(BinaryVisitor)
        } else {
            d.deserialize_byte_buf(BinaryVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Payload, Protocol};

    #[test]
    fn base64_under_json_bin_under_messagepack() {
        let b = Binary(vec![0, 1, 2, 250]);
        let j = Payload::serialize(Protocol::Json, &b).unwrap();
        assert_eq!(j.as_bytes(), b"\"AAEC+g==\"");
        assert_eq!(j.bind::<Binary>().unwrap(), b);
        let m = Payload::serialize(Protocol::MessagePack, &b).unwrap();
        assert_eq!(m.as_bytes(), &[0xc4, 4, 0, 1, 2, 250]);
        assert_eq!(m.bind::<Binary>().unwrap(), b);
        assert!(Payload::json("\"%%%\"").unwrap().bind::<Binary>().is_err());
        assert_eq!(
            Payload::json("[1,2]").unwrap().bind::<Binary>().unwrap(),
            Binary(vec![1, 2])
        );
    }
}
