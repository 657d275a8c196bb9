//! Why a hub method, or a send to clients, failed.

use std::fmt;

use signalr_protocol::{BindError, SerializeError};

/// Why a hub method failed.
///
/// A [`HubError::Hub`] passes its message to the caller, as ASP.NET Core's `HubException`
/// does; any other failure reaches the caller as the generic text only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// An error meant for the caller: its message is sent.
    #[error("{0}")]
    Hub(String),
    /// The arguments did not bind to the method's parameters.
    #[error("{0}")]
    Binding(#[from] BindError),
    /// Any other failure; the caller sees only the generic text (or this with detailed errors).
    #[error("{0}")]
    Internal(String),
    /// An error meant for the caller with a machine-readable code (lower_snake_case, e.g.
    /// `room_full`): SignalARRR callers receive the code and the message (its
    /// `HARRRException(code, message)`); plain SignalR callers see the message, as for
    /// [`HubError::Hub`].
    #[error("{message}")]
    Coded {
        /// The code.
        code: String,
        /// The text the caller sees.
        message: String,
    },
    /// An error meant for the caller, reported as a `HubException` subclass named
    /// `exception`: the caller sees `{exception}: {message}`, as ASP.NET Core writes such an
    /// exception (a wire dialect's own error envelope travels this way).
    #[error("{message}")]
    Named {
        /// The exception's type name.
        exception: String,
        /// Its message.
        message: String,
    },
}

impl HubError {
    /// An error whose message the caller sees (ASP.NET Core's `HubException`).
    pub fn new(message: impl Into<String>) -> Self {
        HubError::Hub(message.into())
    }

    /// A failure whose details stay on the server unless detailed errors are on.
    pub fn internal(message: impl fmt::Display) -> Self {
        HubError::Internal(message.to_string())
    }

    /// An error meant for the caller with a machine-readable `code`; see
    /// [`HubError::Coded`].
    pub fn coded(code: impl Into<String>, message: impl Into<String>) -> Self {
        HubError::Coded {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<SerializeError> for HubError {
    fn from(e: SerializeError) -> Self {
        HubError::Internal(e.to_string())
    }
}
