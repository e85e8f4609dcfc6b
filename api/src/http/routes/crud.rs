//! The handlers of a writable resource, generated once per resource so that each has its own
//! OpenAPI operation while the logic stays in [`crate::domain::pipeline`].

use actix_web::{HttpRequest, HttpResponse};
use utoipa::IntoResponses;
use uuid::Uuid;

use crate::{
    domain::{
        auth::AuthUser,
        paging::PageRequest,
        pipeline::{self, Update},
        resource::Resource,
    },
    error::Result,
    http::routes::docs::{And, WriteErrors},
    http::{
        extract::{if_match::IfMatch, list::ListRequest},
        respond::{
            list::list_response,
            resource::{created, tagged},
        },
        state::AppState,
    },
    views::{problem::Problem, revisions::NoFilters},
};

/// Errors of POST.
#[derive(IntoResponses)]
pub enum CreateErrorsOwn {
    /// The body is not valid JSON, or a parameter is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The token's user may not write here (role or city).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// The body did not arrive in time (`BODY_READ_TIMEOUT_MS`); nothing was changed.
    #[response(status = 408, content_type = "application/problem+json")]
    RequestTimeout(#[to_schema] Problem),
    /// A resource with the same natural key exists.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(#[to_schema] Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(#[to_schema] Problem),
    /// The body breaks a rule; `errors` names every field at fault.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(#[to_schema] Problem),
}

/// [`CreateErrorsOwn`] and the errors any request can meet while it writes.
pub type CreateErrors = And<CreateErrorsOwn, WriteErrors>;

/// Errors of PUT and PATCH.
#[derive(IntoResponses)]
pub enum UpdateErrorsOwn {
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
    /// The body did not arrive in time (`BODY_READ_TIMEOUT_MS`); nothing was changed.
    #[response(status = 408, content_type = "application/problem+json")]
    RequestTimeout(#[to_schema] Problem),
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
}

/// [`UpdateErrorsOwn`] and the errors any request can meet while it writes.
pub type UpdateErrors = And<UpdateErrorsOwn, WriteErrors>;

/// Errors of DELETE.
#[derive(IntoResponses)]
pub enum DeleteErrorsOwn {
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
}

/// [`DeleteErrorsOwn`] and the errors any request can meet while it writes.
pub type DeleteErrors = And<DeleteErrorsOwn, WriteErrors>;

/// Defines `create`, `replace`, `patch`, `delete` and `revisions` handlers for a
/// [`crate::domain::resource::Resource`], each with its OpenAPI operation. `reads: public` lets
/// anyone read the revisions; `reads: admin` only admins.
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
        patch: $patch:ty,
        docs: { one: $one:literal, id: $id_doc:literal, writers: $writers:literal, delete_params: $delete_params:ty $(,)? },
        reads: public $(,)?
    ) => {
        $crate::crud_routes!(@writes $resource, $tag, $collection_path, $item_path, $scope_collection, $scope_item,
            [$create_id, $replace_id, $patch_id, $delete_id], $out, $input, $patch, [$one, $id_doc, $writers, $delete_params]);

        #[utoipa::path(
            get,
            path = $revisions_path,
            tag = $tag,
            operation_id = $revisions_id,
            summary = concat!("List the revisions of a ", $one),
            description = concat!("The recorded changes of the ", $one, ", oldest first: who changed which fields, \
                when, from what to what. Anyone may read them. Costs one indexed query per page."),
            params(("id" = uuid::Uuid, Path, description = $id_doc), $crate::http::routes::docs::RevisionListOptions),
            responses(
                $crate::http::routes::docs::ListOk<$crate::views::revisions::RevisionOut>,
                $crate::http::routes::docs::GetErrors
            )
        )]
        #[actix_web::get($scope_revisions)]
        pub async fn revisions(
            state: actix_web::web::Data<$crate::http::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            request: $crate::http::extract::list::ListRequest<$crate::views::revisions::NoFilters>,
            req: actix_web::HttpRequest,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::http::routes::crud::revisions::<$resource>(&state, *id, request, &req).await
        }
    };
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
        patch: $patch:ty,
        docs: { one: $one:literal, id: $id_doc:literal, writers: $writers:literal, delete_params: $delete_params:ty $(,)? },
        reads: admin $(,)?
    ) => {
        $crate::crud_routes!(@writes $resource, $tag, $collection_path, $item_path, $scope_collection, $scope_item,
            [$create_id, $replace_id, $patch_id, $delete_id], $out, $input, $patch, [$one, $id_doc, $writers, $delete_params]);

        #[utoipa::path(
            get,
            path = $revisions_path,
            tag = $tag,
            operation_id = $revisions_id,
            summary = concat!("List the revisions of a ", $one),
            description = concat!("The recorded changes of the ", $one, ", oldest first: who changed which fields, \
                when, from what to what. Admins only. Costs one indexed query per page."),
            params(("id" = uuid::Uuid, Path, description = $id_doc), $crate::http::routes::docs::RevisionListOptions),
            security(("bearer" = [])),
            responses(
                $crate::http::routes::docs::ListOk<$crate::views::revisions::RevisionOut>,
                $crate::http::routes::docs::AdminReadErrors
            )
        )]
        #[actix_web::get($scope_revisions)]
        pub async fn revisions(
            state: actix_web::web::Data<$crate::http::state::AppState>,
            _admin: $crate::http::extract::auth::AdminUser,
            id: actix_web::web::Path<uuid::Uuid>,
            request: $crate::http::extract::list::ListRequest<$crate::views::revisions::NoFilters>,
            req: actix_web::HttpRequest,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::http::routes::crud::revisions::<$resource>(&state, *id, request, &req).await
        }
    };
    (@writes $resource:ty, $tag:tt, $collection_path:tt, $item_path:tt, $scope_collection:tt, $scope_item:tt,
        [$create_id:tt, $replace_id:tt, $patch_id:tt, $delete_id:tt], $out:ty, $input:ty, $patch:ty,
        [$one:literal, $id_doc:literal, $writers:literal, $delete_params:ty]) => {
        #[utoipa::path(
            post,
            path = $collection_path,
            tag = $tag,
            operation_id = $create_id,
            summary = concat!("Create a ", $one),
            description = concat!("Creates a ", $one, " and answers it with its URL in `Location` and its `ETag`. ",
                $writers, " Costs one transaction: the write and its revision."),
            request_body = $input,
            security(("bearer" = [])),
            responses(
                (status = 201, description = "Created", body = $out,
                    headers(("Location" = String, description = "The new resource's URL"), ("ETag" = String, description = "Strong entity tag"))),
                $crate::http::routes::crud::CreateErrors
            )
        )]
        #[actix_web::post($scope_collection)]
        pub async fn create(
            state: actix_web::web::Data<$crate::http::state::AppState>,
            auth: $crate::domain::auth::AuthUser,
            $crate::http::extract::body::Body(input): $crate::http::extract::body::Body<$input>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::http::routes::crud::create::<$resource>(&state, &auth, input).await
        }

        #[utoipa::path(
            put,
            path = $item_path,
            tag = $tag,
            operation_id = $replace_id,
            summary = concat!("Replace a ", $one),
            description = concat!("Replaces every writable field of the ", $one, ". Send `If-Match` with the ETag \
                you read to make a lost update impossible: a stale one is answered 412 and changes nothing. ",
                $writers, " Costs one transaction: the write and its revision."),
            params(
                ("id" = uuid::Uuid, Path, description = $id_doc),
                $crate::http::extract::if_match::IfMatchHeader
            ),
            request_body = $input,
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Replaced", body = $out, headers(("ETag" = String, description = "The new entity tag"))),
                $crate::http::routes::crud::UpdateErrors
            )
        )]
        #[actix_web::put($scope_item)]
        pub async fn replace(
            state: actix_web::web::Data<$crate::http::state::AppState>,
            auth: $crate::domain::auth::AuthUser,
            if_match: $crate::http::extract::if_match::IfMatch,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::http::extract::body::Body(input): $crate::http::extract::body::Body<$input>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            let update = $crate::domain::pipeline::Update::<$resource>::Replace(input);
            $crate::http::routes::crud::update::<$resource>(&state, &auth, if_match, *id, update).await
        }

        #[utoipa::path(
            patch,
            path = $item_path,
            tag = $tag,
            operation_id = $patch_id,
            summary = concat!("Change some fields of a ", $one),
            description = concat!("Changes the fields of the ", $one, " that the body names and leaves the others \
                as they are. Send `If-Match` with the ETag you read to make a lost update impossible: a stale one \
                is answered 412 and changes nothing. ", $writers, " Costs one transaction: the write and its revision."),
            params(
                ("id" = uuid::Uuid, Path, description = $id_doc),
                $crate::http::extract::if_match::IfMatchHeader
            ),
            request_body = $patch,
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Changed", body = $out, headers(("ETag" = String, description = "The new entity tag"))),
                $crate::http::routes::crud::UpdateErrors
            )
        )]
        #[actix_web::patch($scope_item)]
        pub async fn patch(
            state: actix_web::web::Data<$crate::http::state::AppState>,
            auth: $crate::domain::auth::AuthUser,
            if_match: $crate::http::extract::if_match::IfMatch,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::http::extract::body::Body(input): $crate::http::extract::body::Body<$patch>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            let update = $crate::domain::pipeline::Update::<$resource>::Patch(input);
            $crate::http::routes::crud::update::<$resource>(&state, &auth, if_match, *id, update).await
        }

        #[utoipa::path(
            delete,
            path = $item_path,
            tag = $tag,
            operation_id = $delete_id,
            summary = concat!("Delete a ", $one),
            description = concat!("Deletes the ", $one, "; a deletion the change feed shows as a tombstone. Send \
                `If-Match` with the ETag you read to delete only what you saw. ", $writers,
                " Costs one transaction: the deletion and its revisions."),
            params(
                ("id" = uuid::Uuid, Path, description = $id_doc),
                $crate::http::extract::if_match::IfMatchHeader,
                $delete_params
            ),
            security(("bearer" = [])),
            responses((status = 204, description = "Deleted"), $crate::http::routes::crud::DeleteErrors)
        )]
        #[actix_web::delete($scope_item)]
        pub async fn delete(
            state: actix_web::web::Data<$crate::http::state::AppState>,
            auth: $crate::domain::auth::AuthUser,
            if_match: $crate::http::extract::if_match::IfMatch,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::http::extract::query::QueryParams(params): $crate::http::extract::query::QueryParams<$crate::views::revisions::DeleteParams>,
        ) -> $crate::error::Result<actix_web::HttpResponse> {
            $crate::http::routes::crud::delete::<$resource>(&state, &auth, if_match, *id, params.cascade.unwrap_or(false)).await
        }
    };
}

