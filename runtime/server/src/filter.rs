//! Hub filters (ASP.NET Core's `IHubFilter`): code around every invocation, and when a
//! connection starts and ends, for logging, rate limits, authorization and the like.
//!
//! Filters run in the order they were added to the server's builder: the first is the
//! outermost. A filter calls `next.run(call)` to go on, or answers itself (an error, say)
//! to stop the invocation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::clients::Caller;
use crate::error::HubError;
use crate::hub::{BoxFuture, Call, MethodHandler, Reply};

/// A boxed future that may borrow the filter.
pub type FilterFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Code around invocations and connections.
///
/// ```
/// use signalr_server::{Call, FilterFuture, HubError, HubFilter, Next, Reply};
///
/// struct LogCalls;
///
/// impl HubFilter for LogCalls {
///     fn invoke<'a>(&'a self, call: Call, next: Next) -> FilterFuture<'a, Result<Reply, HubError>> {
///         Box::pin(async move {
///             let method = call.method.clone();
///             let reply = next.run(call).await;
///             println!("{method}: {}", if reply.is_ok() { "ok" } else { "failed" });
///             reply
///         })
///     }
/// }
/// ```
pub trait HubFilter: Send + Sync + 'static {
    /// Around one invocation (for a streaming method, around the call that starts the
    /// stream).
    fn invoke<'a>(&'a self, call: Call, next: Next) -> FilterFuture<'a, Result<Reply, HubError>> {
        Box::pin(next.run(call))
    }

    /// When a connection has completed its handshake, before the hub's own hook; an error
    /// closes the connection with that error.
    fn on_connected<'a>(&'a self, caller: &'a Caller) -> FilterFuture<'a, Result<(), HubError>> {
        let _ = caller;
        Box::pin(std::future::ready(Ok(())))
    }

    /// When a connection has ended, after the hub's own hook; `error` is why it ended, if
    /// it ended with an error.
    fn on_disconnected<'a>(
        &'a self,
        caller: &'a Caller,
        error: Option<&'a str>,
    ) -> FilterFuture<'a, ()> {
        let _ = (caller, error);
        Box::pin(std::future::ready(()))
    }
}

/// The rest of the chain: the filters after this one, then the hub method.
pub struct Next {
    filters: Arc<[Arc<dyn HubFilter>]>,
    index: usize,
    handler: MethodHandler,
}

impl fmt::Debug for Next {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("remaining_filters", &(self.filters.len() - self.index))
            .finish_non_exhaustive()
    }
}

impl Next {
    /// Runs the rest of the chain.
    pub fn run(self, call: Call) -> BoxFuture<Result<Reply, HubError>> {
        match self.filters.get(self.index).cloned() {
            None => (self.handler)(call),
            Some(filter) => {
                let next = Next {
                    filters: self.filters,
                    index: self.index + 1,
                    handler: self.handler,
                };
                Box::pin(async move { filter.invoke(call, next).await })
            }
        }
    }
}

/// The filters of a server.
#[derive(Clone, Default)]
pub(crate) struct Filters {
    filters: Option<Arc<[Arc<dyn HubFilter>]>>,
}

impl fmt::Debug for Filters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filters")
            .field("count", &self.filters.as_ref().map_or(0, |f| f.len()))
            .finish()
    }
}

impl Filters {
    pub(crate) fn new(filters: Vec<Arc<dyn HubFilter>>) -> Self {
        Filters {
            filters: (!filters.is_empty()).then(|| filters.into()),
        }
    }

    /// Runs `handler` for `call` through every filter.
    pub(crate) fn invoke(
        &self,
        handler: &MethodHandler,
        call: Call,
    ) -> BoxFuture<Result<Reply, HubError>> {
        match &self.filters {
            None => handler(call),
            Some(filters) => Next {
                filters: filters.clone(),
                index: 0,
                handler: handler.clone(),
            }
            .run(call),
        }
    }

    /// Runs every filter's `on_connected`; the first error ends it.
    pub(crate) async fn connected(&self, caller: &Caller) -> Result<(), HubError> {
        if let Some(filters) = &self.filters {
            for f in filters.iter() {
                f.on_connected(caller).await?;
            }
        }
        Ok(())
    }

    /// Runs every filter's `on_disconnected`.
    pub(crate) async fn disconnected(&self, caller: &Caller, error: Option<&str>) {
        if let Some(filters) = &self.filters {
            for f in filters.iter() {
                f.on_disconnected(caller, error).await;
            }
        }
    }
}
