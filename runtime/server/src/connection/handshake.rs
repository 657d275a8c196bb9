//! The handshake that opens every connection: the client names its protocol, the server
//! answers, and what follows the handshake in the same chunk is kept for the reader.

use futures_util::{SinkExt, StreamExt};
use signalr_protocol::Protocol;
use signalr_protocol::handshake::{self, HandshakeResponse};

use crate::frame::Frame;
use crate::options::HubOptions;
use crate::transport::{Transport, TransportError};

/// A completed handshake.
pub(crate) struct Handshake {
    pub(crate) protocol: Protocol,
    /// The version the client asked for (2 enables stateful reconnect).
    pub(crate) version: i64,
    /// The bytes that followed the handshake.
    pub(crate) leftover: Vec<u8>,
}

/// Reads the handshake and answers it; `None` if the connection ends (the client was told
/// why, if it was the handshake's fault).
pub(crate) async fn handshake(transport: &mut Transport, opts: &HubOptions) -> Option<Handshake> {
    let mut buf = Vec::new();
    let format = transport.format;
    let incoming = &mut transport.incoming;
    let read = async {
        loop {
            match incoming.next().await {
                Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    return Err(Some(match e {
                        TransportError::TooLarge(_) => handshake::HANDSHAKE_CANCELED.to_owned(),
                        _ if opts.enable_detailed_errors => format!(
                            "{} InvalidDataException: {e}",
                            handshake::UNEXPECTED_HANDSHAKE_ERROR
                        ),
                        _ => handshake::UNEXPECTED_HANDSHAKE_ERROR.to_owned(),
                    }));
                }
                None => return Err(None),
            }
            match handshake::parse_request(&buf, opts.maximum_receive_message_size) {
                Ok(Some((req, used))) => {
                    let chosen =
                        handshake::select_protocol(&req, &opts.supported_protocols, format);
                    return Ok((chosen, used, req.version));
                }
                Ok(None) => continue,
                Err(e) => {
                    return Err(Some(handshake::unreadable_request_error(
                        &e,
                        opts.enable_detailed_errors,
                    )));
                }
            }
        }
    };
    let outcome = match tokio::time::timeout(opts.handshake_timeout, read).await {
        Ok(r) => r,
        Err(_) => Err(Some(handshake::HANDSHAKE_CANCELED.to_owned())),
    };
    let (error, result) = match outcome {
        Ok((Ok(protocol), used, version)) => (
            None,
            Some(Handshake {
                protocol,
                version,
                leftover: buf[used..].to_vec(),
            }),
        ),
        Ok((Err(text), _, _)) => (Some(text), None),
        Err(Some(text)) => (Some(text), None),
        Err(None) => return None,
    };
    let mut out = Vec::new();
    handshake::write_response(
        &HandshakeResponse {
            error: error.map(Into::into),
        },
        &mut out,
    );
    let text = String::from_utf8_lossy(&out).into_owned();
    if transport
        .outgoing
        .send(Frame::text(text, false))
        .await
        .is_err()
    {
        return None;
    }
    if result.is_none() {
        let _ = transport.outgoing.close().await;
    }
    result
}
