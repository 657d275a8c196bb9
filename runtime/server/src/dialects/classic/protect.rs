//! Protected tokens: the connection token (`{connectionId}:{userName}`) and the groups
//! token (`{connectionId}:["Hub.group",...]`) a classic server hands its clients and takes
//! back on later requests.
//!
//! The classic server encrypts them with the host's data protection; a compatible server
//! may use any scheme that makes them unforgeable. Here each token is its text and an
//! HMAC-SHA-256 over the purpose and the text, keyed with 32 random bytes drawn when the
//! endpoint is built: a token from another server, another purpose, or with one bit
//! changed is refused. Base64, as the classic tokens are.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What a connection token is for (the classic server's purpose string).
pub(super) const CONNECTION_TOKEN: &str = "SignalR.ConnectionToken";
/// What a groups token is for.
pub(super) const GROUPS: &str = "SignalR.Groups.v1.1";

const MAC_LEN: usize = 32;

/// Protects and checks tokens with one endpoint's key.
pub(super) struct Protector {
    key: [u8; 32],
}

impl std::fmt::Debug for Protector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Protector")
    }
}

impl Protector {
    /// A protector with a new random key (two version 4 UUIDs: 244 bits from the operating
    /// system's generator, as every connection id of the server).
    pub(super) fn new() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Protector { key }
    }

    fn mac(&self, purpose: &str, text: &[u8]) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC; this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(text);
        mac
    }

    /// `text` protected for `purpose`.
    pub(super) fn protect(&self, purpose: &str, text: &str) -> String {
        let tag = self.mac(purpose, text.as_bytes()).finalize().into_bytes();
        let mut raw = Vec::with_capacity(text.len() + MAC_LEN);
        raw.extend_from_slice(text.as_bytes());
        raw.extend_from_slice(&tag);
        STANDARD.encode(raw)
    }

    /// The text of a token protected for `purpose` by this endpoint; `None` for anything
    /// else.
    pub(super) fn unprotect(&self, purpose: &str, token: &str) -> Option<String> {
        let raw = STANDARD.decode(token.trim()).ok()?;
        let split = raw.len().checked_sub(MAC_LEN)?;
        let (text, tag) = raw.split_at(split);
        self.mac(purpose, text).verify_slice(tag).ok()?;
        String::from_utf8(text.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tokens_are_bound_to_their_key_purpose_and_text() {
        let p = Protector::new();
        let token = p.protect(CONNECTION_TOKEN, "abc:ada");
        assert_eq!(p.unprotect(CONNECTION_TOKEN, &token).unwrap(), "abc:ada");
        assert_eq!(p.unprotect(GROUPS, &token), None);
        assert_eq!(Protector::new().unprotect(CONNECTION_TOKEN, &token), None);
        let mut raw = STANDARD.decode(&token).unwrap();
        raw[0] ^= 1;
        assert_eq!(p.unprotect(CONNECTION_TOKEN, &STANDARD.encode(&raw)), None);
        for bad in ["", "!!", "AAAA", &token[..token.len() - 4]] {
            assert_eq!(p.unprotect(CONNECTION_TOKEN, bad), None, "{bad}");
        }
    }
}
