//! Classic ASP.NET SignalR 2.x (`Microsoft.AspNet.SignalR`), sans-io: the JSON messages of
//! its hubs, the persistent responses that carry them, negotiate, protocol versions and
//! transport names, and the JavaScript hub proxies a classic endpoint serves.
//!
//! Everything is JSON. A client calls a hub with [`HubRequest`]
//! (`{"H":"chathub","M":"Send","A":["bob","hi"],"I":0}`) and is answered with a
//! [`HubResponse`] (`{"R":..,"I":"0"}`); the server calls clients with
//! [`ClientInvocation`]s and reports progress with [`HubProgress`], both inside the `M` of a
//! persistent response ([`ResponseHead::encode`], decoded by [`Received::parse`]), whose
//! cursor `C` is where a reconnecting client resumes.

mod messages;
mod negotiate;
mod object;
pub mod proxy;

pub use messages::{
    ClientInvocation, HubMessage, HubProgress, HubRequest, HubResponse, MAX_STATE_LENGTH, Received,
    ResponseError, ResponseHead, STATE_TOO_LONG,
};
pub use negotiate::{
    ClassicTransport, HubSubscription, NegotiateResponse, ProtocolVersion, parse_connection_data,
};
