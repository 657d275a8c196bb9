//! MessagePack hub protocol: framing and decoding never panic; decoded messages round-trip.

#![no_main]

#[path = "roundtrip.rs"]
mod roundtrip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    roundtrip::check(signalr_protocol::Protocol::MessagePack, data);
});
