//! The hub messages of the SignalR hub protocol, independent of their encoding.
//!
//! Strings borrow from the frame they were decoded from where they can ([`Cow`]), and
//! arguments, stream items and results stay raw ([`Payload`], [`Arguments`]) until a
//! caller binds them to a Rust type. [`HubMessage::into_owned`] detaches a message from
//! its frame.

use std::borrow::Cow;

use crate::payload::{Arguments, Payload};

/// The numeric message type, as it appears in JSON `type` and as MessagePack element 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    /// 1: call a method.
    Invocation = 1,
    /// 2: one item of a stream.
    StreamItem = 2,
    /// 3: end of an invocation or stream.
    Completion = 3,
    /// 4: call a method whose result is a stream.
    StreamInvocation = 4,
    /// 5: ask the callee to stop an invocation.
    CancelInvocation = 5,
    /// 6: keep-alive.
    Ping = 6,
    /// 7: the sender is closing the connection.
    Close = 7,
    /// 8: stateful reconnect acknowledgement.
    Ack = 8,
    /// 9: stateful reconnect resume point.
    Sequence = 9,
}

impl MessageType {
    /// The message type for a wire number, if it is one.
    pub fn from_number(n: i64) -> Option<Self> {
        Some(match n {
            1 => Self::Invocation,
            2 => Self::StreamItem,
            3 => Self::Completion,
            4 => Self::StreamInvocation,
            5 => Self::CancelInvocation,
            6 => Self::Ping,
            7 => Self::Close,
            8 => Self::Ack,
            9 => Self::Sequence,
            _ => return None,
        })
    }
}

/// Message headers: string keys and values, in the order they were received or added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Headers<'a> {
    /// No headers.
    pub const fn new() -> Self {
        Headers(Vec::new())
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of headers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value of the last header named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Adds a header.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        self.0.push((key.into(), value.into()));
    }

    /// Iterates over `(key, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// Detaches the headers from the frame they were decoded from.
    pub fn into_owned(self) -> Headers<'static> {
        Headers(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }
}

/// Type 1: a call of `target`; without an invocation id the callee must not reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation<'a> {
    /// Headers (encoded only when not empty in JSON; always in MessagePack).
    pub headers: Headers<'a>,
    /// `None` for a non-blocking call.
    pub invocation_id: Option<Cow<'a, str>>,
    /// The method name as the callee's binder expects it.
    pub target: Cow<'a, str>,
    /// The arguments, raw.
    pub arguments: Arguments<'a>,
    /// Ids of the upload streams the caller will send. `None` means the property (or the
    /// sixth MessagePack element) is absent, `Some(empty)` that it is present and empty.
    pub stream_ids: Option<Vec<Cow<'a, str>>>,
}

/// Type 4: a call of `target` whose results come back as [`StreamItem`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInvocation<'a> {
    /// Headers.
    pub headers: Headers<'a>,
    /// The id that the stream items and the completion will carry.
    pub invocation_id: Cow<'a, str>,
    /// The method name.
    pub target: Cow<'a, str>,
    /// The arguments, raw.
    pub arguments: Arguments<'a>,
    /// Ids of upload streams, as in [`Invocation::stream_ids`].
    pub stream_ids: Option<Vec<Cow<'a, str>>>,
}

/// The fields [`Invocation`] and [`StreamInvocation`] share, borrowed for encoding.
pub(crate) struct CallParts<'m, 'a> {
    pub(crate) message_type: MessageType,
    pub(crate) headers: &'m Headers<'a>,
    pub(crate) invocation_id: Option<&'m str>,
    pub(crate) target: &'m str,
    pub(crate) arguments: &'m Arguments<'a>,
    pub(crate) stream_ids: Option<&'m [Cow<'a, str>]>,
}

impl<'a> Invocation<'a> {
    pub(crate) fn parts(&self) -> CallParts<'_, 'a> {
        CallParts {
            message_type: MessageType::Invocation,
            headers: &self.headers,
            invocation_id: self.invocation_id.as_deref(),
            target: &self.target,
            arguments: &self.arguments,
            stream_ids: self.stream_ids.as_deref(),
        }
    }
}

impl<'a> StreamInvocation<'a> {
    pub(crate) fn parts(&self) -> CallParts<'_, 'a> {
        CallParts {
            message_type: MessageType::StreamInvocation,
            headers: &self.headers,
            invocation_id: Some(&self.invocation_id),
            target: &self.target,
            arguments: &self.arguments,
            stream_ids: self.stream_ids.as_deref(),
        }
    }
}

/// Type 2: one item of a stream (a result stream, or an upload stream when sent by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamItem<'a> {
    /// Headers.
    pub headers: Headers<'a>,
    /// The stream invocation or upload stream id.
    pub invocation_id: Cow<'a, str>,
    /// The item, raw.
    pub item: Payload<'a>,
}

