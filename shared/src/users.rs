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

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords people are known to pick first; refused whatever their length.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "123456789",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "qwerty123",
    "1q2w3e4r5t",
    "iloveyou",
    "letmein123",
    "welcome123",
    "admin12345",
    "administrator",
    "changeme123",
    "abc1234567",
    "passw0rd123",
    "football123",
    "0987654321",
];

/// The password rules (NIST SP 800-63B style): long enough, not absurdly long, not the username, not a
/// well-known password. Composition rules are deliberately not imposed.
pub fn check_password(password: &str, username: &str) -> Result<(), ApiError> {
    let weak = |message: String| Err(ApiError::unprocessable("weak_password", message));
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return weak(format!(
            "passwords must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return weak(format!(
            "passwords must be at most {MAX_PASSWORD_CHARS} characters"
        ));
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return weak("the password must not contain the username".into());
    }
    if COMMON.contains(&lower.as_str())
        || lower
            .chars()
            .all(|c| c == lower.chars().next().unwrap_or(' '))
    {
        return weak("that password is too common; choose another".into());
    }
    Ok(())
}

/// A user as stored. The password hash never leaves the auth function.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: Username,
    pub email: Email,
    pub role: Role,
    pub password_hash: String,
    /// Bumped by a password or role change: tokens issued before carry an older one and stop working.
    pub token_version: u64,
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
    fn passwords() {
        assert!(check_password("correct horse battery", "ada").is_ok());
        for (bad, why) in [
            ("short", "at least"),
            ("aaaaaaaaaaaa", "common"),
            ("Password123", "common"),
            ("ada-lovelace-1815", "username"),
        ] {
            let err = check_password(bad, "ada").unwrap_err();
            assert_eq!((err.status, err.code), (422, "weak_password"));
            assert!(err.message.contains(why), "{bad}: {}", err.message);
        }
        assert!(check_password(&"x".repeat(257), "ada").is_err());
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
