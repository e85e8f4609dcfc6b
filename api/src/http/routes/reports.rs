//! Progress reports: filed on an item (`/work-items/{id}/reports`,
//! `/livelihood-projects/{id}/reports`), listed across items (`/reports`), corrected with PATCH
//! (`/reports/{id}`, every correction a revision), withdrawn with DELETE.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::item::ItemKind;
use utoipa::IntoResponses;
use uuid::Uuid;

use crate::{
    domain::{
        auth::AuthUser,
        paging::PageRequest,
        pipeline::{self, Update},
        reports::{self, MissingFilter, NewReport, ReportFilter, Reports},
    },
    error::Result,
    http::{
        extract::{body::Body, if_match::IfMatch, list::ListRequest, query::QueryParams, reading::ReadState},
        respond::{list::list_response, resource::tagged},
        routes::{
            crud::{self, CreateErrors, UpdateErrors},
            docs::{
                And, GetErrors, ListErrors, ListOk, MissingReportOptions, ReportListOptions, RevisionListOptions,
                WriteErrors,
            },
        },
        state::AppState,
    },
    views::{
        problem::Problem,
        reports::{
            MissingReportOut, MissingReportParams, ReportIn, ReportListParams, ReportOut, ReportPatch,
            ReportTrendParams, ReportTrendsOut, TrendGroupBy,
        },
        revisions::{NoFilters, RevisionOut},
    },
};

/// What filing a report on an item can answer besides [`CreateErrors`].
#[derive(IntoResponses)]
pub enum FileReportErrors {
    /// No item of this kind has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
}

/// What correcting a report can answer besides [`UpdateErrors`].
#[derive(IntoResponses)]
pub enum CorrectReportErrors {
    /// The path is not a report's id (ids are hex digits and dashes): it names another resource
    /// under `/reports`, such as `/reports/missing`, which cannot be corrected.
    #[response(status = 405, content_type = "application/problem+json")]
    MethodNotAllowed(#[to_schema] Problem),
}

/// What withdrawing a report can answer. No 409: nothing depends on a report.
#[derive(IntoResponses)]
pub enum WithdrawReportErrorsOwn {
    /// The id is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(#[to_schema] Problem),
    /// The token's user may not correct this report (role, city, or a reporter not of its unit).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(#[to_schema] Problem),
    /// No report has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
    /// `If-Match` does not name the current ETag.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(#[to_schema] Problem),
}

/// [`WithdrawReportErrorsOwn`], the 405 of a path that is no report's id, and the errors any
/// request can meet while it writes.
pub type WithdrawReportErrors = And<And<WithdrawReportErrorsOwn, CorrectReportErrors>, WriteErrors>;

async fn list_of_item(
    state: &AppState,
    kind: ItemKind,
    id: Uuid,
    ListRequest { options, .. }: ListRequest<NoFilters>,
    req: &HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let listing = reports::list_of_item(&state.db, kind, id, options.sort.as_deref(), &page).await?;
    list_response(state, req, &options, listing, &[]).await
}

/// Defines the list and filing handlers of one kind of item's reports, each with its own OpenAPI
/// operation (utoipa needs literal paths, so the two kinds cannot share one handler).
macro_rules! item_report_routes {
    (
        $list:ident, $create:ident, kind: $kind:expr, noun: $noun:literal,
        path: $path:literal, scope: $scope:literal, ids: [$list_id:literal, $create_id:literal],
        docs: [$list_doc:literal, $create_doc:literal] $(,)?
    ) => {
        #[doc = $list_doc]
        #[doc = ""]
        #[doc = "The item's dated progress reports, latest `as_of` first, with the usual paging. Anyone may read"]
        #[doc = "them. Costs one query for the page plus a count for `total` (skip it with `count=none`)."]
        #[utoipa::path(
            get,
            path = $path,
            tag = "reports",
            operation_id = $list_id,
            params(("id" = Uuid, Path, description = concat!("The ", $noun, "'s id")), ReportListOptions),
            responses(ListOk<ReportOut>, GetErrors)
        )]
        #[get($scope)]
        pub async fn $list(
            ReadState(state): ReadState,
            id: web::Path<Uuid>,
            request: ListRequest<NoFilters>,
            req: HttpRequest,
        ) -> Result<HttpResponse> {
            list_of_item(&state, $kind, *id, request, &req).await
        }

