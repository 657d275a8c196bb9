//! The JavaScript hub proxies a classic endpoint serves at `{url}/hubs` (and `{url}/js`):
//! a script for the jQuery client (`jquery.signalR`) that creates `$.connection.hub` on the
//! endpoint and a proxy per hub, `$.connection.{hub}.server.{method}(...)` calling the hub
//! and `$.connection.{hub}.client.{method} = function (...) {...}` receiving its calls.
//!
//! Hub and method names are camel-cased as the classic server does (the first letter of each
//! dotted segment lower-cased); the calls name methods as the hub registered them.

use crate::json::write_str;

/// What the proxy of one hub is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyHub {
    /// The hub's name (`Conformance`; the proxy is `conformance`).
    pub name: String,
    /// The methods clients call.
    pub methods: Vec<ProxyMethod>,
}

/// One method of a hub proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyMethod {
    /// The name calls send (`EchoPerson`; the proxy's function is `echoPerson`).
    pub name: String,
    /// The names of the parameters a caller passes, in order (cosmetic: every argument
    /// given is sent).
    pub params: Vec<String>,
}

/// The error the script throws when the jQuery client is not loaded before it.
const NOT_LOADED: &str = "SignalR: SignalR is not loaded. Please ensure jquery.signalR-x.js is referenced before ~/signalr/js.";

/// The script that replaces the proxies when an endpoint serves none.
pub const DISABLED: &str =
    "throw new Error('SignalR: JavaScript Hub proxy generation has been disabled.');";

/// `name` with the first letter of each dotted segment lower-cased.
pub fn camel_case(name: &str) -> String {
    name.split('.')
        .map(|segment| {
            let mut chars = segment.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A parameter name JavaScript accepts: the name itself when it is a plain identifier,
/// otherwise one made of its ASCII letters and digits, prefixed so it is no keyword.
fn js_param(name: &str, index: usize) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        && !name.as_bytes()[0].is_ascii_digit();
    if plain && !crate::names::JS_RESERVED_WORDS.contains(&name) {
        return name.to_owned();
    }
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    format!("_{cleaned}{index}")
}

fn js_string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_str(&mut out, s);
    // `write_str` leaves `<`, `>` and U+2028/U+2029 as they are: escape them so the text
    // can never close a script element or end a line inside the literal.
    String::from_utf8_lossy(&out)
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The proxies of `hubs` (sorted by name, their methods by name) for an endpoint at
/// `service_url` (`/signalr`).
pub fn javascript(hubs: &[ProxyHub], service_url: &str) -> String {
    let mut hubs: Vec<&ProxyHub> = hubs.iter().collect();
    hubs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut body = String::new();
    for hub in hubs {
        let proxy = js_string(&camel_case(&hub.name));
        body.push_str(&format!(
            "        proxies[{proxy}] = this.createHubProxy({proxy});\n        proxies[{proxy}].client = {{ }};\n        proxies[{proxy}].server = {{"
        ));
        let mut methods: Vec<&ProxyMethod> = hub.methods.iter().collect();
        methods.sort_by(|a, b| a.name.cmp(&b.name));
        methods.dedup_by(|a, b| a.name == b.name);
        for (i, m) in methods.iter().enumerate() {
            let params: Vec<String> = m
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| js_param(p, i))
                .collect();
            body.push_str(if i == 0 { "\n" } else { ",\n" });
            body.push_str(&format!(
                "            {}: function ({}) {{\n                return proxies[{proxy}].invoke.apply(proxies[{proxy}], $.merge([{}], $.makeArray(arguments)));\n            }}",
                js_string(&camel_case(&m.name)),
                params.join(", "),
                js_string(&m.name),
            ));
        }
        body.push_str("\n        };\n\n");
    }
    let url = js_string(service_url);
    format!(
        r#"/*!
 * Hub proxies for the ASP.NET SignalR JavaScript client (jquery.signalR), generated from the
 * hub contracts this endpoint serves.
 */
(function ($, window, undefined) {{
    "use strict";

    if (typeof ($.signalR) !== "function") {{
        throw new Error({not_loaded});
    }}

    var signalR = $.signalR;

    // Subscribes (or unsubscribes) every function of each proxy's `client` object as the
    // handler of the client method of its name; the function itself identifies it.
    function bindClientMethods(proxies, subscribe) {{
        var name, proxy, method, handler;
        for (name in proxies) {{
            if (!Object.prototype.hasOwnProperty.call(proxies, name)) {{ continue; }}
            proxy = proxies[name];
            if (!proxy.hubName) {{ continue; }}
            for (method in proxy.client) {{
                if (!Object.prototype.hasOwnProperty.call(proxy.client, method)) {{ continue; }}
                handler = proxy.client[method];
                if (typeof handler !== "function") {{ continue; }}
                if (subscribe) {{
                    proxy.on(method, forward(proxy, handler), handler);
                }} else {{
                    proxy.off(method, forward(proxy, handler), handler);
                }}
            }}
        }}
    }}

    function forward(proxy, handler) {{
        return function () {{
            handler.apply(proxy, $.makeArray(arguments));
        }};
    }}

    $.hubConnection.prototype.createHubProxies = function () {{
        var proxies = {{}};
        this.starting(function () {{
            bindClientMethods(proxies, true);
            this._registerSubscribedHubs();
        }}).disconnected(function () {{
            bindClientMethods(proxies, false);
        }});

{body}        return proxies;
    }};

    signalR.hub = $.hubConnection({url}, {{ useDefaultPath: false }});
    $.extend(signalR, signalR.hub.createHubProxies());

}}(window.jQuery, window));
"#,
        not_loaded = js_string(NOT_LOADED),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_camel_cased_per_segment() {
        assert_eq!(camel_case("ChatHub"), "chatHub");
        assert_eq!(camel_case("My.ChatHub"), "my.chatHub");
        assert_eq!(camel_case("x"), "x");
        assert_eq!(camel_case(""), "");
    }

    #[test]
    fn the_script_has_one_proxy_per_hub() {
        let hubs = [ProxyHub {
            name: "Conformance".into(),
            methods: vec![
                ProxyMethod {
                    name: "EchoPerson".into(),
                    params: vec!["person".into()],
                },
                ProxyMethod {
                    name: "Add".into(),
                    params: vec!["a".into(), "b".into(), "class".into(), "x-y".into()],
                },
            ],
        }];
        let js = javascript(&hubs, "/signal\"r</script>");
        assert!(js.contains(r#"proxies["conformance"] = this.createHubProxy("conformance");"#));
        assert!(
            js.contains(r#""add": function (a, b, _class2, _xy3) {"#),
            "{js}"
        );
        assert!(js.contains(r#"$.merge(["EchoPerson"], $.makeArray(arguments))"#));
        assert!(js.find("\"add\"") < js.find("\"echoPerson\""));
        assert!(
            js.contains(r#"$.hubConnection("/signal\"r\u003c/script\u003e""#),
            "{js}"
        );
    }
}
