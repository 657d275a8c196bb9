//! The handshake: request and response, always JSON ended by 0x1E, with ASP.NET Core's
//! server-side error texts.

#![allow(clippy::unwrap_used, clippy::panic)]

use signalr_protocol::handshake::{
    self, HANDSHAKE_CANCELED, HandshakeRequest, HandshakeResponse, UNEXPECTED_HANDSHAKE_ERROR,
};
use signalr_protocol::{HandshakeError, Protocol, ProtocolError, TransferFormat};

fn req(protocol: &str, version: i64) -> HandshakeRequest<'static> {
    HandshakeRequest {
        protocol: protocol.to_owned().into(),
        version,
    }
}

#[test]
fn requests_are_written_and_read_exactly() {
    let mut out = Vec::new();
    handshake::write_request(&req("messagepack", 1), &mut out);
    assert_eq!(out, b"{\"protocol\":\"messagepack\",\"version\":1}\x1e");
    // Hub messages may follow the handshake in the same chunk.
    out.extend_from_slice(b"{\"type\":6}\x1e");
    let (parsed, used) = handshake::parse_request(&out, Some(32768))
        .unwrap()
        .unwrap();
    assert_eq!(parsed, req("messagepack", 1));
    assert_eq!(&out[used..], b"{\"type\":6}\x1e");
    // Incomplete: wait for more.
    assert_eq!(
        handshake::parse_request(b"{\"protocol\":\"json\"", None).unwrap(),
        None
    );
    // Unknown properties are ignored; order does not matter.
    let (parsed, _) = handshake::parse_request(
        b"{ \"version\": 2, \"x\": [1], \"protocol\": \"json\" }\x1e",
        None,
    )
    .unwrap()
    .unwrap();
    assert_eq!(parsed, req("json", 2));
}

#[test]
fn responses_are_written_and_read_exactly() {
    let mut out = Vec::new();
    handshake::write_response(&HandshakeResponse::default(), &mut out);
    assert_eq!(out, b"{}\x1e");
    out.clear();
    handshake::write_response(
        &HandshakeResponse {
            error: Some("The protocol 'x' is not supported.".into()),
        },
        &mut out,
    );
    assert_eq!(
        out,
        b"{\"error\":\"The protocol 'x' is not supported.\"}\x1e"
    );
    let (resp, used) = handshake::parse_response(&out, None).unwrap().unwrap();
    assert_eq!(
        resp.error.as_deref(),
        Some("The protocol 'x' is not supported.")
    );
    assert_eq!(used, out.len());
    // Older servers add minorVersion; it is ignored.
    let (resp, _) = handshake::parse_response(b"{\"minorVersion\":1}\x1e", None)
        .unwrap()
        .unwrap();
    assert_eq!(resp.error, None);
    // A hub message where the response should be.
    assert_eq!(
        handshake::parse_response(b"{\"type\":6}\x1e", None)
            .unwrap_err()
            .to_string(),
        "Expected a handshake response from the server."
    );
}

#[test]
fn malformed_requests_say_what_is_wrong() {
    for (input, text) in [
        (
            &b"{\"version\":1}\x1e"[..],
            "Missing required property 'protocol'.",
        ),
        (
            b"{\"protocol\":\"json\"}\x1e",
            "Missing required property 'version'.",
        ),
        (
            b"{\"protocol\":\"json\",\"version\":null}\x1e",
            "Missing required property 'version'.",
        ),
        (
            b"{\"protocol\":1,\"version\":1}\x1e",
            "Expected 'protocol' to be of type String.",
        ),
        (
            b"{\"protocol\":\"json\",\"version\":\"1\"}\x1e",
            "Expected 'version' to be of type Number.",
        ),
        (
            b"[1]\x1e",
            "Unexpected JSON Token Type 'Array'. Expected a JSON Object.",
        ),
    ] {
        let err = handshake::parse_request(input, None).unwrap_err();
        assert_eq!(err.to_string(), text, "{}", String::from_utf8_lossy(input));
        // Without detailed errors the server answers with ASP.NET Core's generic text.
        assert_eq!(
            handshake::unreadable_request_error(&err, false),
            UNEXPECTED_HANDSHAKE_ERROR
        );
        assert_eq!(
            handshake::unreadable_request_error(&err, true),
            format!("{UNEXPECTED_HANDSHAKE_ERROR} InvalidDataException: {text}")
        );
    }
    assert!(matches!(
        handshake::parse_request(b"{\"protocol\":\"json\",}\x1e", None),
        Err(ProtocolError::Handshake(HandshakeError::Syntax(_)))
    ));
    assert!(matches!(
        handshake::parse_request(b"{\"protocol\":\"\xff\",\"version\":1}\x1e", None),
        Err(ProtocolError::Handshake(HandshakeError::Syntax(_)))
    ));
}

#[test]
fn oversized_handshake_is_canceled() {
    let big = vec![b' '; 100];
    let err = handshake::parse_request(&big, Some(64)).unwrap_err();
    assert_eq!(err, ProtocolError::MessageTooLarge { limit: 64 });
    assert_eq!(
        handshake::unreadable_request_error(&err, false),
        HANDSHAKE_CANCELED
    );
}

#[test]
fn protocol_selection_uses_aspnet_texts() {
    let all = Protocol::ALL;
    assert_eq!(
        handshake::select_protocol(&req("json", 1), &all, None),
        Ok(Protocol::Json)
    );
    assert_eq!(
        handshake::select_protocol(&req("json", 2), &all, None),
        Ok(Protocol::Json)
    );
    assert_eq!(
        handshake::select_protocol(&req("MessagePack", 1), &all, None),
        Ok(Protocol::MessagePack)
    );
    assert_eq!(
        handshake::select_protocol(&req("xml", 1), &all, None),
        Err("The protocol 'xml' is not supported.".to_owned())
    );
    assert_eq!(
        handshake::select_protocol(&req("messagepack", 1), &[Protocol::Json], None),
        Err("The protocol 'messagepack' is not supported.".to_owned())
    );
    assert_eq!(
        handshake::select_protocol(&req("json", 3), &all, None),
        Err("The server does not support version 3 of the 'json' protocol.".to_owned())
    );
    assert_eq!(
        handshake::select_protocol(&req("messagepack", 1), &all, Some(TransferFormat::Text)),
        Err("Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format.".to_owned())
    );
}