        #[doc = $create_doc]
        #[doc = ""]
        #[doc = "Needs a bearer token of an admin, of an editor of the item's city, or of a reporter of the"]
        #[doc = "reporting unit when the unit's role on the item lets it report (`REPORTER_UNIT_ROLES`). The"]
        #[doc = "item's status and progress then follow its latest report."]
        #[utoipa::path(
            post,
            path = $path,
            tag = "reports",
            operation_id = $create_id,
            params(("id" = Uuid, Path, description = concat!("The ", $noun, "'s id"))),
            request_body = ReportIn,
            security(("bearer" = [])),
            responses(
                (status = 201, description = "Filed", body = ReportOut,
                    headers(("Location" = String, description = "The new report's URL"), ("ETag" = String, description = "Strong entity tag"))),
                CreateErrors,
                FileReportErrors
            )
        )]
        #[post($scope)]
        pub async fn $create(
            state: web::Data<AppState>,
            auth: AuthUser,
            id: web::Path<Uuid>,
            Body(report): Body<ReportIn>,
        ) -> Result<HttpResponse> {
            crud::create::<Reports>(&state, &auth, NewReport { item: *id, kind: $kind, report }).await
        }
    };
}

item_report_routes!(
    list_work_item_reports, create_work_item_report, kind: ItemKind::WorkItem, noun: "work item",
    path: "/api/v1/work-items/{id}/reports", scope: "/work-items/{id}/reports",
    ids: ["list_work_item_reports", "create_work_item_report"],
    docs: ["List a work item's progress reports", "File a progress report on a work item"],
);
item_report_routes!(
    list_livelihood_project_reports, create_livelihood_project_report, kind: ItemKind::LivelihoodProject,
    noun: "livelihood project", path: "/api/v1/livelihood-projects/{id}/reports",
    scope: "/livelihood-projects/{id}/reports", ids: ["list_livelihood_project_reports", "create_livelihood_project_report"],
    docs: ["List a livelihood project's progress reports", "File a progress report on a livelihood project"],
);

/// List progress reports
///
/// Progress reports across items, latest `as_of` first, filtered by city, document, unit, leader and
/// the `from`/`to` range of `as_of`. Anyone may read them. Costs one query for the page plus a count
/// for `total` (skip it with `count=none`).
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "reports",
    operation_id = "list_reports",
    params(ReportListOptions, ReportListParams),
    responses(ListOk<ReportOut>, ListErrors)
)]
#[get("/reports")]
pub async fn list_reports(
    ReadState(state): ReadState,
    ListRequest { options, filters }: ListRequest<ReportListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = ReportFilter::from_params(&filters)?;
    let listing = reports::list(&state.db, &filter, options.sort.as_deref(), &page).await?;
    list_response(&state, &req, &options, listing, &[]).await
}

/// List the reports units owe for a period
///
/// Each unit in a reporting role (`REPORTER_UNIT_ROLES`) on an item whose period covers part of the
/// period and that is neither completed nor cancelled, that has filed no report with `as_of` in the
/// period. The period is the one asked for, a quarter (`2021-Q2`) or a month (`2021-06`), except in
/// a city whose `reporting_cycle` is `quarterly`, which is asked about the quarter around a month.
/// Without `period`, each city with a `reporting_cycle` is asked about its cycle's current period
/// (today's month or quarter, in China Standard Time) and cities without one are left out; `city`
/// naming a city without one then is a 400. Each entry names the `period` it is owed for. Anyone
/// may read it. Costs one query for the page plus a count for `total`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/missing",
    tag = "reports",
    operation_id = "list_missing_reports",
    params(MissingReportOptions, MissingReportParams),
    responses(ListOk<MissingReportOut>, ListErrors)
)]
#[get("/reports/missing")]
pub async fn list_missing_reports(
    ReadState(state): ReadState,
    ListRequest { options, filters }: ListRequest<MissingReportParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = MissingFilter::from_params(&filters, &state.reporting_roles, state.clock.today())?;
    let listing = reports::missing(&state.db, &filter, options.sort.as_deref(), &page).await?;
    list_response(&state, &req, &options, listing, &[]).await
}

