//! The layouts of the backplane's messages, as ASP.NET Core's `RedisProtocol` writes and
//! reads them.
//!
//! | channel | layout |
//! |---|---|
//! | `:all`, `:group:*`, `:user:*`, `:connection:*` | `[excludedIds, {protocol: bin}]`, or with a client result `[excludedIds, {protocol: bin}, invocationId, returnChannel]` |
//! | `:internal:groups` | `[id, serverName, action (1 add, 2 remove), group, connectionId]` |
//! | `:internal:ack:{server}` | `[id]` |
//! | `:internal:return:{server}` | `[protocol, bin(framed Completion)]` |
//!
//! Readers accept arrays longer than the layout (the extra items are ignored) and fail with
//! ASP.NET Core's text on shorter ones.

use bytes::Bytes;

use crate::msgpack::{Reader, WireError, Writer};

/// A hub message serialized once per protocol: each protocol's name and the framed message
/// as that protocol writes it to a connection (JSON with its record separator, MessagePack
/// with its length prefix).
pub(crate) type Serialized = Vec<(String, Bytes)>;

/// An invocation for the connections behind a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvocationMessage {
    /// Connections that must not receive it (`:all` and `:group:*`).
    pub(crate) excluded: Vec<String>,
    /// The invocation, per protocol.
    pub(crate) serialized: Serialized,
    /// For a client result: the invocation id and the channel the result goes back on.
    pub(crate) result: Option<ResultReturn>,
}

/// Where a client result goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResultReturn {
    /// The invocation id the client answers with.
    pub(crate) invocation_id: String,
    /// The calling server's return channel.
    pub(crate) channel: String,
}

/// Writes an invocation: 2 items, or 4 with a client result's return path.
pub(crate) fn write_invocation<S: AsRef<str>>(
    excluded: &[S],
    serialized: &[(&str, &[u8])],
    result: Option<(&str, &str)>,
) -> Vec<u8> {
    let size: usize = serialized.iter().map(|(n, b)| n.len() + b.len() + 8).sum();
    let mut w = Writer::with_capacity(size + 16);
    let result = result.filter(|(_, channel)| !channel.is_empty());
    w.array(if result.is_some() { 4 } else { 2 });
    w.array(excluded.len());
    for id in excluded {
        w.str(id.as_ref());
    }
    w.map(serialized.len());
    for (name, bytes) in serialized {
        w.str(name);
        w.bin(bytes);
    }
    if let Some((id, channel)) = result {
        w.str(id);
        w.str(channel);
    }
    w.out
}

/// Reads an invocation; byte strings share `payload`'s buffer.
pub(crate) fn read_invocation(payload: &Bytes) -> Result<InvocationMessage, WireError> {
    let mut r = Reader::new(payload);
    let n = r.array()?;
    if n < 2 {
        return Err(WireError::InsufficientItems("Invocation"));
    }
    let count = r.array()?;
    let mut excluded = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        excluded.push(r.str()?.to_owned());
    }
    let count = r.map()?;
    let mut serialized = Vec::with_capacity(count.min(8));
    for _ in 0..count {
        let name = r.str()?.to_owned();
        serialized.push((name, r.bytes()?));
    }
    let result = if n > 3 {
        let invocation_id = r.opt_str()?.unwrap_or_default().to_owned();
        let channel = r.opt_str()?.unwrap_or_default().to_owned();
        (!channel.is_empty()).then_some(ResultReturn {
            invocation_id,
            channel,
        })
    } else {
        None
    };
    Ok(InvocationMessage {
        excluded,
        serialized,
        result,
    })
}

/// Add or remove, as ASP.NET Core's `GroupAction` byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupAction {
    /// 1
    Add,
    /// 2
    Remove,
}

/// A group change for a connection on another server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupCommand {
    /// Echoed in the acknowledgement.
    pub(crate) id: i32,
    /// The sending server: the acknowledgement goes to its ack channel.
    pub(crate) server: String,
    pub(crate) action: GroupAction,
    pub(crate) group: String,
    pub(crate) connection_id: String,
}

pub(crate) fn write_group_command(c: &GroupCommand) -> Vec<u8> {
    let mut w = Writer::with_capacity(16 + c.server.len() + c.group.len() + c.connection_id.len());
    w.array(5);
    w.int(i64::from(c.id));
    w.str(&c.server);
    w.int(match c.action {
        GroupAction::Add => 1,
        GroupAction::Remove => 2,
    });
    w.str(&c.group);
    w.str(&c.connection_id);
    w.out
}

pub(crate) fn read_group_command(payload: &Bytes) -> Result<GroupCommand, WireError> {
    let mut r = Reader::new(payload);
    if r.array()? < 5 {
        return Err(WireError::InsufficientItems("GroupCommand"));
    }
    let id = r.int32()?;
    let server = r.str()?.to_owned();
    let at = r.pos();
    let action = match r.int()? {
        1 => GroupAction::Add,
        2 => GroupAction::Remove,
        _ => return Err(WireError::OutOfRange(at)),
    };
    Ok(GroupCommand {
        id,
        server,
        action,
        group: r.str()?.to_owned(),
        connection_id: r.str()?.to_owned(),
    })
}

pub(crate) fn write_ack(id: i32) -> Vec<u8> {
    let mut w = Writer::with_capacity(6);
    w.array(1);
    w.int(i64::from(id));
    w.out
}

pub(crate) fn read_ack(payload: &Bytes) -> Result<i32, WireError> {
    let mut r = Reader::new(payload);
    if r.array()? < 1 {
        return Err(WireError::InsufficientItems("Ack"));
    }
    r.int32()
}

/// A client's Completion, framed in its protocol, on its way back to the calling server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompletionMessage {
    pub(crate) protocol: String,
    pub(crate) completion: Bytes,
}

pub(crate) fn write_completion(protocol: &str, completion: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(16 + completion.len());
    w.array(2);
    w.str(protocol);
    w.bin(completion);
    w.out
}

pub(crate) fn read_completion(payload: &Bytes) -> Result<CompletionMessage, WireError> {
    let mut r = Reader::new(payload);
    if r.array()? < 2 {
        return Err(WireError::InsufficientItems("CompletionMessage"));
    }
    Ok(CompletionMessage {
        protocol: r.str()?.to_owned(),
        completion: r.bytes()?,
    })
}
