//! EdDSA (Ed25519) access tokens. Only auth holds a [`Signer`], made from its secret; every function
//! verifies with [`Tokens`], which knows the published public keys by key id (`kid`). One validation
//! everywhere: the algorithm is pinned to EdDSA, the key is the one the `kid` names, and issuer,
//! audience, expiry, not-before, issued-at and subject are all required and checked.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::keys::{KeySet, PublicKey, RETIRE_SLACK};
use super::Role;
use crate::error::{ApiError, StoreError};
use crate::ports::SigningKeys;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// The user's token version when it was issued: a password or role change bumps it, which
    /// signs out every older token where the user is read from the store.
    #[serde(default)]
    pub ver: u64,
}

/// `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_TTL_SECONDS` (see `config::token_settings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub ttl_seconds: i64,
}

pub const MIN_SECRET_BYTES: usize = 32;

/// How often at most a verifier re-reads the keys for a token whose key id it does not know.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Signs tokens with the Ed25519 key whose 32-byte seed is the SHA-256 of auth's secret: the same
/// secret makes the same key (and key id) in every auth environment. Debug never prints the key.
pub struct Signer {
    encoding: EncodingKey,
    header: Header,
    public_key: PublicKey,
    kid: String,
    settings: TokenSettings,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn new(secret: &[u8], settings: &TokenSettings) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the JWT secret must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        let seed: [u8; 32] = Sha256::digest(secret).into();
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| format!("encoding the signing key: {e}"))?;
        let public_key = PublicKey::from_bytes(signing.verifying_key().to_bytes())?;
        let kid = public_key.kid();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            header,
            public_key,
            kid,
            settings: settings.clone(),
        })
    }

    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.settings.ttl_seconds
    }

    /// How long a key this one replaces keeps verifying: a token lifetime and some slack.
    pub fn retire_grace(&self) -> time::Duration {
        time::Duration::seconds(self.settings.ttl_seconds) + RETIRE_SLACK
    }

    pub fn issue(&self, username: &str, role: Role, version: u64, now: OffsetDateTime) -> String {
        let iat = now.unix_timestamp();
        let claims = Claims {
            sub: username.to_owned(),
            role,
            iat,
            nbf: iat,
            exp: iat + self.settings.ttl_seconds,
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            ver: version,
        };
        encode(&self.header, &claims, &self.encoding)
            .expect("EdDSA signing with a valid key cannot fail")
    }

    /// The header `issue` puts on tokens (EdDSA, this key's id), and the key: for tests that craft
    /// tokens by hand.
    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// A verifier that trusts this key only, and never reads a store (tests, tools).
    pub fn verifier(&self) -> Tokens {
        let mut keys = KeySet::default();
        keys.publish(
            self.public_key,
            OffsetDateTime::now_utc(),
            self.retire_grace(),
        );
        Tokens::new(&self.settings, &keys)
    }
}

/// What auth's key ids look like (`PublicKey::kid`): 16 lowercase hex digits.
fn is_kid(kid: &str) -> bool {
    kid.len() == 16
        && kid
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Verifies tokens against the published keys. Cheap to clone (the clones share the keys). The
/// lookup of a known key id takes a read lock for a moment; a token whose key id is unknown (or whose
/// key retired) makes it re-read the keys from the store, at most once every `refresh_every`, so a
/// rotation is seen without a restart. Debug shows key ids only.
#[derive(Clone)]
pub struct Tokens {
    inner: Arc<Verifier>,
}

struct Verifier {
    validation: Validation,
    settings: TokenSettings,
    keys: RwLock<Arc<HashMap<String, Trusted>>>,
    source: Option<Box<dyn KeySource>>,
    refresh_every: std::time::Duration,
    /// When the keys were last re-read for an unknown key id; held while one is re-read, so that the
    /// callers waiting on it see its answer rather than read again.
    last_refresh: futures_util::lock::Mutex<Option<Instant>>,
    /// When the keys were last read (or a read last failed): past `RECHECK_EVERY` they are read again
    /// before a token is checked, so that a key retired in the store stops verifying here too even if no
    /// token with a new key id ever comes.
    read_at: std::sync::Mutex<Instant>,
    recheck_every: std::time::Duration,
}

/// How long a verifier trusts the keys it read without reading them again.
pub const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

#[derive(Clone)]
struct Trusted {
    key: DecodingKey,
    retire_at: Option<OffsetDateTime>,
}

type LoadKeys<'a> = Pin<Box<dyn Future<Output = Result<KeySet, StoreError>> + Send + 'a>>;

/// `SigningKeys::load` behind a pointer, so that `Tokens` need not be generic over the store.
trait KeySource: Send + Sync {
    fn load_keys(&self) -> LoadKeys<'_>;
}

impl<S: SigningKeys> KeySource for S {
    fn load_keys(&self) -> LoadKeys<'_> {
        Box::pin(self.load())
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self.current();
        let mut kids: Vec<&String> = keys.keys().collect();
        kids.sort();
        f.debug_struct("Tokens")
            .field("issuer", &self.inner.settings.issuer)
            .field("audience", &self.inner.settings.audience)
            .field("kids", &kids)
            .field("refreshing", &self.inner.source.is_some())
            .finish_non_exhaustive()
    }
}

