//! What every handler can reach.

use sea_orm::DatabaseConnection;

use crate::domain::auth::jwt::TokenKeys;

/// The state the server shares with its handlers.
pub struct AppState {
    pub db: DatabaseConnection,
    /// Signs and checks access tokens.
    pub tokens: TokenKeys,
}
