//! Whole response bodies of the classic endpoints, bounded in size and time.

use std::time::Duration;

use crate::error::{ClientError, Operation};

/// The error of a body or message past the size limit.
pub(crate) fn too_large(limit: usize) -> ClientError {
    ClientError::Protocol(signalr_protocol::ProtocolError::MessageTooLarge { limit })
}

/// A whole response body, no larger than `limit`, within `timeout`.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: Option<usize>,
    timeout: Duration,
    operation: Operation,
) -> Result<Vec<u8>, ClientError> {
    let read = async {
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ClientError::request(operation, e))?
        {
            body.extend_from_slice(&chunk);
            if let Some(limit) = limit
                && body.len() > limit
            {
                return Err(too_large(limit));
            }
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| ClientError::Timeout {
            operation,
            after: timeout,
        })?
}
