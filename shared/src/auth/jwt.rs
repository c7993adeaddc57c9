//! HS256 access tokens. One validation, used by every function: the algorithm is pinned, and
//! issuer, audience, expiry and not-before are all checked.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Role;
use crate::error::ApiError;

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

/// Signs and verifies tokens with one secret. Debug never prints the secret.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_seconds: i64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

pub const MIN_SECRET_BYTES: usize = 32;

impl Tokens {
    pub fn new(
        secret: &[u8],
        issuer: &str,
        audience: &str,
        ttl_seconds: i64,
    ) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the JWT secret must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl_seconds,
        })
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    pub fn issue(&self, username: &str, role: Role, version: u64, now: OffsetDateTime) -> String {
        let iat = now.unix_timestamp();
        let claims = Claims {
            sub: username.to_owned(),
            role,
            iat,
            nbf: iat,
            exp: iat + self.ttl_seconds,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            ver: version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with a valid key cannot fail")
    }

    /// Any problem with the token is the same 401 for the client; the reason goes to the log only.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| {
                tracing::info!(reason = %err, "rejected bearer token");
                ApiError::unauthorized("the access token is missing, invalid or expired")
            })
    }

    /// Reads `Authorization: Bearer <token>` and verifies it.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Claims, ApiError> {
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
        self.verify(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn tokens() -> Tokens {
        Tokens::new(SECRET, "analytics", "analytics-api", 900).unwrap()
    }

    #[test]
    fn a_fresh_token_verifies() {
        let t = tokens();
        let token = t.issue("ada", Role::Admin, 0, OffsetDateTime::now_utc());
        let claims = t.authenticate(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), ("ada", Role::Admin));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Tokens::new(b"short", "i", "a", 60).is_err());
    }

    #[test]
    fn bad_tokens_are_401() {
        let t = tokens();
        let other = Tokens::new(
            b"another-secret-another-secret-xx",
            "analytics",
            "analytics-api",
            900,
        )
        .unwrap();
        let now = OffsetDateTime::now_utc();
        let expired = t.issue("ada", Role::Admin, 0, now - time::Duration::hours(1));
        let foreign = other.issue("ada", Role::Admin, 0, now);
        for header in [
            None,
            Some("Basic abc".to_owned()),
            Some("Bearer ".into()),
            Some("Bearer garbage".into()),
            Some(format!("Bearer {expired}")),
            Some(format!("Bearer {foreign}")),
        ] {
            let err = t.authenticate(header.as_deref()).unwrap_err();
            assert_eq!(err.status, 401, "{header:?}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        assert!(!format!("{:?}", tokens()).contains("0123456789"));
    }
}
