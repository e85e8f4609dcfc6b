//! Accounts and tokens as they cross the wire.

use chrono::{DateTime, Utc};
use entity::user::UserRole;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::views::{
    CityRef,
    reports::UnitRef,
    values::{NonBlank, double_option},
};

/// An account. The password hash never leaves the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    #[schema(example = "yueqing-editor")]
    pub username: String,
    pub role: UserRole,
    /// The one city an editor may write to; null for all.
    pub city: Option<CityRef>,
    /// A reporter's units: it files and corrects progress reports for them. Empty for other roles.
    pub units: Vec<UnitRef>,
    /// A disabled user cannot log in, and their tokens stop working.
    pub disabled: bool,
    /// When the password was last set; tokens issued before it no longer work.
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new user, or all of a user's fields (PUT; the username cannot change).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "yueqing-editor", "password": "correct horse battery staple", "role": "editor", "city": "330382", "units": []}))]
pub struct UserIn {
    /// Letters, digits, `.`, `_` and `-`; unique.
    #[validate(length(min = 3, max = 50), custom(function = "crate::views::values::username"))]
    #[schema(example = "yueqing-editor", min_length = 3, max_length = 50, pattern = "^[A-Za-z0-9._-]+$")]
    pub username: String,
    #[validate(length(min = 8, max = 200))]
    #[schema(example = "correct horse battery staple", format = Password, min_length = 8, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub password: String,
    pub role: UserRole,
    /// For an editor, the one city (id or admin code) they may write to; null for all.
    #[validate(custom(function = "crate::views::values::city_ref"))]
    #[schema(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// For a reporter (which needs a city), the units of that city (ids or exact names) it
    /// speaks for, one at least; empty for every other role.
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100, example = json!(["市发改局"]))]
    pub units: Vec<NonBlank<100>>,
    /// Defaults to false.
    pub disabled: Option<bool>,
}

/// The user fields to change. A new password makes every earlier token stop working.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub role: Option<UserRole>,
    /// City id or admin code; null for all cities.
    #[serde(default, deserialize_with = "double_option")]
    #[validate(custom(function = "crate::views::values::city_ref"))]
    #[schema(value_type = Option<String>, pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    pub city: Option<Option<String>>,
    /// Replaces a reporter's units (ids or exact names in its city).
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub units: Option<Vec<NonBlank<100>>>,
    #[validate(length(min = 8, max = 200))]
    #[schema(format = Password, min_length = 8, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub password: Option<String>,
    pub disabled: Option<bool>,
}

/// A username and password to exchange for a token.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "yueqing-editor", "password": "correct horse battery staple"}))]
pub struct TokenRequest {
    #[validate(nested)]
    #[schema(inline)]
    pub username: NonBlank<50>,
    #[validate(length(min = 1, max = 200))]
    #[schema(format = Password, min_length = 1, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub password: String,
}

/// How a token is sent: always `Bearer` (RFC 6750), in `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

/// A bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub access_token: String,
    pub token_type: TokenType,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}
