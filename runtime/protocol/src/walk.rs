//! Looking inside a raw value without binding it to a Rust type: the entries of a map and
//! the elements of an array, still raw. A wire dialect that nests a call inside one
//! argument (SignalARRR's `{"Method": .., "Arguments": [..]}`) takes it apart with these,
//! so the nested arguments are bound exactly like an invocation's own.

use std::borrow::Cow;

use crate::json::scan;
use crate::msgpack::read::Reader;
use crate::payload::{Arguments, Payload};
use crate::protocol::Protocol;

impl Payload<'_> {
    /// The entries of a map (a JSON object, a MessagePack map) in their order, each value
    /// raw; `None` when the value is not a map or one of its keys is not a string.
    pub fn entries(&self) -> Option<Vec<(Cow<'_, str>, Payload<'_>)>> {
        let b = self.as_bytes();
        match self.protocol() {
            Protocol::Json => json_entries(b),
            Protocol::MessagePack => msgpack_entries(b),
        }
    }

    /// The value of the entry named `key` of a map (the first one, if several have it).
    pub fn entry(&self, key: &str) -> Option<Payload<'_>> {
        self.entries()?
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The elements of an array, as an argument list; `None` when the value is not an
    /// array.
    pub fn to_arguments(&self) -> Option<Arguments<'_>> {
        let b = self.as_bytes();
        let count = match self.protocol() {
            Protocol::Json => {
                let start = scan::skip_ws(b, 0);
                let (_, count) = scan::scan_array(b, start, 1).ok()?;
                count
            }
            Protocol::MessagePack => Reader::new(b).array_len("value").ok()?,
        };
        Some(Arguments::from_raw_array(self.protocol(), b, count))
    }

    /// Whether the value is null (JSON `null`, MessagePack nil).
    pub fn is_null(&self) -> bool {
        match self.protocol() {
            Protocol::Json => self.as_bytes().trim_ascii() == b"null",
            Protocol::MessagePack => self.as_bytes() == [0xc0],
        }
    }

    /// The value as text, if it is a string.
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        let b = self.as_bytes();
        match self.protocol() {
            Protocol::Json => {
                let start = scan::skip_ws(b, 0);
                if b.get(start) != Some(&b'"') {
                    return None;
                }
                scan::read_string(b, start).ok().map(|(s, _)| s)
            }
            Protocol::MessagePack => Reader::new(b)
                .str_or_nil("value")
                .ok()
                .flatten()
                .map(Cow::Borrowed),
        }
    }
}

fn json_entries(b: &[u8]) -> Option<Vec<(Cow<'_, str>, Payload<'_>)>> {
    let mut p = scan::skip_ws(b, 0);
    if b.get(p) != Some(&b'{') {
        return None;
    }
    p = scan::skip_ws(b, p + 1);
    let mut out = Vec::new();
    if b.get(p) == Some(&b'}') {
        return Some(out);
    }
    loop {
        if b.get(p) != Some(&b'"') {
            return None;
        }
        let (key, after) = scan::read_string(b, p).ok()?;
        let value_start = scan::skip_ws(b, scan::expect(b, after, b':', "expected ':'").ok()?);
        let value_end = scan::skip_value(b, value_start, 1).ok()?;
        out.push((
            key,
            Payload::from_raw(Protocol::Json, &b[value_start..value_end]),
        ));
        p = scan::skip_ws(b, value_end);
        match b.get(p) {
            Some(b',') => p = scan::skip_ws(b, p + 1),
            Some(b'}') => return Some(out),
            _ => return None,
        }
    }
}

fn msgpack_entries(b: &[u8]) -> Option<Vec<(Cow<'_, str>, Payload<'_>)>> {
    let mut r = Reader::new(b);
    let n = r.map_len("value").ok()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let key = r.str_or_nil("key").ok()??;
        let start = r.pos();
        r.skip_value().ok()?;
        out.push((
            Cow::Borrowed(key),
            Payload::from_raw(Protocol::MessagePack, r.slice_from(start)),
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn maps_and_arrays_come_apart_raw_in_both_protocols() {
        #[derive(serde::Serialize)]
        struct Request<'a> {
            #[serde(rename = "Method")]
            method: &'a str,
            #[serde(rename = "Arguments")]
            arguments: (i32, &'a str, Option<u8>),
        }
        for p in Protocol::ALL {
            let value = Payload::serialize(
                p,
                &Request {
                    method: "Chat|Send",
                    arguments: (7, "hé", None),
                },
            )
            .unwrap();
            let entries = value.entries().unwrap();
            let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
            assert_eq!(keys, ["Method", "Arguments"]);
            assert_eq!(
                value.entry("Method").unwrap().as_str().unwrap(),
                "Chat|Send"
            );
            let arguments = value.entry("Arguments").unwrap();
            let args = arguments.to_arguments().unwrap();
            assert_eq!(args.len(), 3);
            let mut b = args.binder(3).unwrap();
            assert_eq!(b.next_arg::<i32>().unwrap(), 7);
            assert_eq!(b.next_arg::<String>().unwrap(), "hé");
            assert!(args.get(2).unwrap().is_null());
            assert!(value.to_arguments().is_none());
            assert!(arguments.entries().is_none());
            assert!(value.entry("Missing").is_none());
            assert!(value.entry("Method").unwrap().to_arguments().is_none());
        }
    }

    #[test]
    fn escaped_keys_and_whitespace() {
        let value = Payload::json(r#" { "M\u0065thod" : "x" , "A" : [ ] } "#).unwrap();
        let entries = value.entries().unwrap();
        assert_eq!(entries[0].0, "Method");
        assert_eq!(entries[1].1.to_arguments().unwrap().len(), 0);
        assert_eq!(Payload::json("{}").unwrap().entries().unwrap().len(), 0);
        assert!(Payload::json("[1]").unwrap().entries().is_none());
        assert!(Payload::json("12").unwrap().as_str().is_none());
        assert!(Payload::json(" null ").unwrap().is_null());
    }
}
