//! Password hashing with argon2id.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

/// The PHC string of `password`, with a fresh random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| anyhow::anyhow!("Failed to hash a password: {error}"))
}

/// Whether `password` matches the PHC string `hash`; a malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// [`hash`] on the blocking pool: argon2 is slow on purpose and must not stall a request worker.
pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|error| anyhow::anyhow!("Failed to hash a password: {error}"))?
}

/// [`verify`] on the blocking pool; without a hash (no such user) against [`dummy_hash`], so that
/// unknown usernames take as long to refuse as wrong passwords.
pub async fn verify_blocking(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || verify(&password, hash.as_deref().unwrap_or(dummy_hash())))
        .await
        .map_err(|error| anyhow::anyhow!("Failed to check a password: {error}"))
}

/// A hash to verify against when the user does not exist, so that unknown usernames take as long
/// to refuse as wrong passwords.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no user has this password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() -> anyhow::Result<()> {
        let hashed = hash("correct horse")?;
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify("correct horse", &hashed));
        assert!(!verify("wrong horse", &hashed));
        assert!(!verify("correct horse", "not a hash"));
        Ok(())
    }
}
