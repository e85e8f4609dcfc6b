//! The rate-limit middleware: which limit a request counts against, and the 429 with
//! `Retry-After`, `RateLimit-Policy` and `RateLimit` (see [`crate::http::rate_limiter`]).

use actix_web::{
    Error, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method,
        header::{HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};

use crate::{
    error::ApiError,
    http::{
        extract::auth::bearer_token,
        rate_limiter::{Policy, client_address},
        state::AppState,
    },
};

/// The middleware: counts every request but health checks and metrics against its limit.
pub async fn limit<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let Some(limiter) = state.limiter.as_ref() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let path = req.path();
    if path.starts_with("/health/") || path == "/metrics" || *req.method() == Method::OPTIONS {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let client =
        client_address(req.request(), &state.trusted_proxies).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let user = bearer_token(req.request()).ok().and_then(|token| state.tokens.verify(&token).ok()).map(|c| c.sub);
    let (policy, key) = if *req.method() == Method::POST && path == "/api/v1/auth/token" {
        (Policy::Login, client)
    } else if let Some(user) = user {
        (Policy::Authenticated, user.to_string())
    } else {
        (Policy::Anonymous, client)
    };
    let verdict = limiter.check(policy, &key).await;
    let quota = limiter.quota(policy);
    let policy_header = format!("\"{}\";q={quota};w=60", policy.name());
    let state_header = format!("\"{}\";r={};t={}", policy.name(), verdict.remaining, verdict.reset_seconds);
    let headers = |headers: &mut actix_web::http::header::HeaderMap| {
        let pairs = [("ratelimit-policy", &policy_header), ("ratelimit", &state_header)];
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    };
    if !verdict.allowed {
        metrics::counter!("duban_rate_limit_rejections_total", "policy" => policy.name()).increment(1);
        let error = ApiError::TooManyRequests {
            detail: format!(
                "too many requests ({} limit: {quota} a minute); try again in {} s",
                policy.name(),
                verdict.reset_seconds
            ),
            retry_after: verdict.reset_seconds,
        };
        let mut response = error.error_response();
        headers(response.headers_mut());
        let (request, _) = req.into_parts();
        return Ok(ServiceResponse::new(request, response).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    headers(res.headers_mut());
    Ok(res.map_into_left_body())
}
