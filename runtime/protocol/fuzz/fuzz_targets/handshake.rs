//! Handshake parsing: never panics, and a parsed request survives a write/parse round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;
use signalr_protocol::RECORD_SEPARATOR;
use signalr_protocol::handshake::{self, HandshakeResponse};

/// ASP.NET Core's default maximum message size.
const MAX: usize = 32 * 1024;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((req, used))) = handshake::parse_request(data, Some(MAX)) {
        // `used` covers exactly the record and its separator.
        assert!(used >= 1 && used <= data.len().min(MAX), "used {used} of {}", data.len());
        assert_eq!(data[used - 1], RECORD_SEPARATOR);

        let mut out = Vec::new();
        handshake::write_request(&req, &mut out);
        // Escaping may make the rewritten record longer than the limit: parse it unlimited.
        let again = handshake::parse_request(&out, None);
        assert_eq!(
            again,
            Ok(Some((req.clone(), out.len()))),
            "request round trip through {:?}",
            String::from_utf8_lossy(&out)
        );
    }

    if let Ok(Some((resp, used))) = handshake::parse_response(data, Some(MAX)) {
        assert!(used >= 1 && used <= data.len().min(MAX), "used {used} of {}", data.len());
        assert_eq!(data[used - 1], RECORD_SEPARATOR);

        let mut out = Vec::new();
        handshake::write_response(&resp, &mut out);
        // An empty error is written as success (`{}`), so compare with that normalization.
        let expected = HandshakeResponse {
            error: resp.error.clone().filter(|e| !e.is_empty()),
        };
        let again = handshake::parse_response(&out, None);
        assert_eq!(
            again,
            Ok(Some((expected, out.len()))),
            "response round trip through {:?}",
            String::from_utf8_lossy(&out)
        );
    }
});
