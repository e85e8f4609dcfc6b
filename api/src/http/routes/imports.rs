//! `POST /api/v1/imports`: a document file, as in `data/`, or the text of a notice, in one
//! transaction; or a dry run of either, which writes nothing.

use actix_web::{HttpResponse, post, web};

use crate::{
    domain::{auth::AuthUser, import::notice::import},
    error::Result,
    http::{
        extract::{body::ImportBody, query::QueryParams},
        routes::crud::CreateErrors,
        state::AppState,
    },
    views::{
        import::{DocumentFile, ImportOut, ImportParams},
        problem::Problem,
    },
};

/// Import a document
///
/// Imports a document with its sections, work items and livelihood projects: all of it or nothing,
/// matched by natural keys, so importing the same file again changes nothing. An editor may import
/// into their own city; only an admin may import a file whose city does not exist yet. Costs one
/// transaction of a few statements per kind of record (a notice of 150 items: well under a second).
///
/// The body is a document file (`application/json`, the format of `data/*.json`) or the text of a
/// published notice (`text/plain`, UTF-8), which is parsed first: its city must exist (`city`, or
/// the city its issuer names), and the parser's warnings come with the answer. Review them with
/// `dry_run=true`, which runs the import and rolls it back: the answer lists every record it would
/// create, update (before and after) and leave unchanged, and nothing is written.
///
/// The answer is an `ImportSummary` for a file, a `NoticeImportSummary` for notice text, and an
/// `ImportPreview` for a dry run of either.
#[utoipa::path(
    post,
    path = "/api/v1/imports",
    tag = "imports",
    operation_id = "create_import",
    params(ImportParams),
    request_body(
        description = "A document file, or the UTF-8 text of a notice in either layout of the seeds",
        content(
            (DocumentFile = "application/json"),
            (String = "text/plain", example = json!(NOTICE_EXAMPLE)),
        ),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the import created, updated and left alone; for a dry run, what it would", body = ImportOut,
            examples(
                ("file" = (summary = "A JSON file imported again: nothing to do", value = json!({
                    "city_id": "01970000-0000-7000-8000-000000000001",
                    "document_id": "01970000-0000-7000-8000-000000000002",
                    "cities": {"created": 0, "updated": 0, "unchanged": 1},
                    "documents": {"created": 0, "updated": 0, "unchanged": 1},
                    "sections": {"created": 0, "updated": 0, "unchanged": 2},
                    "leaders": {"created": 0, "updated": 0, "unchanged": 4},
                    "units": {"created": 0, "updated": 0, "unchanged": 38},
                    "items": {"created": 0, "updated": 0, "unchanged": 131},
                    "items_left": 0
                }))),
                ("dry_run" = (summary = "A dry run of the example notice: a new document of an existing city", value = json!({
                    "dry_run": true,
                    "summary": {
                        "city_id": "01970000-0000-7000-8000-000000000001",
                        "document_id": "01970000-0000-7000-8000-0000000000d1",
                        "cities": {"created": 0, "updated": 0, "unchanged": 1},
                        "documents": {"created": 1, "updated": 0, "unchanged": 0},
                        "sections": {"created": 1, "updated": 0, "unchanged": 0},
                        "leaders": {"created": 1, "updated": 0, "unchanged": 0},
                        "units": {"created": 0, "updated": 0, "unchanged": 2},
                        "items": {"created": 1, "updated": 0, "unchanged": 0},
                        "items_left": 0
                    },
                    "created": [
                        {"resource_type": "leaders", "resource_id": "01970000-0000-7000-8000-0000000000a1",
                            "after": {"id": "01970000-0000-7000-8000-0000000000a1", "name": "张三", "title": "市长"}},
                        {"resource_type": "documents", "resource_id": "01970000-0000-7000-8000-0000000000d1",
                            "after": {"id": "01970000-0000-7000-8000-0000000000d1", "doc_number": "玉政办发〔2022〕3号"}}
                    ],
                    "updated": [],
                    "unchanged": [
                        {"resource_type": "cities", "resource_id": "01970000-0000-7000-8000-000000000001"},
                        {"resource_type": "units", "resource_id": "01970000-0000-7000-8000-0000000000b1"},
                        {"resource_type": "units", "resource_id": "01970000-0000-7000-8000-0000000000b2"}
                    ],
                    "notice": {
                        "layout": "tabbed",
                        "warnings": [{"kind": "extraction_space", "line": 18,
                            "message": "removed extraction spaces in the content",
                            "original": "推进 工作。", "repaired": "推进工作。"}],
                        "units": [
                            {"name": "市发改局", "known": "市发改局", "how": "exact", "near_misses": []},
                            {"name": "市财政局", "known": "市财政局", "how": "exact", "near_misses": []}
                        ]
                    }
                }))),
            )
        ),
        (status = 415, description = "The body is neither application/json nor text/plain", body = Problem, content_type = "application/problem+json"),
        CreateErrors
    )
)]
#[post("/imports")]
pub async fn create_import(
    state: web::Data<AppState>,
    auth: AuthUser,
    QueryParams(params): QueryParams<ImportParams>,
    ImportBody(input): ImportBody,
) -> Result<HttpResponse> {
    let result: Result<ImportOut> = import(&state.db, input, &params, &auth).await;
    let outcome = if result.is_ok() { "imported" } else { "refused" };
    metrics::counter!("duban_imports_total", "outcome" => outcome).increment(1);
    Ok(HttpResponse::Ok().json(result?))
}

/// A small notice in the tab-separated layout, for the OpenAPI document.
const NOTICE_EXAMPLE: &str = "玉政办发〔2022〕3号\n\n玉环市人民政府办公室关于印发重点工作责任分解的通知\n\n\
各乡镇人民政府、街道办事处，市政府直属各单位：\n\n玉环市人民政府办公室\n\n2022年2月8日\n\n附件 1\n\n\
2022年重点工作责任分解\n\n一、张三市长牵头重点工作\n\n序号\t重点工作\t责任单位\t备注\n1\t推进 工作。\t*市发改局、市财政局\t\n";
