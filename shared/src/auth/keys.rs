//! The public keys that verify access tokens, by key id (`kid`). Auth signs with one Ed25519 key made
//! from its secret and publishes the public half; every function that verifies tokens reads the set.
//!
//! Rotation: when auth starts with a new key, the new key is added and every other key is given a
//! `retire_at` one token lifetime (and some slack) away, so the tokens they signed stay valid until they
//! expire. Keys past their `retire_at` are ignored by readers and dropped on the next publish.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// What a retired key is kept beyond the lifetime of the tokens it signed: clock skew between the
/// functions, and the time auth environments still warm with the old key take to go away.
pub const RETIRE_SLACK: Duration = Duration::minutes(5);

/// An Ed25519 public key (32 bytes). Its key id is the first 16 hex digits of its SHA-256.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Refuses bytes that are not a point of the curve.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, String> {
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| "not an Ed25519 public key".to_owned())?;
        Ok(Self(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key id: the first 16 hex digits of the SHA-256 of the 32 key bytes.
    pub fn kid(&self) -> String {
        Sha256::digest(self.0)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Base64url without padding, as a JWK's `x`.
    pub fn to_base64url(&self) -> String {
        B64.encode(self.0)
    }

    pub fn from_base64url(s: &str) -> Result<Self, String> {
        let bytes = B64.decode(s).map_err(|e| format!("not base64url: {e}"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("{} bytes, not 32", b.len()))?;
        Self::from_bytes(bytes)
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.kid())
    }
}

/// One published key.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedKey {
    pub public_key: PublicKey,
    pub added_at: OffsetDateTime,
    /// From then on the key verifies nothing; none while it is auth's current key.
    pub retire_at: Option<OffsetDateTime>,
}

impl PublishedKey {
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.retire_at.is_none_or(|at| at > now)
    }
}

/// The published keys by key id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeySet {
    pub keys: BTreeMap<String, PublishedKey>,
}

impl KeySet {
    /// Makes `key` the current key: added if new (or un-retired if it was retired: a secret put back),
    /// every other key not yet retiring gets `retire_at = now + grace`, and keys retired by `now` are
    /// dropped. Whether anything changed (nothing does when `key` is already the current one).
    pub fn publish(&mut self, key: PublicKey, now: OffsetDateTime, grace: Duration) -> bool {
        let before = self.keys.len();
        self.keys.retain(|_, k| k.is_live(now));
        let mut changed = self.keys.len() != before;
        let kid = key.kid();
        match self.keys.get_mut(&kid) {
            Some(current) if current.retire_at.is_some() => {
                current.retire_at = None;
                changed = true;
            }
            Some(_) => {}
            None => {
                self.keys.insert(
                    kid.clone(),
                    PublishedKey {
                        public_key: key,
                        added_at: now,
                        retire_at: None,
                    },
                );
                changed = true;
            }
        }
        for (id, k) in &mut self.keys {
            if *id != kid && k.retire_at.is_none() {
                k.retire_at = Some(now + grace);
                changed = true;
            }
        }
        changed
    }

    /// The keys that verify tokens at `now`.
    pub fn live(&self, now: OffsetDateTime) -> impl Iterator<Item = (&str, &PublishedKey)> {
        self.keys
            .iter()
            .filter(move |(_, k)| k.is_live(now))
            .map(|(id, k)| (id.as_str(), k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PublicKey {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[n; 32]);
        PublicKey::from_bytes(signing.verifying_key().to_bytes()).unwrap()
    }

    const T0: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);
    const GRACE: Duration = Duration::minutes(20);

    #[test]
    fn the_key_id_is_16_hex_digits_of_the_sha256() {
        let k = key(1);
        let kid = k.kid();
        assert_eq!(kid.len(), 16);
        assert!(kid.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(kid, key(2).kid());
        assert_eq!(PublicKey::from_base64url(&k.to_base64url()).unwrap(), k);
        assert!(PublicKey::from_base64url("AAAA").is_err());
    }

    #[test]
    fn publishing_rotates_and_drops() {
        let mut set = KeySet::default();
        assert!(set.publish(key(1), T0, GRACE));
        assert!(
            !set.publish(key(1), T0 + Duration::hours(1), GRACE),
            "the same key again"
        );

        let t1 = T0 + Duration::hours(2);
        assert!(set.publish(key(2), t1, GRACE));
        let old = &set.keys[&key(1).kid()];
        assert_eq!(old.retire_at, Some(t1 + GRACE));
        assert_eq!(set.live(t1).count(), 2);
        assert_eq!(set.live(t1 + GRACE).count(), 1, "retired at retire_at");
        // A later publish keeps the first retire_at, and drops the key once it is past.
        assert!(!set.publish(key(2), t1 + Duration::minutes(1), GRACE));
        assert_eq!(set.keys[&key(1).kid()].retire_at, Some(t1 + GRACE));
        assert!(set.publish(key(2), t1 + GRACE, GRACE));
        assert_eq!(set.keys.keys().collect::<Vec<_>>(), [&key(2).kid()]);
    }

    #[test]
    fn a_key_put_back_is_current_again() {
        let mut set = KeySet::default();
        set.publish(key(1), T0, GRACE);
        set.publish(key(2), T0 + Duration::minutes(1), GRACE);
        assert!(set.publish(key(1), T0 + Duration::minutes(2), GRACE));
        assert_eq!(set.keys[&key(1).kid()].retire_at, None);
        assert_eq!(
            set.keys[&key(2).kid()].retire_at,
            Some(T0 + Duration::minutes(2) + GRACE)
        );
    }
}
