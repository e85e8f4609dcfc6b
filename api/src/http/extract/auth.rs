//! Credentials: `AuthUser` (a valid bearer token is required) and `AdminUser` (and it must be an
//! admin's). An absent or invalid token is a 401, a valid one without the power a 403.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use crate::{domain::auth::AuthUser, error::ApiError, http::state::AppState};

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
            AuthUser::of_token(&state.db, claims.sub, claims.pwd, &state.reporting_roles).await
        })
    }
}

/// A request made with a valid bearer token of an admin: 401 without one, 403 for anyone else.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            user.require_admin()?;
            Ok(AdminUser(user))
        })
    }
}

pub(crate) fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
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
