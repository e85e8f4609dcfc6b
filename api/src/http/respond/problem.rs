//! Errors as RFC 9457 `application/problem+json` responses.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};

use crate::{error::ApiError, http::middleware::hardening::add_security_headers};

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Self::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"duban\", error=\"invalid_token\""));
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        let mut response = response.json(self.problem());
        // Errors that leave the middleware stack early (a request past its deadline) are
        // rendered outside the middleware that adds these.
        add_security_headers(response.headers_mut(), false);
        response
    }
}
