//! What a call to the hub takes: its arguments, among which upload streams
//! ([`ClientStream`]) may stand, as the official clients take a `Subject` or an
//! `IAsyncEnumerable` among the arguments.

use std::fmt;

use futures_util::stream::{BoxStream, Stream, StreamExt};
use serde::Serialize;
use signalr_protocol::{Arguments, ArgumentsWriter, Payload, Protocol, SerializeError};

/// The items of an upload stream, encoded for one protocol (an `Err` carries the text an
/// error Completion ends the upload with).
pub type EncodedItems = BoxStream<'static, Result<Payload<'static>, String>>;

type MakeItems = Box<dyn FnOnce(Protocol) -> EncodedItems + Send>;

/// An upload stream: a Rust [`Stream`] whose items are sent to the server one by one as
/// StreamItem messages after the invocation, then ended with a Completion (an error
/// Completion if the stream yields an error).
///
/// Pass it among the arguments of [`invoke`](crate::HubConnection::invoke),
/// [`send`](crate::HubConnection::send) or [`stream`](crate::HubConnection::stream): it is
/// announced in the invocation's `streamIds` instead of being sent as a value, and the hub
/// method receives it as its streaming parameter (upload streams bind in the order they
/// appear, after the ordinary arguments).
///
/// ```no_run
/// use signalr_hub_client::{ClientStream, HubConnection};
///
/// # async fn run(connection: HubConnection) -> Result<(), signalr_hub_client::ClientError> {
/// let numbers = ClientStream::new(futures_util::stream::iter(1..=10));
/// let sum: i32 = connection.invoke("Sum", (numbers,)).await?;
/// # Ok(()) }
/// ```
pub struct ClientStream {
    make: MakeItems,
}

impl fmt::Debug for ClientStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientStream").finish_non_exhaustive()
    }
}

impl ClientStream {
    /// Uploads every item of `items`.
    pub fn new<S, T>(items: S) -> Self
    where
        S: Stream<Item = T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        ClientStream {
            make: Box::new(move |protocol| {
                items
                    .map(move |item| Payload::serialize(protocol, &item).map_err(|e| e.to_string()))
                    .boxed()
            }),
        }
    }

    /// Uploads every item of `items`; the first error ends the upload with an error
    /// Completion carrying its text.
    pub fn try_new<S, T, E>(items: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Serialize + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        ClientStream {
            make: Box::new(move |protocol| {
                items
                    .map(move |item| match item {
                        Ok(v) => Payload::serialize(protocol, &v).map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    })
                    .boxed()
            }),
        }
    }

    /// The items, encoded for `protocol` (for [`HubClient`](crate::HubClient)
    /// implementations that upload them their own way).
    pub fn encode(self, protocol: Protocol) -> EncodedItems {
        (self.make)(protocol)
    }
}

/// One argument of a call: a value sent as an argument (anything [`Serialize`]), or a
/// [`ClientStream`] uploaded beside the invocation.
pub trait CallArg {
    /// Whether this argument is an upload stream rather than a value.
    fn is_stream(&self) -> bool;

    /// Writes the value into `writer`, or hands the upload stream to `streams`.
    fn write(
        self,
        writer: &mut ArgumentsWriter,
        streams: &mut Vec<ClientStream>,
    ) -> Result<(), SerializeError>;
}

impl<T: Serialize> CallArg for T {
    fn is_stream(&self) -> bool {
        false
    }

    fn write(
        self,
        writer: &mut ArgumentsWriter,
        _: &mut Vec<ClientStream>,
    ) -> Result<(), SerializeError> {
        writer.push(&self)
    }
}

impl CallArg for ClientStream {
    fn is_stream(&self) -> bool {
        true
    }

    fn write(
        self,
        _: &mut ArgumentsWriter,
        streams: &mut Vec<ClientStream>,
    ) -> Result<(), SerializeError> {
        streams.push(self);
        Ok(())
    }
}

/// The arguments of a call: a tuple of [`CallArg`]s (values and upload streams, in any
/// order), `()`, a `Vec` of values, already encoded [`Arguments`], or a [`RawCall`].
pub trait CallArguments {
    /// The encoded values and the upload streams.
    fn into_call(self, protocol: Protocol) -> Result<Call, SerializeError>;
}

/// A call's encoded arguments and its upload streams.
#[derive(Debug)]
pub struct Call {
    pub(crate) arguments: Arguments<'static>,
    pub(crate) streams: Vec<ClientStream>,
}

impl Call {
    /// The encoded values and the upload streams, in the order they were given.
    pub fn into_parts(self) -> (Arguments<'static>, Vec<ClientStream>) {
        (self.arguments, self.streams)
    }
}