/// `POST /{collection}`: 201 with `Location` and `ETag`.
pub async fn create<R: Resource>(state: &AppState, auth: &AuthUser, input: R::In) -> Result<HttpResponse> {
    let (id, out) = pipeline::create::<R>(&state.db, auth, input).await?;
    Ok(created(format!("/api/v1/{}/{id}", R::COLLECTION), out))
}

/// `PUT` or `PATCH /{collection}/{id}`: 200 with the new `ETag`, 412 on a stale `If-Match`.
pub async fn update<R: Resource>(
    state: &AppState,
    auth: &AuthUser,
    IfMatch(precondition): IfMatch,
    id: Uuid,
    update: Update<R>,
) -> Result<HttpResponse> {
    Ok(tagged(pipeline::update::<R>(&state.db, auth, &precondition, id, update).await?))
}

/// `DELETE /{collection}/{id}`: 204; 409 when others depend on it and `cascade` is false.
pub async fn delete<R: Resource>(
    state: &AppState,
    auth: &AuthUser,
    IfMatch(precondition): IfMatch,
    id: Uuid,
    cascade: bool,
) -> Result<HttpResponse> {
    pipeline::delete::<R>(&state.db, auth, &precondition, id, cascade).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /{collection}/{id}/revisions`: a page of the resource's revisions.
pub async fn revisions<R: Resource>(
    state: &AppState,
    id: Uuid,
    request: ListRequest<NoFilters>,
    req: &HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&request.options)?;
    let listing = pipeline::revisions::<R>(&state.db, id, request.options.sort.as_deref(), &page).await?;
    list_response(state, req, &request.options, listing, &[]).await
}
