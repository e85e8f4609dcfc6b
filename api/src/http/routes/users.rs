//! `/api/v1/users` (admins only) and `/api/v1/auth/token`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use utoipa::IntoResponses;
use uuid::Uuid;

use crate::{
    domain::{
        paging::PageRequest,
        pipeline,
        users::{self, Users},
    },
    error::Result,
    http::{
        extract::{auth::AdminUser, body::Body, list::ListRequest},
        rate_limiter::client_address,
        respond::{list::list_response, resource::tagged},
        routes::docs::{AdminReadErrors, And, ListOk, TransientErrors, UserListOptions},
        state::AppState,
    },
    views::{
        problem::Problem,
        revisions::NoFilters,
        users::{TokenOut, TokenRequest, TokenType, UserIn, UserOut, UserPatch},
    },
};

/// Errors of `POST /auth/token` of its own.
#[derive(IntoResponses)]
pub enum TokenErrorsOwn {
    /// The body is not valid JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// The username or password is wrong, or the user is disabled.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The body did not arrive in time (`BODY_READ_TIMEOUT_MS`); nothing was changed.
    #[response(status = 408, content_type = "application/problem+json")]
    RequestTimeout(#[to_schema] Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(#[to_schema] Problem),
    /// A field is missing or out of bounds.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] Problem),
    /// Too many failed logins for this username or from this address, or too many login
    /// attempts from this address; `Retry-After` says when to try again.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(
            ("Retry-After" = u64, description = "Seconds to wait before trying again"),
            ("RateLimit-Policy" = String, description = "The limit that applies (IETF draft-ietf-httpapi-ratelimit-headers)"),
            ("RateLimit" = String, description = "What is left of the limit and when it resets (IETF draft)")
        )
    )]
    TooManyRequests(#[to_schema] Problem),
}

/// [`TokenErrorsOwn`] over the errors any request can meet: its own 429 (the login lockout)
/// replaces the generic one.
pub type TokenErrors = And<TransientErrors, TokenErrorsOwn>;

/// Get a bearer token
///
/// Exchanges a username and password for a bearer JWT to send in `Authorization` on writes. Anyone may ask; failed
/// logins are rate-limited and locked out per username and per client (429 with `Retry-After`). Costs one password
/// hash check on the blocking pool (deliberately slow).
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    operation_id = "create_token",
    request_body = TokenRequest,
    responses((status = 200, description = "A bearer token", body = TokenOut), TokenErrors)
)]
#[post("/auth/token")]
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    Body(input): Body<TokenRequest>,
) -> Result<HttpResponse> {
    let client = client_address(&req, &state.trusted_proxies);
    let token =
        users::issue_token(&state.db, &state.tokens, input.username.trim(), input.password, client, Utc::now()).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenOut {
        access_token: token,
        token_type: TokenType::Bearer,
        expires_in: state.tokens.ttl_seconds,
    }))
}

/// List users
///
/// The accounts: username, role and city scope, never a password. Admins only. Costs one query for the page and a
/// count.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    operation_id = "list_users",
    params(UserListOptions),
    security(("bearer" = [])),
    responses(ListOk<UserOut>, AdminReadErrors)
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    _admin: AdminUser,
    request: ListRequest<NoFilters>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&request.options)?;
    let listing = users::list(&state.db, request.options.sort.as_deref(), &page).await?;
    list_response(&state, &req, &request.options, listing, &["city"]).await
}

/// Get a user
///
/// An account. Admins only. Costs one query; the answer carries a strong `ETag` for `If-Match`.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    operation_id = "get_user",
    params(("id" = Uuid, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserOut, headers(("ETag" = String, description = "Strong entity tag"))),
        AdminReadErrors
    )
)]
#[get("/users/{id}")]
pub async fn get_user(state: web::Data<AppState>, _admin: AdminUser, id: web::Path<Uuid>) -> Result<HttpResponse> {
    Ok(tagged(pipeline::get::<Users>(&state.db, *id).await?))
}

crate::crud_routes! {
    resource: Users,
    tag: "users",
    collection_path: "/api/v1/users",
    item_path: "/api/v1/users/{id}",
    revisions_path: "/api/v1/users/{id}/revisions",
    scope_collection: "/users",
    scope_item: "/users/{id}",
    scope_revisions: "/users/{id}/revisions",
    ids: ["create_user", "replace_user", "patch_user", "delete_user", "list_user_revisions"],
    out: UserOut,
    input: UserIn,
    patch: UserPatch,
    docs: { one: "user", id: "The user's id (a UUID).", writers: "Admins only.", delete_params: crate::views::revisions::NoFilters },
    reads: admin,
}