/// What a [`Completion`] carries.
#[derive(Debug, Clone, PartialEq)]
pub enum CompletionResult<'a> {
    /// No result (a void method, or the end of a stream).
    Void,
    /// A result value, raw (it may be `null`).
    Value(Payload<'a>),
    /// The invocation failed with this message.
    Error(Cow<'a, str>),
}

/// Type 3: the end of an invocation or stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion<'a> {
    /// Headers.
    pub headers: Headers<'a>,
    /// The invocation (or upload stream) that completed.
    pub invocation_id: Cow<'a, str>,
    /// Void, a value, or an error.
    pub result: CompletionResult<'a>,
}

/// Type 5: the caller no longer wants the results of an invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelInvocation<'a> {
    /// Headers.
    pub headers: Headers<'a>,
    /// The invocation to cancel.
    pub invocation_id: Cow<'a, str>,
}

/// Type 7: the sender closes the connection, possibly because of an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Close<'a> {
    /// Why, if because of an error.
    pub error: Option<Cow<'a, str>>,
    /// Whether a client with automatic reconnect should reconnect (encoded only when true).
    pub allow_reconnect: bool,
}

/// Any hub message.
#[derive(Debug, Clone, PartialEq)]
pub enum HubMessage<'a> {
    /// Type 1.
    Invocation(Invocation<'a>),
    /// Type 2.
    StreamItem(StreamItem<'a>),
    /// Type 3.
    Completion(Completion<'a>),
    /// Type 4.
    StreamInvocation(StreamInvocation<'a>),
    /// Type 5.
    CancelInvocation(CancelInvocation<'a>),
    /// Type 6.
    Ping,
    /// Type 7.
    Close(Close<'a>),
    /// Type 8: the receiver has processed every trackable message up to `sequence_id`.
    Ack {
        /// The highest sequence id received.
        sequence_id: u64,
    },
    /// Type 9: the next trackable message has this sequence id.
    Sequence {
        /// The sequence id of the next message.
        sequence_id: u64,
    },
}

impl<'a> HubMessage<'a> {
    /// The message's type.
    pub fn message_type(&self) -> MessageType {
        match self {
            HubMessage::Invocation(_) => MessageType::Invocation,
            HubMessage::StreamItem(_) => MessageType::StreamItem,
            HubMessage::Completion(_) => MessageType::Completion,
            HubMessage::StreamInvocation(_) => MessageType::StreamInvocation,
            HubMessage::CancelInvocation(_) => MessageType::CancelInvocation,
            HubMessage::Ping => MessageType::Ping,
            HubMessage::Close(_) => MessageType::Close,
            HubMessage::Ack { .. } => MessageType::Ack,
            HubMessage::Sequence { .. } => MessageType::Sequence,
        }
    }

    /// Detaches the message from the frame it was decoded from.
    pub fn into_owned(self) -> HubMessage<'static> {
        fn own(s: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(s.into_owned())
        }
        fn own_ids(ids: Option<Vec<Cow<'_, str>>>) -> Option<Vec<Cow<'static, str>>> {
            ids.map(|v| v.into_iter().map(own).collect())
        }
        match self {
            HubMessage::Invocation(m) => HubMessage::Invocation(Invocation {
                headers: m.headers.into_owned(),
                invocation_id: m.invocation_id.map(own),
                target: own(m.target),
                arguments: m.arguments.into_owned(),
                stream_ids: own_ids(m.stream_ids),
            }),
            HubMessage::StreamInvocation(m) => HubMessage::StreamInvocation(StreamInvocation {
                headers: m.headers.into_owned(),
                invocation_id: own(m.invocation_id),
                target: own(m.target),
                arguments: m.arguments.into_owned(),
                stream_ids: own_ids(m.stream_ids),
            }),
            HubMessage::StreamItem(m) => HubMessage::StreamItem(StreamItem {
                headers: m.headers.into_owned(),
                invocation_id: own(m.invocation_id),
                item: m.item.into_owned(),
            }),
            HubMessage::Completion(m) => HubMessage::Completion(Completion {
                headers: m.headers.into_owned(),
                invocation_id: own(m.invocation_id),
                result: match m.result {
                    CompletionResult::Void => CompletionResult::Void,
                    CompletionResult::Value(p) => CompletionResult::Value(p.into_owned()),
                    CompletionResult::Error(e) => CompletionResult::Error(own(e)),
                },
            }),
            HubMessage::CancelInvocation(m) => HubMessage::CancelInvocation(CancelInvocation {
                headers: m.headers.into_owned(),
                invocation_id: own(m.invocation_id),
            }),
            HubMessage::Ping => HubMessage::Ping,
            HubMessage::Close(m) => HubMessage::Close(Close {
                error: m.error.map(own),
                allow_reconnect: m.allow_reconnect,
            }),
            HubMessage::Ack { sequence_id } => HubMessage::Ack { sequence_id },
            HubMessage::Sequence { sequence_id } => HubMessage::Sequence { sequence_id },
        }
    }
}
