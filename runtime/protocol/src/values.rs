//! Rust values as invocation arguments, and back: what typed proxies, receivers and both
//! connection ends use to encode arguments in a connection's protocol and bind them again.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{BindError, SerializeError};
use crate::payload::Arguments;
use crate::protocol::Protocol;

/// Values that can be sent as the arguments of an invocation: `()`, tuples of up to eight
/// serializable values, a `Vec` of one type, or already encoded [`Arguments`].
///
/// Arguments are encoded when the call is made, in the connection's protocol.
pub trait IntoArguments {
    /// Encodes the arguments in `protocol`.
    fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError>;
}

impl IntoArguments for () {
    fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError> {
        Ok(Arguments::empty(protocol))
    }
}

impl<T: Serialize> IntoArguments for Vec<T> {
    fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError> {
        let mut w = Arguments::writer(protocol, self.len());
        for v in self {
            w.push(v)?;
        }
        Ok(w.finish())
    }
}

impl IntoArguments for Arguments<'_> {
    fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError> {
        if self.protocol() != protocol {
            return Err(SerializeError {
                message: format!(
                    "{:?} arguments on a {:?} connection",
                    self.protocol(),
                    protocol
                ),
            });
        }
        Ok(self.clone().into_owned())
    }
}

/// Arguments encoded ahead of time, or the error encoding them met (reported by the call).
impl IntoArguments for Result<Arguments<'static>, SerializeError> {
    fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError> {
        match self {
            Ok(args) => args.to_arguments(protocol),
            Err(e) => Err(e.clone()),
        }
    }
}

impl<T: IntoArguments + ?Sized> IntoArguments for &T {
    fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError> {
        (**self).to_arguments(protocol)
    }
}

/// Values a client method's arguments can be bound to: `()`, tuples of up to eight
/// deserializable values, or the raw [`Arguments`] themselves.
pub trait FromArguments: Sized {
    /// Binds `args`; fails if the count or a type does not match.
    fn from_arguments(args: &Arguments<'_>) -> Result<Self, BindError>;
}

impl FromArguments for () {
    fn from_arguments(args: &Arguments<'_>) -> Result<Self, BindError> {
        args.binder(0).map(|_| ())
    }
}

impl FromArguments for Arguments<'static> {
    fn from_arguments(args: &Arguments<'_>) -> Result<Self, BindError> {
        Ok(args.clone().into_owned())
    }
}

macro_rules! tuple_arguments {
    ($n:expr; $($name:ident),+) => {
        impl<$($name: Serialize),+> IntoArguments for ($($name,)+) {
            #[allow(non_snake_case)]
            fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError> {
                let ($($name,)+) = self;
                let mut w = Arguments::writer(protocol, $n);
                $(w.push($name)?;)+
                Ok(w.finish())
            }
        }

        impl<$($name: DeserializeOwned),+> FromArguments for ($($name,)+) {
            fn from_arguments(args: &Arguments<'_>) -> Result<Self, BindError> {
                let mut b = args.binder($n)?;
                Ok(($(b.next_arg::<$name>()?,)+))
            }
        }
    };
}

tuple_arguments!(1; A);
tuple_arguments!(2; A, B);
tuple_arguments!(3; A, B, C);
tuple_arguments!(4; A, B, C, D);
tuple_arguments!(5; A, B, C, D, E);
tuple_arguments!(6; A, B, C, D, E, F);
tuple_arguments!(7; A, B, C, D, E, F, G);
tuple_arguments!(8; A, B, C, D, E, F, G, H);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_round_trip_in_both_protocols() {
        for p in Protocol::ALL {
            let args = (1i32, "two", vec![3u8]).to_arguments(p).unwrap();
            assert_eq!(args.len(), 3);
            let (a, b, c): (i32, String, Vec<u8>) = FromArguments::from_arguments(&args).unwrap();
            assert_eq!((a, b.as_str(), c), (1, "two", vec![3]));
            assert!(<(i32,)>::from_arguments(&args).is_err());
            assert!(().to_arguments(p).unwrap().is_empty());
            assert_eq!(vec![1, 2].to_arguments(p).unwrap().len(), 2);
        }
        let json = (1,).to_arguments(Protocol::Json).unwrap();
        assert!(json.to_arguments(Protocol::MessagePack).is_err());
        assert_eq!(json.to_arguments(Protocol::Json).unwrap(), json);
    }
}
