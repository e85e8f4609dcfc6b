//! `/problems`: the registry of problem types, one page per type, so that a problem's `type`
//! leads a reader to what it means and what to do.

use std::fmt::Write;

use actix_web::{HttpRequest, HttpResponse, get, mime, web};

use crate::{
    error::{ApiError, Problem, Result},
    http::{respond::html, routes::docs::TransientErrors},
    views::problem::{ProblemType, ProblemTypeOut},
};

/// List the problem types
///
/// Every kind of problem the API answers with: its `type` URI, title, status, and what it means
/// and what to do. Anyone may read it; it costs nothing (no database). Browsers get an HTML page.
#[utoipa::path(
    get,
    path = "/problems",
    tag = "problems",
    operation_id = "list_problem_types",
    responses(
        (status = 200, description = "Every problem type", body = Vec<ProblemTypeOut>),
        TransientErrors
    )
)]
#[get("/problems")]
pub async fn list_problem_types(req: HttpRequest) -> HttpResponse {
    let types: Vec<ProblemTypeOut> = ProblemType::ALL.into_iter().map(ProblemTypeOut::from).collect();
    if html::prefers_html(&req) {
        let mut body = String::from("<ul>\n");
        for kind in &types {
            // Writing to a String cannot fail.
            let _ = writeln!(
                body,
                "<li><a href=\"{}\">{} ({})</a>: {}</li>",
                html::escape(&kind.href),
                html::escape(&kind.title),
                kind.status,
                html::escape(&kind.description)
            );
        }
        body.push_str("</ul>\n");
        return HttpResponse::Ok()
            .content_type(mime::TEXT_HTML_UTF_8)
            .body(html::page("Duban API: problem types", &body));
    }
    HttpResponse::Ok().json(types)
}

/// Describe a problem type
///
/// What problems whose `type` ends in this slug mean and what to do about them. Anyone may read
/// it; it costs nothing (no database). Browsers get an HTML page.
#[utoipa::path(
    get,
    path = "/problems/{slug}",
    tag = "problems",
    operation_id = "get_problem_type",
    params(("slug" = ProblemType, Path, description = "The last segment of the problem's `type`")),
    responses(
        (status = 200, description = "The problem type", body = ProblemTypeOut),
        (status = 404, description = "No problem type has this slug", body = Problem, content_type = "application/problem+json"),
        TransientErrors
    )
)]
#[get("/problems/{slug}")]
pub async fn get_problem_type(req: HttpRequest, slug: web::Path<String>) -> Result<HttpResponse> {
    let kind = ProblemType::from_slug(&slug)
        .ok_or_else(|| ApiError::NotFound { resource: "problem types", id: slug.into_inner() })?;
    let kind = ProblemTypeOut::from(kind);
    if html::prefers_html(&req) {
        let body = format!(
            "<p><code>{}</code>, status {}</p>\n<p>{}</p>\n<p><a href=\"/problems\">Every problem type</a></p>\n",
            html::escape(&kind.r#type),
            kind.status,
            html::escape(&kind.description)
        );
        return Ok(HttpResponse::Ok().content_type(mime::TEXT_HTML_UTF_8).body(html::page(&kind.title, &body)));
    }
    Ok(HttpResponse::Ok().json(kind))
}
