//! `/api/v1/users` (admins only) and `/api/v1/auth/token`.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use entity::user::UserRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::AuthUser,
    body::{Body, double_option, not_blank},
    error::{Problem, Result},
    listing::{ListRequest, Page, PageRequest, RevisionListOptions, UserListOptions},
    query::QueryParams,
    resource::{self, Update},
    routes::{
        CityRef,
        crud::{CreateErrors, DeleteErrors, IfMatch, UpdateErrors},
        list_response,
        revisions::{DeleteParams, NoFilters, RevisionOut},
    },
    services::users::{self, Users},
    startup::AppState,
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
pub struct UserIn {
    /// Letters, digits, `.`, `_` and `-`; unique.
    #[validate(length(min = 3, max = 50), custom(function = "crate::body::username"))]
    #[schema(example = "yueqing-editor", min_length = 3, max_length = 50, pattern = "^[A-Za-z0-9._-]+$")]
    pub username: String,
    #[validate(length(min = 8, max = 200))]
    #[schema(example = "correct horse battery staple", format = Password, min_length = 8, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub password: String,
    pub role: UserRole,
    /// For an editor, the one city (id or admin code) they may write to; null for all.
    #[validate(custom(function = "crate::body::city_ref"))]
    #[schema(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
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
    #[validate(custom(function = "crate::body::city_ref"))]
    #[schema(value_type = Option<String>, pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    pub city: Option<Option<String>>,
    #[validate(length(min = 8, max = 200))]
    #[schema(format = Password, min_length = 8, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub password: Option<String>,
    pub disabled: Option<bool>,
}

/// A username and password to exchange for a token.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 50), custom(function = "not_blank"))]
    #[schema(
        example = "yueqing-editor",
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub username: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(format = Password, min_length = 1, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub password: String,
}

/// A bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}

/// Errors of `POST /auth/token`.
#[derive(IntoResponses)]
pub enum TokenErrors {
    /// The body is not valid JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// The username or password is wrong, or the user is disabled.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(#[to_schema] Problem),
    /// A field is missing or out of bounds.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] Problem),
    /// Too many failed logins for this username; `Retry-After` says when to try again.
    #[response(status = 429, content_type = "application/problem+json")]
    TooManyRequests(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// Errors of admin-only reads.
#[derive(IntoResponses)]
pub enum AdminReadErrors {
    /// A parameter or the id is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// Only admins may read users.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// No user has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// Exchange a username and password for a bearer token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    operation_id = "create_token",
    request_body = TokenRequest,
    responses((status = 200, description = "A bearer token", body = TokenOut), TokenErrors)
)]
#[post("/auth/token")]
pub async fn create_token(state: web::Data<AppState>, Body(input): Body<TokenRequest>) -> Result<HttpResponse> {
    let token =
        users::issue_token(&state.db, &state.tokens, input.username.trim(), &input.password, Utc::now()).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(TokenOut {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds,
    }))
}

/// List users.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    operation_id = "list_users",
    params(UserListOptions),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of users", content((Page<UserOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), AdminReadErrors)
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: AuthUser,
    request: ListRequest<NoFilters>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    auth.require_admin()?;
    let page = PageRequest::from_options(&request.options)?;
    let listing = users::list(&state.db, request.options.sort.as_deref(), &page).await?;
    list_response(&state, &req, &request.options, listing, &["city"]).await
}

/// Get a user.
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
pub async fn get_user(state: web::Data<AppState>, auth: AuthUser, id: web::Path<Uuid>) -> Result<HttpResponse> {
    auth.require_admin()?;
    resource::get::<Users>(&state, *id).await
}

/// Create a user.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    operation_id = "create_user",
    request_body = UserIn,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserOut,
            headers(("Location" = String, description = "The new user's URL"), ("ETag" = String, description = "Strong entity tag"))),
        CreateErrors
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    Body(input): Body<UserIn>,
) -> Result<HttpResponse> {
    resource::create::<Users>(&state, &auth, input).await
}

/// Replace a user's role, city, password and disabled flag.
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}",
    tag = "users",
    operation_id = "replace_user",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        IfMatch
    ),
    request_body = UserIn,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = UserOut, headers(("ETag" = String, description = "The new entity tag"))),
        UpdateErrors
    )
)]
#[put("/users/{id}")]
pub async fn replace_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    Body(input): Body<UserIn>,
) -> Result<HttpResponse> {
    resource::update::<Users>(&state, &auth, &req, *id, Update::Replace(input)).await
}

/// Change a user's role, city, password or disabled flag.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "users",
    operation_id = "patch_user",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        IfMatch
    ),
    request_body = UserPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = UserOut, headers(("ETag" = String, description = "The new entity tag"))),
        UpdateErrors
    )
)]
#[patch("/users/{id}")]
pub async fn patch_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    Body(input): Body<UserPatch>,
) -> Result<HttpResponse> {
    resource::update::<Users>(&state, &auth, &req, *id, Update::Patch(input)).await
}

/// Delete a user; their tokens stop working.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    tag = "users",
    operation_id = "delete_user",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        IfMatch,
        DeleteParams
    ),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    QueryParams(_params): QueryParams<DeleteParams>,
) -> Result<HttpResponse> {
    resource::delete::<Users>(&state, &auth, &req, *id, false).await
}

/// A user's recorded changes, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/revisions",
    tag = "users",
    operation_id = "list_user_revisions",
    params(("id" = Uuid, Path, description = "The user's id"), RevisionListOptions),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of revisions", content((Page<RevisionOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), AdminReadErrors)
)]
#[get("/users/{id}/revisions")]
pub async fn list_user_revisions(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    request: ListRequest<NoFilters>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    auth.require_admin()?;
    let page = PageRequest::from_options(&request.options)?;
    let listing = resource::revisions::<Users>(&state, *id, request.options.sort.as_deref(), &page).await?;
    list_response(&state, &req, &request.options, listing, &[]).await
}
