//! How a connection writes a server-to-client invocation: the hub protocol's own
//! Invocation in JSON or MessagePack, or another wire dialect's envelope around the same
//! method and arguments. A message sent to many connections is encoded once per codec.

use signalr_protocol::{Headers, HubMessage, IntoArguments, Invocation, Protocol};

use crate::error::HubError;
use crate::frame::Frame;

/// The number of codec slots a fan-out caches encodings in.
pub(crate) const CODEC_SLOTS: usize = 8;

/// Encodes server-to-client invocations for one kind of connection.
pub(crate) trait Codec: Send + Sync {
    /// Which cache slot (below [`CODEC_SLOTS`]) this codec's encodings share: connections
    /// whose codecs have the same slot receive the same bytes.
    fn slot(&self) -> usize;

    /// An invocation of `method` on the client, with an id when a result is expected.
    fn invocation(
        &self,
        id: Option<&str>,
        method: &str,
        args: &(dyn IntoArguments + Sync),
    ) -> Result<Frame, HubError>;
}

/// The hub protocol's own Invocation message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HubProtocolCodec(pub(crate) Protocol);

impl Codec for HubProtocolCodec {
    fn slot(&self) -> usize {
        match self.0 {
            Protocol::Json => 0,
            Protocol::MessagePack => 1,
        }
    }

    fn invocation(
        &self,
        id: Option<&str>,
        method: &str,
        args: &(dyn IntoArguments + Sync),
    ) -> Result<Frame, HubError> {
        let protocol = self.0;
        let msg = HubMessage::Invocation(Invocation {
            headers: Headers::new(),
            invocation_id: id.map(Into::into),
            target: method.into(),
            arguments: args.to_arguments(protocol)?,
            // ASP.NET Core writes the stream ids element of every MessagePack invocation (an
            // empty array here), and some clients read it unconditionally; JSON leaves it out.
            stream_ids: match protocol {
                Protocol::MessagePack => Some(Vec::new()),
                Protocol::Json => None,
            },
        });
        Frame::encode(protocol, &msg)
    }
}