enum Rejected {
    /// The reason, for the log.
    Token(String),
    /// No live key has this id.
    UnknownKid(String),
}

impl Tokens {
    /// A verifier of a fixed set of keys.
    pub fn new(settings: &TokenSettings, keys: &KeySet) -> Self {
        Self::build(settings, keys, None, REFRESH_EVERY)
    }

    /// A verifier of `keys` (as read from `store`) that re-reads `store` for an unknown key id, at most
    /// once every `refresh_every`.
    pub fn refreshing<S: SigningKeys + 'static>(
        settings: &TokenSettings,
        store: S,
        keys: &KeySet,
        refresh_every: std::time::Duration,
    ) -> Self {
        Self::build(settings, keys, Some(Box::new(store)), refresh_every)
    }

    /// Reads the keys from `store` (cold start), and re-reads them as `refreshing` says, every 30 s at
    /// most.
    pub async fn load<S: SigningKeys + 'static>(
        settings: &TokenSettings,
        store: S,
    ) -> Result<Self, StoreError> {
        let keys = store.load().await?;
        if keys.live(OffsetDateTime::now_utc()).next().is_none() {
            tracing::warn!("no token key is published yet: auth publishes its own at cold start");
        }
        Ok(Self::refreshing(settings, store, &keys, REFRESH_EVERY))
    }

    fn build(
        settings: &TokenSettings,
        keys: &KeySet,
        source: Option<Box<dyn KeySource>>,
        refresh_every: std::time::Duration,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            inner: Arc::new(Verifier {
                validation,
                settings: settings.clone(),
                keys: RwLock::new(Arc::new(trusted(keys))),
                source,
                refresh_every,
                last_refresh: futures_util::lock::Mutex::new(None),
                read_at: std::sync::Mutex::new(Instant::now()),
                recheck_every: RECHECK_EVERY,
            }),
        }
    }

    /// Another interval than `RECHECK_EVERY` between reads of the keys (tests). Only on a verifier not yet
    /// cloned.
    pub fn recheck_every(mut self, every: std::time::Duration) -> Self {
        let inner = Arc::get_mut(&mut self.inner);
        debug_assert!(
            inner.is_some(),
            "recheck_every on a verifier already cloned"
        );
        if let Some(inner) = inner {
            inner.recheck_every = every;
        }
        self
    }

    /// The key ids this verifier trusts now.
    pub fn kids(&self) -> Vec<String> {
        let now = OffsetDateTime::now_utc();
        let mut kids: Vec<String> = self
            .current()
            .iter()
            .filter(|(_, t)| t.retire_at.is_none_or(|at| at > now))
            .map(|(kid, _)| kid.clone())
            .collect();
        kids.sort();
        kids
    }

    fn current(&self) -> Arc<HashMap<String, Trusted>> {
        Arc::clone(&self.inner.keys.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The live key of `kid`, if any.
    fn key(&self, kid: &str) -> Option<DecodingKey> {
        let now = OffsetDateTime::now_utc();
        self.current()
            .get(kid)
            .filter(|t| t.retire_at.is_none_or(|at| at > now))
            .map(|t| t.key.clone())
    }

    /// Any problem with the token is the same 401 for the client; the reason goes to the log only.
    pub async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        if self.read_age() >= self.inner.recheck_every {
            self.recheck().await;
        }
        let checked = match self.check(token) {
            Err(Rejected::UnknownKid(kid)) => match self.refresh_for(&kid).await {
                Ok(true) => self.check(token),
                Ok(false) => Err(Rejected::Token(format!("unknown key id {kid:?}"))),
                Err(why) => Err(Rejected::Token(why)),
            },
            other => other,
        };
        checked.map_err(|rejected| {
            let reason = match rejected {
                Rejected::Token(why) => why,
                Rejected::UnknownKid(kid) => format!("unknown key id {kid:?}"),
            };
            tracing::info!(%reason, "rejected bearer token");
            ApiError::unauthorized("the access token is missing, invalid or expired")
        })
    }

    fn check(&self, token: &str) -> Result<Claims, Rejected> {
        let header = decode_header(token).map_err(|e| Rejected::Token(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(Rejected::Token(format!("algorithm {:?}", header.alg)));
        }
        let kid = header
            .kid
            .ok_or_else(|| Rejected::Token("no key id".into()))?;
        // Only a key id of the shape auth makes may cause a re-read, or reach the log.
        if !is_kid(&kid) {
            return Err(Rejected::Token(format!(
                "a key id that is not 16 hex digits ({} bytes)",
                kid.len()
            )));
        }
        let key = self.key(&kid).ok_or(Rejected::UnknownKid(kid))?;
        decode::<Claims>(token, &key, &self.inner.validation)
            .map(|data| data.claims)
            .map_err(|e| Rejected::Token(e.to_string()))
    }

    /// Re-reads the keys for a token whose key id is not among the live ones, unless they were re-read
    /// less than `refresh_every` ago: whether `kid` is known now.
    async fn refresh_for(&self, kid: &str) -> Result<bool, String> {
        let Some(source) = &self.inner.source else {
            return Ok(false);
        };
        let mut last = self.inner.last_refresh.lock().await;
        // Another caller may have re-read them while this one waited.
        if self.key(kid).is_some() {
            return Ok(true);
        }
        if last.is_some_and(|at| at.elapsed() < self.inner.refresh_every) {
            return Ok(false);
        }
        *last = Some(Instant::now());
        let keys = source.load_keys().await.map_err(|e| {
            tracing::warn!(error = %e, "could not re-read the token keys");
            format!("unknown key id {kid:?}, and the keys could not be re-read")
        })?;
        self.replace_keys(&keys);
        Ok(self.key(kid).is_some())
    }

    fn read_age(&self) -> std::time::Duration {
        if self.inner.source.is_none() {
            return std::time::Duration::ZERO;
        }
        self.inner
            .read_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    /// Reads the keys again (one caller at a time; the others find them fresh). A failed read keeps the
    /// keys held and is tried again `RECHECK_EVERY` later: the store being down must not sign anyone out.
    async fn recheck(&self) {
        let Some(source) = &self.inner.source else {
            return;
        };
        let mut last = self.inner.last_refresh.lock().await;
        if self.read_age() < self.inner.recheck_every {
            return;
        }
        // A read, as far as the re-read for unknown key ids goes: not another one right after.
        *last = Some(Instant::now());
        match source.load_keys().await {
            Ok(keys) => self.replace_keys(&keys),
            Err(e) => {
                tracing::warn!(error = %e, "could not re-read the token keys: keeping those held");
                *self.inner.read_at.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            }
        }
    }

    fn replace_keys(&self, keys: &KeySet) {
        let trusted = trusted(keys);
        tracing::info!(kids = ?trusted.keys().collect::<Vec<_>>(), "read the token keys");
        *self.inner.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(trusted);
        *self.inner.read_at.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    /// Reads `Authorization: Bearer <token>` and verifies it.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Claims, ApiError> {
        let header = authorization.ok_or_else(|| {
            ApiError::unauthorized("sign in first: the Authorization header is missing")
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        self.verify(token).await
    }
}

/// The decoding keys of a set, by key id; an entry whose id is not its key's is left out.
fn trusted(keys: &KeySet) -> HashMap<String, Trusted> {
    keys.keys
        .iter()
        .filter(|(kid, k)| {
            let ok = **kid == k.public_key.kid();
            if !ok {
                tracing::warn!(%kid, "a published token key is stored under another key's id: ignored");
            }
            ok
        })
        .map(|(kid, k)| {
            let trusted = Trusted {
                key: DecodingKey::from_ed_der(k.public_key.as_bytes()),
                retire_at: k.retire_at,
            };
            (kid.clone(), trusted)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemorySigningKeys;
    use time::Duration;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "analytics".into(),
            audience: "analytics-api".into(),
            ttl_seconds: 900,
        }
    }

    fn signer() -> Signer {
        Signer::new(SECRET, &settings()).unwrap()
    }

    fn other() -> Signer {
        Signer::new(b"another-secret-another-secret-xx", &settings()).unwrap()
    }

    fn bearer(token: &str) -> Option<String> {
        Some(format!("Bearer {token}"))
    }

    /// A store holding `signer`'s key, published at `now`.
    async fn published(signer: &Signer, now: OffsetDateTime) -> MemorySigningKeys {
        let store = MemorySigningKeys::default();
        store
            .publish(&signer.public_key(), now, signer.retire_grace())
            .await
            .unwrap();
        store
    }

    async fn status(tokens: &Tokens, token: &str) -> u16 {
        match tokens.authenticate(bearer(token).as_deref()).await {
            Ok(_) => 200,
            Err(e) => e.status,
        }
    }

    fn claims(now: OffsetDateTime) -> Claims {
        let iat = now.unix_timestamp();
        Claims {
            sub: "ada".into(),
            role: Role::Admin,
            iat,
            nbf: iat,
            exp: iat + 600,
            iss: "analytics".into(),
            aud: "analytics-api".into(),
            ver: 0,
        }
    }

    #[tokio::test]
    async fn a_fresh_token_verifies_with_the_public_key() {
        let s = signer();
        let token = s.issue("ada", Role::Admin, 0, OffsetDateTime::now_utc());
        // The verifier has the public key only.
        let mut keys = KeySet::default();
        keys.publish(
            PublicKey::from_base64url(&s.public_key().to_base64url()).unwrap(),
            OffsetDateTime::now_utc(),
            s.retire_grace(),
        );
        let tokens = Tokens::new(&settings(), &keys);
        let claims = tokens
            .authenticate(bearer(&token).as_deref())
            .await
            .unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), ("ada", Role::Admin));
        assert_eq!(claims.exp - claims.iat, 900);
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(s.kid()));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Signer::new(b"short", &settings()).is_err());
    }

    #[test]
    fn the_same_secret_makes_the_same_key() {
        assert_eq!(signer().kid(), signer().kid());
        assert_eq!(signer().public_key(), signer().public_key());
        assert_eq!(signer().kid(), signer().public_key().kid());
        assert_eq!(signer().kid().len(), 16);
        assert_ne!(signer().kid(), other().kid());
    }

    #[tokio::test]
    async fn hs256_tokens_are_401_whatever_the_secret() {
        let s = signer();
        let tokens = s.verifier();
        let pk = s.public_key();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(s.kid().to_owned());
        let now = OffsetDateTime::now_utc();
        // The public key, in each form an attacker could feed HMAC, the old secret, and its key id.
        let encoded = pk.to_base64url();
        let secrets: [&[u8]; 5] = [
            pk.as_bytes(),
            encoded.as_bytes(),
            SECRET,
            s.kid().as_bytes(),
            b"",
        ];
        for secret in secrets {
            let forged = encode(&header, &claims(now), &EncodingKey::from_secret(secret)).unwrap();
            assert_eq!(status(&tokens, &forged).await, 401, "{secret:?}");
        }
        let mut none = header.clone();
        none.alg = Algorithm::HS512;
        let forged = encode(&none, &claims(now), &EncodingKey::from_secret(SECRET)).unwrap();
        assert_eq!(status(&tokens, &forged).await, 401);
    }

    #[tokio::test]
    async fn another_key_unknown_or_missing_kids_are_401() {
        let s = signer();
        let tokens = s.verifier();
        let now = OffsetDateTime::now_utc();
        let foreign = other().issue("ada", Role::Admin, 0, now);
        // Signed by another key under this key's id.
        let impostor = encode(s.header(), &claims(now), other().encoding_key()).unwrap();
        let mut unknown = s.header().clone();
        unknown.kid = Some("0000000000000000".into());
        let unknown = encode(&unknown, &claims(now), s.encoding_key()).unwrap();
        let no_kid = encode(
            &Header::new(Algorithm::EdDSA),
            &claims(now),
            s.encoding_key(),
        )
        .unwrap();
        let control = encode(s.header(), &claims(now), s.encoding_key()).unwrap();
        assert_eq!(status(&tokens, &control).await, 200);
        for token in [foreign, impostor, unknown, no_kid] {
            assert_eq!(status(&tokens, &token).await, 401, "{token}");
        }
    }

    #[tokio::test]
    async fn bad_tokens_are_401() {
        let s = signer();
        let t = s.verifier();
        let now = OffsetDateTime::now_utc();
        let expired = s.issue("ada", Role::Admin, 0, now - Duration::hours(1));
        let mut no_sub = serde_json::to_value(claims(now)).unwrap();
        no_sub.as_object_mut().unwrap().remove("sub");
        let no_sub = encode(s.header(), &no_sub, s.encoding_key()).unwrap();
        let mut wrong_aud = claims(now);
        wrong_aud.aud = "elsewhere".into();
        let wrong_aud = encode(s.header(), &wrong_aud, s.encoding_key()).unwrap();
        for header in [
            None,
            Some("Basic abc".to_owned()),
            Some("Bearer ".into()),
            Some("Bearer garbage".into()),
            bearer(&expired),
            bearer(&no_sub),
            bearer(&wrong_aud),
        ] {
            let err = t.authenticate(header.as_deref()).await.unwrap_err();
            assert_eq!(err.status, 401, "{header:?}");
        }
    }

    #[tokio::test]
    async fn a_retired_key_verifies_until_its_retire_at() {
        let (old, new) = (other(), signer());
        let now = OffsetDateTime::now_utc();
        let mut keys = KeySet::default();
        keys.publish(
            old.public_key(),
            now - Duration::hours(1),
            old.retire_grace(),
        );
        keys.publish(new.public_key(), now, new.retire_grace());
        let tokens = Tokens::new(&settings(), &keys);
        let token = old.issue("ada", Role::Admin, 0, now);
        assert_eq!(status(&tokens, &token).await, 200);
        // Rotated 20 minutes and a second ago (900 s tokens, 5 min slack): retired.
        let mut keys = KeySet::default();
        keys.publish(
            old.public_key(),
            now - Duration::hours(1),
            old.retire_grace(),
        );
        keys.publish(
            new.public_key(),
            now - old.retire_grace() - Duration::seconds(1),
            new.retire_grace(),
        );
        let tokens = Tokens::new(&settings(), &keys);
        assert_eq!(status(&tokens, &token).await, 401);
        assert_eq!(tokens.kids(), [new.kid()]);
    }

    #[tokio::test]
    async fn an_unknown_kid_re_reads_the_keys_at_most_every_interval() {
        let (first, second, third) = (
            signer(),
            other(),
            Signer::new(b"a-third-secret-a-third-secret-xyz", &settings()).unwrap(),
        );
        let now = OffsetDateTime::now_utc();
        let store = published(&first, now).await;
        let interval = std::time::Duration::from_millis(300);
        let tokens = Tokens::refreshing(
            &settings(),
            store.clone(),
            &store.load().await.unwrap(),
            interval,
        );
        let base = store.loads();
        let token = |s: &Signer| s.issue("ada", Role::Admin, 0, OffsetDateTime::now_utc());
        assert_eq!(status(&tokens, &token(&first)).await, 200);
        assert_eq!(store.loads(), base, "a known key id reads nothing");

        // A new key is published (auth rotated): picked up on the first token that names it.
        store
            .publish(&second.public_key(), now, second.retire_grace())
            .await
            .unwrap();
        assert_eq!(status(&tokens, &token(&second)).await, 200);
        assert_eq!(store.loads(), base + 1);
        assert_eq!(
            status(&tokens, &token(&first)).await,
            200,
            "the old key still verifies"
        );

        // Another within the interval: not read again, 401.
        store
            .publish(&third.public_key(), now, third.retire_grace())
            .await
            .unwrap();
        assert_eq!(status(&tokens, &token(&third)).await, 401);
        assert_eq!(store.loads(), base + 1);
        // Tokens of unknown keys in a burst: no read either.
        for _ in 0..5 {
            assert_eq!(status(&tokens, &token(&other())).await, 200);
            let foreign = Signer::new(b"never-published-never-published!", &settings()).unwrap();
            assert_eq!(status(&tokens, &token(&foreign)).await, 401);
        }
        assert_eq!(store.loads(), base + 1);
        // After the interval, read again.
        tokio::time::sleep(interval).await;
        assert_eq!(status(&tokens, &token(&third)).await, 200);
        assert_eq!(store.loads(), base + 2);
    }

    #[tokio::test]
    async fn a_key_id_not_shaped_like_ours_reads_nothing() {
        let first = signer();
        let now = OffsetDateTime::now_utc();
        let store = published(&first, now).await;
        let tokens = Tokens::load(&settings(), store.clone()).await.unwrap();
        let base = store.loads();
        // The key id is looked at before any signature: a token by hand, signed by nobody.
        let b64 = |v: serde_json::Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let body = b64(
            serde_json::json!({"sub": "ada", "role": "admin", "iat": now.unix_timestamp(),
            "nbf": now.unix_timestamp(), "exp": now.unix_timestamp() + 60, "iss": "analytics",
            "aud": "analytics-api"}),
        );
        for kid in [
            "x".repeat(10_000),
            first.kid().to_uppercase(),
            format!("{}0", first.kid()),
            String::new(),
        ] {
            let header = b64(serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": kid}));
            let token = format!("{header}.{body}.c2lnbmF0dXJl");
            assert_eq!(status(&tokens, &token).await, 401, "{}", kid.len());
        }
        assert_eq!(store.loads(), base, "no re-read for a malformed key id");
    }

    #[tokio::test]
    async fn a_warm_verifier_re_reads_the_keys_and_drops_a_retired_one() {
        let (first, second) = (signer(), other());
        let t0 = OffsetDateTime::now_utc();
        let store = published(&first, t0).await;
        // Long enough that a loaded machine gets through the first checks before it runs out.
        let every = std::time::Duration::from_millis(1500);
        let tokens = Tokens::load(&settings(), store.clone())
            .await
            .unwrap()
            .recheck_every(every);
        let old = first.issue("ada", Role::Admin, 0, t0);
        assert_eq!(status(&tokens, &old).await, 200);
        // Auth rotates, and the old key's retire_at has passed by the time the verifier looks again;
        // no token of the new key comes this way.
        store
            .publish(
                &second.public_key(),
                t0 - Duration::hours(2),
                Duration::seconds(1),
            )
            .await
            .unwrap();
        assert_eq!(status(&tokens, &old).await, 200, "held until the next read");
        tokio::time::sleep(every).await;
        let base = store.loads();
        assert_eq!(
            status(&tokens, &old).await,
            401,
            "the retired key no longer verifies"
        );
        assert_eq!(store.loads(), base + 1);
        assert_eq!(tokens.kids(), vec![second.kid().to_owned()]);
    }

    #[tokio::test]
    async fn concurrent_unknown_kids_read_once() {
        let (first, second) = (signer(), other());
        let now = OffsetDateTime::now_utc();
        let store = published(&first, now).await;
        let tokens = Tokens::load(&settings(), store.clone()).await.unwrap();
        store
            .publish(&second.public_key(), now, second.retire_grace())
            .await
            .unwrap();
        let base = store.loads();
        let token = second.issue("ada", Role::Admin, 0, now);
        let answers = futures_util::future::join_all((0..8).map(|_| status(&tokens, &token))).await;
        assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
        assert_eq!(store.loads(), base + 1);
    }

    #[test]
    fn debug_hides_key_material() {
        let s = signer();
        let secret = String::from_utf8_lossy(SECRET).into_owned();
        let seed: String = Sha256::digest(SECRET)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let public = s.public_key().to_base64url();
        for shown in [format!("{s:?}"), format!("{:?}", s.verifier())] {
            assert!(shown.contains(s.kid()), "{shown}");
            for secret in [&secret, &seed[..16], &public[..16], &secret[..10]] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }
}
