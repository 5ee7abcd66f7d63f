//! Passwords: hashed with Argon2id (OWASP's first choice), checked against a few rules from the
//! NCSC's guidance — long rather than complex, not a well-known password, not the email address.
//! Hashing is deliberately slow, so it runs off the async threads.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::{Problem, ServiceError};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// The longest (hashing cost grows with length).
pub const MAX_LENGTH: usize = 256;

/// Passwords people choose most often (from published breach lists), lower-cased.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "administrator",
    "changeme123",
    "football12",
    "monkey1234",
    "sunshine12",
    "1q2w3e4r5t",
    "passw0rd123",
    "abcdefghij",
    "0987654321",
    "1111111111",
    "aaaaaaaaaa",
];

/// The problem with a new password, if it has one.
pub fn problem(field: &str, password: &str, email: &str) -> Option<Problem> {
    let length = password.chars().count();
    if password.is_empty() {
        return Some(Problem::new(field, "required", "Enter a password"));
    }
    if length < MIN_LENGTH {
        return Some(Problem::new(
            field,
            "length",
            format!("Password must be {MIN_LENGTH} characters or more"),
        ));
    }
    if password.len() > MAX_LENGTH {
        return Some(Problem::new(
            field,
            "length",
            format!("Password must be {MAX_LENGTH} characters or fewer"),
        ));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || lower.chars().all(|c| lower.starts_with(c)) {
        return Some(Problem::new(field, "pattern", "Choose a password that is harder to guess"));
    }
    if !email.is_empty() && (lower == email.to_lowercase() || lower.contains(&email.to_lowercase())) {
        return Some(Problem::new(field, "pattern", "Password must not contain your email address"));
    }
    None
}

/// The Argon2id hash of a password (a PHC string with its salt and parameters).
pub async fn hash(password: &str) -> Result<String, ServiceError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::internal(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(ServiceError::internal)?
}

/// True when `password` matches `hash`. With no hash, a dummy hash is checked so that the answer
/// takes as long as a real one (nobody learns which accounts exist by timing).
pub async fn verify(password: &str, hash: Option<&str>) -> bool {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3p2JjWhH8TXJ0x8w0pL2Ijj0bH0n3gF9l7z3v0TtA1c";
    let password = password.to_string();
    let (hash, real) = match hash {
        Some(h) => (h.to_string(), true),
        None => (DUMMY.to_string(), false),
    };
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && real
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hashed = hash("correct horse battery").await.unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&hashed)).await);
        assert!(!verify("correct horse batterz", Some(&hashed)).await);
        assert!(!verify("anything", None).await);
        assert!(!verify("anything", Some("not a hash")).await);
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert_eq!(problem("password", "", "").unwrap().code, "required");
        assert_eq!(
            problem("password", "short", "").unwrap().message,
            "Password must be 10 characters or more"
        );
        assert_eq!(problem("password", "Password123", "").unwrap().code, "pattern");
        assert_eq!(problem("password", "zzzzzzzzzzzz", "").unwrap().code, "pattern");
        assert!(problem("password", "ann@example.org!!", "ann@example.org").is_some());
        assert!(problem("password", "a long passphrase", "ann@example.org").is_none());
    }
}