/// Arguments encoded beforehand, with upload streams: for code that builds its calls at
/// run time (generated proxies do).
///
/// ```
/// use signalr_hub_client::{Arguments, ClientStream, Protocol, RawCall};
///
/// let arguments = Arguments::empty(Protocol::Json);
/// let call = RawCall::new(Ok(arguments)).with_stream(ClientStream::new(futures_util::stream::iter([1, 2])));
/// ```
#[derive(Debug)]
pub struct RawCall {
    arguments: Result<Arguments<'static>, SerializeError>,
    streams: Vec<ClientStream>,
}

impl RawCall {
    /// A call with `arguments` (the error of encoding them fails the call).
    pub fn new(arguments: Result<Arguments<'static>, SerializeError>) -> Self {
        RawCall {
            arguments,
            streams: Vec::new(),
        }
    }

    /// Adds an upload stream.
    pub fn with_stream(mut self, stream: ClientStream) -> Self {
        self.streams.push(stream);
        self
    }

    /// Adds upload streams.
    pub fn with_streams(mut self, streams: impl IntoIterator<Item = ClientStream>) -> Self {
        self.streams.extend(streams);
        self
    }
}

fn same_protocol(
    arguments: Arguments<'static>,
    protocol: Protocol,
) -> Result<Arguments<'static>, SerializeError> {
    if arguments.protocol() == protocol {
        Ok(arguments)
    } else {
        Err(SerializeError {
            message: format!(
                "arguments encoded as {:?} for a {:?} connection",
                arguments.protocol(),
                protocol
            ),
        })
    }
}

impl CallArguments for RawCall {
    fn into_call(self, protocol: Protocol) -> Result<Call, SerializeError> {
        Ok(Call {
            arguments: same_protocol(self.arguments?, protocol)?,
            streams: self.streams,
        })
    }
}

impl CallArguments for Arguments<'static> {
    fn into_call(self, protocol: Protocol) -> Result<Call, SerializeError> {
        RawCall::new(Ok(self)).into_call(protocol)
    }
}

impl CallArguments for () {
    fn into_call(self, protocol: Protocol) -> Result<Call, SerializeError> {
        RawCall::new(Ok(Arguments::empty(protocol))).into_call(protocol)
    }
}

impl<T: Serialize> CallArguments for Vec<T> {
    fn into_call(self, protocol: Protocol) -> Result<Call, SerializeError> {
        let mut writer = Arguments::writer(protocol, self.len());
        for value in &self {
            writer.push(value)?;
        }
        RawCall::new(Ok(writer.finish())).into_call(protocol)
    }
}

macro_rules! tuple_call {
    ($($name:ident),+) => {
        impl<$($name: CallArg),+> CallArguments for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_call(self, protocol: Protocol) -> Result<Call, SerializeError> {
                let ($($name,)+) = self;
                let values = 0 $(+ usize::from(!$name.is_stream()))+;
                let mut writer = Arguments::writer(protocol, values);
                let mut streams = Vec::new();
                $($name.write(&mut writer, &mut streams)?;)+
                Ok(Call { arguments: writer.finish(), streams })
            }
        }
    };
}

tuple_call!(A);
tuple_call!(A, B);
tuple_call!(A, B, C);
tuple_call!(A, B, C, D);
tuple_call!(A, B, C, D, E);
tuple_call!(A, B, C, D, E, F);
tuple_call!(A, B, C, D, E, F, G);
tuple_call!(A, B, C, D, E, F, G, H);
tuple_call!(A, B, C, D, E, F, G, H, I);
tuple_call!(A, B, C, D, E, F, G, H, I, J);
tuple_call!(A, B, C, D, E, F, G, H, I, J, K);
tuple_call!(A, B, C, D, E, F, G, H, I, J, K, L);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn streams_are_taken_out_of_the_arguments() {
        for p in Protocol::ALL {
            let call = (1, ClientStream::new(futures_util::stream::iter([1])), "x")
                .into_call(p)
                .unwrap();
            assert_eq!(call.streams.len(), 1);
            let mut b = call.arguments.binder(2).unwrap();
            assert_eq!(b.next_arg::<i32>().unwrap(), 1);
            assert_eq!(b.next_arg::<String>().unwrap(), "x");
            let call = (ClientStream::new(futures_util::stream::empty::<i32>()),)
                .into_call(p)
                .unwrap();
            assert_eq!((call.arguments.len(), call.streams.len()), (0, 1));
            let call = ().into_call(p).unwrap();
            assert_eq!((call.arguments.len(), call.streams.len()), (0, 0));
            let call = vec!["a", "b"].into_call(p).unwrap();
            assert_eq!(call.arguments.len(), 2);
        }
        let json = (1,).into_call(Protocol::Json).unwrap().arguments;
        assert!(json.into_call(Protocol::MessagePack).is_err());
        let failed = RawCall::new(Err(SerializeError {
            message: "bad".into(),
        }));
        assert!(failed.into_call(Protocol::Json).is_err());
    }
}
