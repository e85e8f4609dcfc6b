//! Where a read goes: the primary or the read replica (see [`AppState::for_reading`]).

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::{error::ApiError, http::state::AppState};

/// The application state a read handler runs on; its `db` is the replica for anonymous reads
/// when `DATABASE_READ_URL` is set, else the primary.
pub struct ReadState(pub web::Data<AppState>);

impl FromRequest for ReadState {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<AppState>>() {
            Some(state) => Ok(ReadState(AppState::for_reading(state, req.headers()))),
            None => Err(ApiError::Internal(anyhow::anyhow!("the application state is missing"))),
        })
    }
}
