//! The Redis channel names of ASP.NET Core's Redis backplane.
//!
//! Every name is `{channel prefix}{hub name}:{suffix}`, concatenated as-is: no escaping of
//! group names, user ids or connection ids (a `:` inside one stays a `:`), and no separator
//! after the channel prefix (StackExchange.Redis prepends it raw).

/// The channels of one hub on one server.
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    /// `{prefix}{hub}:`, the start of every channel.
    base: String,
    /// `…:internal:ack:{server}`: acknowledgements of this server's group commands.
    ack: String,
    /// `…:internal:return:{server}`: client results for this server's invocations.
    ret: String,
}

/// What an incoming channel is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Incoming<'a> {
    /// `…:all`
    All,
    /// `…:connection:{id}`
    Connection(&'a str),
    /// `…:group:{name}`
    Group(&'a str),
    /// `…:user:{id}`
    User(&'a str),
    /// `…:internal:groups`
    GroupCommands,
    /// This server's `…:internal:ack:{server}`
    Ack,
    /// This server's `…:internal:return:{server}`
    Return,
}

impl Channels {
    /// The channels of hub `hub` (ASP.NET Core: the hub type's full name) under `prefix`
    /// (StackExchange.Redis's `ChannelPrefix`, often empty), for server `server`.
    pub(crate) fn new(prefix: &str, hub: &str, server: &str) -> Self {
        let base = format!("{prefix}{hub}:");
        Channels {
            ack: format!("{base}internal:ack:{server}"),
            ret: format!("{base}internal:return:{server}"),
            base,
        }
    }

    /// `…:all`: every connection of the hub.
    pub(crate) fn all(&self) -> String {
        format!("{}all", self.base)
    }

    /// `…:connection:{id}`: one connection.
    pub(crate) fn connection(&self, id: &str) -> String {
        format!("{}connection:{id}", self.base)
    }

    /// `…:group:{name}`: one group.
    pub(crate) fn group(&self, name: &str) -> String {
        format!("{}group:{name}", self.base)
    }

    /// `…:user:{id}`: every connection of one user.
    pub(crate) fn user(&self, id: &str) -> String {
        format!("{}user:{id}", self.base)
    }

    /// `…:internal:groups`: group add/remove commands, read by every server.
    pub(crate) fn group_commands(&self) -> String {
        format!("{}internal:groups", self.base)
    }

    /// `…:internal:ack:{server}` for another server (named in its group command).
    pub(crate) fn ack_for(&self, server: &str) -> String {
        format!("{}internal:ack:{server}", self.base)
    }

    /// This server's acknowledgement channel.
    pub(crate) fn ack(&self) -> &str {
        &self.ack
    }

    /// This server's client-result return channel.
    pub(crate) fn ret(&self) -> &str {
        &self.ret
    }

    /// What a channel this server subscribed to is for; `None` for any other channel.
    pub(crate) fn classify<'c>(&self, channel: &'c [u8]) -> Option<Incoming<'c>> {
        let channel = std::str::from_utf8(channel).ok()?;
        if channel == self.ack {
            return Some(Incoming::Ack);
        }
        if channel == self.ret {
            return Some(Incoming::Return);
        }
        let rest = channel.strip_prefix(self.base.as_str())?;
        if rest == "all" {
            Some(Incoming::All)
        } else if rest == "internal:groups" {
            Some(Incoming::GroupCommands)
        } else if let Some(id) = rest.strip_prefix("connection:") {
            Some(Incoming::Connection(id))
        } else if let Some(name) = rest.strip_prefix("group:") {
            Some(Incoming::Group(name))
        } else {
            rest.strip_prefix("user:").map(Incoming::User)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_asp_net_cores() {
        let c = Channels::new("", "MyApp.ChatHub", "web1_0123");
        assert_eq!(c.all(), "MyApp.ChatHub:all");
        assert_eq!(c.connection("abc"), "MyApp.ChatHub:connection:abc");
        assert_eq!(c.group("g:1"), "MyApp.ChatHub:group:g:1");
        assert_eq!(c.user("bob"), "MyApp.ChatHub:user:bob");
        assert_eq!(c.group_commands(), "MyApp.ChatHub:internal:groups");
        assert_eq!(c.ack(), "MyApp.ChatHub:internal:ack:web1_0123");
        assert_eq!(c.ack_for("x"), "MyApp.ChatHub:internal:ack:x");
        assert_eq!(c.ret(), "MyApp.ChatHub:internal:return:web1_0123");
    }

    #[test]
    fn the_prefix_is_prepended_raw() {
        let c = Channels::new("MyApp", "Chat.ChatHub", "s");
        assert_eq!(c.all(), "MyAppChat.ChatHub:all");
    }

    #[test]
    fn incoming_channels_are_classified() {
        let c = Channels::new("p", "Hub", "me");
        assert_eq!(c.classify(b"pHub:all"), Some(Incoming::All));
        assert_eq!(c.classify(b"pHub:group:a:b"), Some(Incoming::Group("a:b")));
        assert_eq!(c.classify(b"pHub:user:u"), Some(Incoming::User("u")));
        assert_eq!(
            c.classify(b"pHub:connection:c"),
            Some(Incoming::Connection("c"))
        );
        assert_eq!(
            c.classify(b"pHub:internal:groups"),
            Some(Incoming::GroupCommands)
        );
        assert_eq!(c.classify(b"pHub:internal:ack:me"), Some(Incoming::Ack));
        assert_eq!(
            c.classify(b"pHub:internal:return:me"),
            Some(Incoming::Return)
        );
        assert_eq!(c.classify(b"pHub:internal:ack:other"), None);
        assert_eq!(c.classify(b"Hub:all"), None);
        assert_eq!(c.classify(b"pOther:all"), None);
    }
}