/// Trends of the progress reports
///
/// For dashboards: per month or quarter of `as_of`, and per city, unit or leader, how many reports
/// and items, their average progress, the items reported completed, and the items reported on past
/// their due date. Every report in a bucket counts (the average is over reports, not items); an
/// item counts as completed, or as overdue (judged by its current due date), in a bucket when one
/// of its reports there says so. Anyone may read it. Costs one query: over tallies that every
/// write keeps exact (per month, quarter, city, unit, leader and document) when the filter is one
/// they hold (no `unit` unless grouped by unit, no `leader` unless grouped by leader, `from` and
/// `to` on the first and last days of periods), else over the reports; the figures are the same.
#[utoipa::path(
    get,
    path = "/api/v1/stats/reports",
    tag = "stats",
    operation_id = "report_trends",
    params(ReportTrendParams),
    responses((status = 200, description = "The trends", body = ReportTrendsOut), ListErrors)
)]
#[get("/stats/reports")]
pub async fn report_trends(
    ReadState(state): ReadState,
    QueryParams(params): QueryParams<ReportTrendParams>,
) -> Result<HttpResponse> {
    let ReportTrendParams { interval, group_by, city, unit, leader, from, to } = params;
    let filter = ReportFilter::from_params(&ReportListParams { city, document: None, unit, leader, from, to })?;
    let trends = reports::trends(&state.db, &filter, interval, group_by.unwrap_or(TrendGroupBy::City)).await?;
    Ok(HttpResponse::Ok().json(trends))
}

/// Get a progress report
///
/// One report with its `ETag`, which a correction sends back in `If-Match`. Anyone may read it.
/// Costs one query.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    operation_id = "get_report",
    params(("id" = Uuid, Path, description = "The report's id")),
    responses(
        (status = 200, description = "The report", body = ReportOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/reports/{id}")]
pub async fn get_report(ReadState(state): ReadState, id: web::Path<Uuid>) -> Result<HttpResponse> {
    Ok(tagged(pipeline::get::<Reports>(&state.db, *id).await?))
}

/// Correct a progress report
///
/// The fields the body names change, and the report before the correction stays in its revisions.
/// Who may: as for filing it. Send `If-Match` with the ETag you read to make a lost update
/// impossible. Costs one transaction; the item's status and progress follow its latest report.
#[utoipa::path(
    patch,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    operation_id = "patch_report",
    params(("id" = Uuid, Path, description = "The report's id"), crate::http::extract::if_match::IfMatchHeader),
    request_body = ReportPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Corrected", body = ReportOut, headers(("ETag" = String, description = "The new entity tag"))),
        UpdateErrors,
        CorrectReportErrors
    )
)]
// Hex digits and dashes only, so that `PATCH /reports/missing` is a 405, not this route's 401.
#[patch("/reports/{id:[0-9a-fA-F-]+}")]
pub async fn patch_report(
    state: web::Data<AppState>,
    auth: AuthUser,
    if_match: IfMatch,
    id: web::Path<Uuid>,
    Body(input): Body<ReportPatch>,
) -> Result<HttpResponse> {
    crud::update::<Reports>(&state, &auth, if_match, *id, Update::Patch(input)).await
}

/// Withdraw a progress report
///
/// Deletes the report; its revisions stay readable and end with the deletion, which the change
/// feed shows as a tombstone. Who may: as for correcting it. Send `If-Match` with the ETag you read
/// to withdraw only what you saw. The item's status and progress then follow its latest remaining
/// report; when none remains they stay as they were. Costs one transaction.
#[utoipa::path(
    delete,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    operation_id = "delete_report",
    params(("id" = Uuid, Path, description = "The report's id"), crate::http::extract::if_match::IfMatchHeader),
    security(("bearer" = [])),
    responses((status = 204, description = "Withdrawn"), WithdrawReportErrors)
)]
// Hex digits and dashes only, as for PATCH: `DELETE /reports/missing` is a 405.
#[delete("/reports/{id:[0-9a-fA-F-]+}")]
pub async fn delete_report(
    state: web::Data<AppState>,
    auth: AuthUser,
    if_match: IfMatch,
    id: web::Path<Uuid>,
) -> Result<HttpResponse> {
    // Nothing depends on a report, so there is nothing to cascade to.
    crud::delete::<Reports>(&state, &auth, if_match, *id, false).await
}

/// List a progress report's revisions
///
/// Its filing and every correction, oldest first, each with who made it and the fields it changed.
/// Anyone may read them. Costs one query for the page.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/revisions",
    tag = "reports",
    operation_id = "list_report_revisions",
    params(("id" = Uuid, Path, description = "The report's id"), RevisionListOptions),
    responses(ListOk<RevisionOut>, GetErrors)
)]
#[get("/reports/{id}/revisions")]
pub async fn report_revisions(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    request: ListRequest<NoFilters>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    crud::revisions::<Reports>(&state, *id, request, &req).await
}
