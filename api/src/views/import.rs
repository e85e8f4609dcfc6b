//! The import file format `duban.document/v1` (see `data/README.md`), and what an import reports.

use chrono::{DateTime, FixedOffset, NaiveDate};
use entity::{
    item::{ItemKind, Status},
    item_unit::UnitRole,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::views::notice::{Layout, ParseReport};

/// The value of `format` this version reads.
pub const FORMAT: &str = "duban.document/v1";

/// One issued document with its sections, work items and livelihood projects.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentFile {
    /// Always `duban.document/v1`.
    #[schema(example = "duban.document/v1")]
    pub format: String,
    pub city: FileCity,
    pub document: FileDocument,
    /// Every leader a group or item names, with their title.
    pub leaders: Vec<FileLeader>,
    pub sections: Vec<FileSection>,
}

/// A city, matched by its admin division code.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileCity {
    #[schema(example = "330382")]
    pub code: String,
    #[schema(example = "乐清市")]
    pub name: String,
    #[schema(example = "Yueqing")]
    pub name_en: String,
    #[schema(example = "浙江省")]
    pub province: String,
    #[schema(example = "温州市")]
    pub prefecture: String,
}

/// The document itself, matched by (city, doc number).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileDocument {
    #[schema(example = "乐政办函〔2021〕7号")]
    pub doc_number: String,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub recipients: Option<String>,
    pub cc: Option<String>,
    pub disclosure: Option<String>,
}

/// A leader, matched by (city, name).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileLeader {
    #[schema(example = "何学考")]
    pub name: String,
    #[schema(example = "常务副市长")]
    pub title: Option<String>,
}

/// An attachment or plan, matched by (document, number).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSection {
    pub number: i32,
    /// `work_item` or `livelihood_project`: which collection the section's items are in.
    pub kind: ItemKind,
    pub title: String,
    /// `YYYY` or `YYYY-YYYY`.
    #[schema(example = "2021-2025")]
    pub period: String,
    pub groups: Vec<FileGroup>,
}

/// A leader group (work items) or a category (livelihood projects).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileGroup {
    pub number: i32,
    pub heading: Option<String>,
    /// The leader of every item in the group, unless an item names its own.
    pub leader: Option<String>,
    pub items: Vec<FileItem>,
}

/// One numbered row. Tracking fields the file does not give are left out when written, as the
/// files in `data/` leave them out, so `duban parse` prints a seed notice as its committed file.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileItem {
    pub seq: i32,
    #[serde(default)]
    pub sub_seq: Option<i32>,
    pub content: String,
    #[serde(default)]
    pub leader: Option<String>,
    pub units: Vec<FileUnit>,
    #[serde(default)]
    pub remarks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_note: Option<String>,
}

/// A unit named by an item, with its role there.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileUnit {
    #[schema(example = "市发改局")]
    pub name: String,
    pub role: UnitRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How many records of one kind an import created, updated, or found already as the file says.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportTally {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// What one import did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportSummary {
    pub city_id: Uuid,
    pub document_id: Uuid,
    pub cities: ImportTally,
    pub documents: ImportTally,
    pub sections: ImportTally,
    pub leaders: ImportTally,
    pub units: ImportTally,
    /// Work items and livelihood projects, units and roles included.
    pub items: ImportTally,
    /// Items of this document in the database that the file does not list; they are left as
    /// they are.
    pub items_left: u32,
}

impl ImportSummary {
    /// Whether the import changed nothing at all.
    pub fn is_noop(&self) -> bool {
        [self.cities, self.documents, self.sections, self.leaders, self.units, self.items]
            .iter()
            .all(|t| t.created == 0 && t.updated == 0)
    }
}

/// How `POST /api/v1/imports` treats its body.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Run the import in a transaction and roll it back: the answer lists every record it would
    /// create, update and leave unchanged, and nothing is written.
    #[param(default = false)]
    pub dry_run: Option<bool>,
    /// Notice text only: read the tables in this layout instead of detecting it.
    #[param(inline)]
    pub layout: Option<Layout>,
    /// Notice text only: the admin code of the city the notice belongs to. The city must exist;
    /// its fields fill the document's `city`, and its units are matched against the notice's.
    /// Without it the city is looked up by the name in the notice's issuer.
    #[param(pattern = "^[0-9]{6}$", example = "331083")]
    pub city: Option<String>,
}

/// A record an import would create. Its id is provisional: a later import creates it anew.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CreatedRecord {
    /// The collection, e.g. `work-items`.
    #[schema(example = "work-items")]
    pub resource_type: String,
    pub resource_id: Uuid,
    /// The record as its own endpoint would show it.
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

/// A record an import would change, as its own endpoint shows it now and would show it after.
/// Records that embed a changed record (an item showing its leader) are listed too, as the
/// change feed would list them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UpdatedRecord {
    #[schema(example = "work-items")]
    pub resource_type: String,
    pub resource_id: Uuid,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

/// A record the file names that exists already and would stay exactly as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UnchangedRecord {
    #[schema(example = "units")]
    pub resource_type: String,
    pub resource_id: Uuid,
}

/// What an import would do, found by running it and rolling it back: nothing was written.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportPreview {
    /// Always `true`.
    pub dry_run: bool,
    /// The counts the import would report. Ids of records it would create are provisional.
    pub summary: ImportSummary,
    /// Records it would create, parents first.
    pub created: Vec<CreatedRecord>,
    /// Records it would change, with before and after, parents first.
    pub updated: Vec<UpdatedRecord>,
    /// Records the file names that would stay as they are.
    pub unchanged: Vec<UnchangedRecord>,
    /// For notice text: what the parser read, repaired and guessed; `null` for a JSON file.
    pub notice: Option<ParseReport>,
}

/// What an import of notice text did, and what the parser reported.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NoticeImportSummary {
    pub summary: ImportSummary,
    pub notice: ParseReport,
}

/// The answer of `POST /api/v1/imports`: an [`ImportSummary`] for a JSON file, a
/// [`NoticeImportSummary`] for notice text, an [`ImportPreview`] for a dry run of either.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ImportOut {
    Summary(ImportSummary),
    Notice(NoticeImportSummary),
    Preview(ImportPreview),
}

/// Documented as `anyOf`, not `oneOf`: a preview of notice text also has the fields of a notice
/// import's answer, so exactly-one-of would reject a true answer. `dry_run` tells them apart.
impl utoipa::PartialSchema for ImportOut {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{Ref, schema::AnyOfBuilder};
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("ImportSummary"))
            .item(Ref::from_schema_name("NoticeImportSummary"))
            .item(Ref::from_schema_name("ImportPreview"))
            .description(Some(
                "The answer of `POST /api/v1/imports`: an `ImportSummary` for a JSON file, a \
                 `NoticeImportSummary` for notice text, an `ImportPreview` (with `dry_run: true`) for a dry run \
                 of either.",
            ))
            .into()
    }
}

impl ToSchema for ImportOut {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        for (name, schema) in [
            ("ImportSummary", <ImportSummary as utoipa::PartialSchema>::schema()),
            ("NoticeImportSummary", <NoticeImportSummary as utoipa::PartialSchema>::schema()),
            ("ImportPreview", <ImportPreview as utoipa::PartialSchema>::schema()),
        ] {
            schemas.push((name.to_owned(), schema));
        }
        <ImportSummary as ToSchema>::schemas(schemas);
        <NoticeImportSummary as ToSchema>::schemas(schemas);
        <ImportPreview as ToSchema>::schemas(schemas);
    }
}
