//! Access tokens: HS256 JWTs with the algorithm pinned, `exp` checked, and a fingerprint of the
//! password they were issued against.

use chrono::{DateTime, Utc};
use entity::user::{self, UserRole};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    pub role: UserRole,
    /// The city an editor is limited to.
    pub city: Option<Uuid>,
    /// When the password was last set (microseconds): a token dies when the password changes.
    pub pwd: i64,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// How long a token lives.
    pub ttl_seconds: i64,
}

impl TokenKeys {
    /// Keys for HS256 with `secret`.
    pub fn hs256(secret: &[u8], ttl_seconds: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        // Clocks of replicas agree to within seconds; a minute of grace would keep expired
        // tokens alive for no reason.
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        }
    }

    /// A token for `user`, issued `now`.
    pub fn issue(&self, user: &user::Model, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user.id,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_seconds,
            role: user.role,
            city: user.city_id,
            pwd: user.password_changed_at.timestamp_micros(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| anyhow::anyhow!("Failed to sign a token: {error}"))
    }

    /// The claims of a token signed with these keys, using HS256, and not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| error.to_string())
    }
}
