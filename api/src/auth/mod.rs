//! Who is asking: bearer tokens, the `AuthUser` extractor, and the role and city checks.

pub mod jwt;
pub mod password;

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use entity::user::{self, UserRole};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::{error::ApiError, startup::AppState};

/// A request made with a valid bearer token of an enabled user whose password has not changed
/// since the token was issued. Absent or invalid credentials are a 401.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub username: String,
    pub role: UserRole,
    /// The one city an editor may write to; `None` for all.
    pub city_id: Option<Uuid>,
}

impl AuthUser {
    /// 403 unless an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            UserRole::Admin => Ok(()),
            _ => Err(ApiError::Forbidden("only an admin may do this".to_owned())),
        }
    }

    /// 403 unless an admin, or an editor whose scope includes `city_id`.
    pub fn require_city(&self, city_id: Uuid) -> Result<(), ApiError> {
        match (self.role, self.city_id) {
            (UserRole::Admin, _) => Ok(()),
            (UserRole::Editor, None) => Ok(()),
            (UserRole::Editor, Some(scope)) if scope == city_id => Ok(()),
            (UserRole::Editor, Some(_)) => {
                Err(ApiError::Forbidden("this editor may not write to another city's data".to_owned()))
            }
            (UserRole::Viewer, _) => Err(ApiError::Forbidden("a viewer may not write".to_owned())),
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("the application state is missing"))?;
            let token = token?;
            let claims = state
                .tokens
                .verify(&token)
                .map_err(|reason| ApiError::Unauthorized(format!("the token is not valid: {reason}")))?;
            let user = user::Entity::find_by_id(claims.sub)
                .one(&state.db)
                .await?
                .ok_or_else(|| ApiError::Unauthorized("the token's user no longer exists".to_owned()))?;
            if user.disabled {
                return Err(ApiError::Unauthorized("the token's user is disabled".to_owned()));
            }
            if user.password_changed_at.timestamp_micros() != claims.pwd {
                return Err(ApiError::Unauthorized("the password has changed since the token was issued".to_owned()));
            }
            Ok(AuthUser { id: user.id, username: user.username, role: user.role, city_id: user.city_id })
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("this request needs a bearer token".to_owned()))?;
    let value =
        value.to_str().map_err(|_| ApiError::Unauthorized("the Authorization header is not text".to_owned()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".to_owned())),
    }
}
