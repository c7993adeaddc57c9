//! Users: validated usernames and e-mail addresses, and the stored user. Pure: no I/O here.

use serde::Serialize;
use time::OffsetDateTime;

use crate::auth::Role;
use crate::error::ApiError;

/// 3–32 characters of lowercase letters, digits and `_ . -`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw.trim().to_ascii_lowercase();
        let ok = (3..=32).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')
            });
        if ok {
            Ok(Self(name))
        } else {
            Err(ApiError::unprocessable(
                "invalid_username",
                "usernames are 3 to 32 characters of letters, digits and _ . -, starting with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, lowercased. Deliberately loose: one `@`, a dot in the domain, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let email = raw.trim().to_ascii_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Self(email))
        } else {
            Err(ApiError::unprocessable(
                "invalid_email",
                "that is not a valid e-mail address",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user as stored. The password hash never leaves the auth function.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: Username,
    pub email: Email,
    pub role: Role,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What clients see of a user.
#[derive(Debug, Clone, Serialize)]
pub struct PublicUser {
    pub username: String,
    pub email: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&User> for PublicUser {
    fn from(u: &User) -> Self {
        Self {
            username: u.username.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            role: u.role,
            created_at: u.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Ada.L ").unwrap().as_str(), "ada.l");
        for bad in ["ab", "-ada", "ada lovelace", "ada@x", &"a".repeat(33)] {
            assert_eq!(Username::parse(bad).unwrap_err().status, 422, "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("Ada@Example.COM").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().status, 422, "{bad}");
        }
    }
}
