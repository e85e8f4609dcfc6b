//! The handlers of a writable resource, generated once per resource so that each has its own
//! OpenAPI operation while the logic stays in [`crate::resource`].

use utoipa::{IntoParams, IntoResponses};

use crate::error::Problem;

/// The `If-Match` header of PUT, PATCH and DELETE (documentation only: the pipeline reads it).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes a header for the OpenAPI document; never built")]
pub struct IfMatch {
    /// The ETag the write is based on: a stale one is answered 412. `*` matches any version.
    #[param(rename = "If-Match", required = false, pattern = "^(\\*|(W/)?\"[^\",]*\"( *, *(W/)?\"[^\",]*\")*)$")]
    if_match: String,
}

/// Errors of POST.
#[derive(IntoResponses)]
pub enum CreateErrors {
    /// The body is not valid JSON, or a parameter is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The token's user may not write here (role or city).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// A resource with the same natural key exists.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(#[to_schema] Problem),
    /// The body breaks a rule; `errors` names every field at fault.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// Errors of PUT and PATCH.
#[derive(IntoResponses)]
pub enum UpdateErrors {
    /// The body is not valid JSON, or the id is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The token's user may not write here (role or city).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// No resource has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
    /// The change collides with another resource's natural key.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] Problem),
    /// `If-Match` does not name the current ETag.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(#[to_schema] Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(#[to_schema] Problem),
    /// The body breaks a rule; `errors` names every field at fault.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// Errors of DELETE.
#[derive(IntoResponses)]
pub enum DeleteErrors {
    /// The id or a parameter is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The token's user may not write here (role or city).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// No resource has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
    /// Other resources depend on this one; `cascade=true` deletes or detaches them.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] Problem),
    /// `If-Match` does not name the current ETag.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// Defines `create`, `replace`, `patch`, `delete` and `revisions` handlers for a
/// [`crate::resource::Resource`], each with its OpenAPI operation.
#[macro_export]
macro_rules! crud_routes {
    (
        resource: $resource:ty,
        tag: $tag:tt,
        collection_path: $collection_path:tt,
        item_path: $item_path:tt,
        revisions_path: $revisions_path:tt,
        scope_collection: $scope_collection:tt,
        scope_item: $scope_item:tt,
        scope_revisions: $scope_revisions:tt,
        ids: [$create_id:tt, $replace_id:tt, $patch_id:tt, $delete_id:tt, $revisions_id:tt],
        out: $out:ty,
        input: $input:ty,
        patch: $patch:ty $(,)?
    ) => {
        /// Create one. Needs a bearer token of an admin, or of an editor of the resource's city.
        #[utoipa::path(
            post,
            path = $collection_path,
            tag = $tag,
            operation_id = $create_id,
            request_body = $input,
            security(("bearer" = [])),
            responses(
                (status = 201, description = "Created", body = $out,
                    headers(("Location" = String, description = "The new resource's URL"), ("ETag" = String, description = "Strong entity tag"))),
                $crate::routes::crud::CreateErrors
            )
        )]
        #[actix_web::post($scope_collection)]
        pub async fn create(
            state: actix_web::web::Data<$crate::startup::AppState>,
            auth: $crate::auth::AuthUser,
            $crate::body::Body(input): $crate::body::Body<$input>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::resource::create::<$resource>(&state, &auth, input).await
        }

        /// Replace every writable field. Send `If-Match` with the ETag you read to make a lost
        /// update impossible.
        #[utoipa::path(
            put,
            path = $item_path,
            tag = $tag,
            operation_id = $replace_id,
            params(
                ("id" = uuid::Uuid, Path, description = "The id"),
                $crate::routes::crud::IfMatch
            ),
            request_body = $input,
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Replaced", body = $out, headers(("ETag" = String, description = "The new entity tag"))),
                $crate::routes::crud::UpdateErrors
            )
        )]
        #[actix_web::put($scope_item)]
        pub async fn replace(
            state: actix_web::web::Data<$crate::startup::AppState>,
            auth: $crate::auth::AuthUser,
            req: actix_web::HttpRequest,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::body::Body(input): $crate::body::Body<$input>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::resource::update::<$resource>(&state, &auth, &req, *id, $crate::resource::Update::Replace(input)).await
        }

        /// Change the fields the body names. Send `If-Match` with the ETag you read to make a
        /// lost update impossible.
        #[utoipa::path(
            patch,
            path = $item_path,
            tag = $tag,
            operation_id = $patch_id,
            params(
                ("id" = uuid::Uuid, Path, description = "The id"),
                $crate::routes::crud::IfMatch
            ),
            request_body = $patch,
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Changed", body = $out, headers(("ETag" = String, description = "The new entity tag"))),
                $crate::routes::crud::UpdateErrors
            )
        )]
        #[actix_web::patch($scope_item)]
        pub async fn patch(
            state: actix_web::web::Data<$crate::startup::AppState>,
            auth: $crate::auth::AuthUser,
            req: actix_web::HttpRequest,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::body::Body(input): $crate::body::Body<$patch>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::resource::update::<$resource>(&state, &auth, &req, *id, $crate::resource::Update::Patch(input)).await
        }

        /// Delete one. Send `If-Match` with the ETag you read to delete only what you saw.
        #[utoipa::path(
            delete,
            path = $item_path,
            tag = $tag,
            operation_id = $delete_id,
            params(
                ("id" = uuid::Uuid, Path, description = "The id"),
                $crate::routes::crud::IfMatch,
                $crate::routes::revisions::DeleteParams
            ),
            security(("bearer" = [])),
            responses((status = 204, description = "Deleted"), $crate::routes::crud::DeleteErrors)
        )]
        #[actix_web::delete($scope_item)]
        pub async fn delete(
            state: actix_web::web::Data<$crate::startup::AppState>,
            auth: $crate::auth::AuthUser,
            req: actix_web::HttpRequest,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::query::QueryParams(params): $crate::query::QueryParams<$crate::routes::revisions::DeleteParams>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::resource::delete::<$resource>(&state, &auth, &req, *id, params.cascade.unwrap_or(false)).await
        }

        /// The recorded changes, oldest first.
        #[utoipa::path(
            get,
            path = $revisions_path,
            tag = $tag,
            operation_id = $revisions_id,
            params(("id" = uuid::Uuid, Path, description = "The id"), $crate::listing::RevisionListOptions),
            responses(
                (status = 200, description = "A page of revisions", content(($crate::listing::Page<$crate::routes::revisions::RevisionOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), ($crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))),
                $crate::routes::GetErrors
            )
        )]
        #[actix_web::get($scope_revisions)]
        pub async fn revisions(
            state: actix_web::web::Data<$crate::startup::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            request: $crate::listing::ListRequest<$crate::routes::revisions::NoFilters>,
            req: actix_web::HttpRequest,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            let page = $crate::listing::PageRequest::from_options(&request.options)?;
            let listing = $crate::resource::revisions::<$resource>(&state, *id, request.options.sort.as_deref(), &page).await?;
            $crate::routes::list_response(&state, &req, &request.options, listing, &[]).await
        }
    };
}
