//! The import file format `duban.document/v1` (see `data/README.md`), and what an import reports.

use chrono::{DateTime, FixedOffset, NaiveDate};
use entity::{
    item::{ItemKind, Status},
    item_unit::UnitRole,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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

/// One numbered row.
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
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub progress: Option<i32>,
    #[serde(default)]
    pub progress_note: Option<String>,
}

/// A unit named by an item, with its role there.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileUnit {
    #[schema(example = "市发改局")]
    pub name: String,
    pub role: UnitRole,
    #[serde(default)]
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
