//! Wire dialects beside the ASP.NET Core hub protocol, each a layer of its own over the
//! same hubs, registry, authentication, filters and scale-out hook.

pub(crate) mod classic;
