//! The import file format `duban.document/v1` (see `data/README.md`), and its checks.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDate};
use entity::{
    item::{ItemKind, Status},
    item_unit::UnitRole,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

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

/// Parses a period, `2021` or `2021-2025`, into its first and last year.
pub fn parse_period(period: &str) -> Option<(i32, i32)> {
    let year = |s: &str| (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten();
    match period.split_once('-') {
        None => year(period).map(|y| (y, y)),
        Some((start, end)) => match (year(start), year(end)) {
            (Some(start), Some(end)) if start <= end => Some((start, end)),
            _ => None,
        },
    }
}

/// Formats a period the way the API shows it.
pub fn format_period(start: i32, end: i32) -> String {
    if start == end { start.to_string() } else { format!("{start}-{end}") }
}

impl DocumentFile {
    /// Reads a file's JSON, naming the path of the field at fault when it does not fit the format.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        let file: Self = crate::body::parse_json(bytes)?;
        file.validate()?;
        Ok(file)
    }

    /// Checks what the types cannot: required text, unique numbers, declared leaders, ranges.
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = Errors::default();
        errors.require(self.format == FORMAT, "format", "must be \"duban.document/v1\"");
        let city = &self.city;
        errors.require(
            city.code.len() == 6 && city.code.bytes().all(|b| b.is_ascii_digit()),
            "city.code",
            "must be a 6-digit admin division code",
        );
        for (field, value) in [
            ("city.name", &city.name),
            ("city.name_en", &city.name_en),
            ("city.province", &city.province),
            ("city.prefecture", &city.prefecture),
            ("document.doc_number", &self.document.doc_number),
            ("document.title", &self.document.title),
            ("document.issuer", &self.document.issuer),
        ] {
            errors.require_text(value, field);
        }

        let mut leaders = HashSet::new();
        for (i, leader) in self.leaders.iter().enumerate() {
            errors.require_text(&leader.name, format!("leaders[{i}].name"));
            errors.require(leaders.insert(leader.name.as_str()), format!("leaders[{i}].name"), "is declared twice");
        }
        let declared = |name: &Option<String>| name.as_deref().is_none_or(|name| leaders.contains(name));
        const UNDECLARED: &str = "names a leader not declared in `leaders`";

        let mut section_numbers = HashSet::new();
        for (s, section) in self.sections.iter().enumerate() {
            let at = format!("sections[{s}]");
            errors.require(
                section_numbers.insert(section.number),
                format!("{at}.number"),
                "is used by another section",
            );
            errors.require_text(&section.title, format!("{at}.title"));
            errors.require(
                parse_period(&section.period).is_some(),
                format!("{at}.period"),
                "must be YYYY or YYYY-YYYY",
            );
            let mut group_numbers = HashSet::new();
            let mut item_keys = HashSet::new();
            for (g, group) in section.groups.iter().enumerate() {
                let at = format!("{at}.groups[{g}]");
                errors.require(group_numbers.insert(group.number), format!("{at}.number"), "is used by another group");
                errors.require(declared(&group.leader), format!("{at}.leader"), UNDECLARED);
                for (i, item) in group.items.iter().enumerate() {
                    let at = format!("{at}.items[{i}]");
                    errors.require(declared(&item.leader), format!("{at}.leader"), UNDECLARED);
                    // Work items are numbered within their group, livelihood projects across the
                    // section (see `data/README.md`).
                    let key = match section.kind {
                        ItemKind::WorkItem => (group.number, item.seq, item.sub_seq),
                        ItemKind::LivelihoodProject => (0, item.seq, item.sub_seq),
                    };
                    errors.require(item_keys.insert(key), format!("{at}.seq"), "is used by another item");
                    errors.require(item.seq >= 1, format!("{at}.seq"), "must be 1 or more");
                    errors.require(item.sub_seq.is_none_or(|s| s >= 1), format!("{at}.sub_seq"), "must be 1 or more");
                    errors.require_text(&item.content, format!("{at}.content"));
                    errors.require(
                        item.progress.is_none_or(|p| (0..=100).contains(&p)),
                        format!("{at}.progress"),
                        "must be between 0 and 100",
                    );
                    let mut units = HashSet::new();
                    for (u, unit) in item.units.iter().enumerate() {
                        errors.require_text(&unit.name, format!("{at}.units[{u}].name"));
                        errors.require(
                            units.insert(unit.name.as_str()),
                            format!("{at}.units[{u}].name"),
                            "is listed twice in this item",
                        );
                    }
                }
            }
        }
        errors.into_result("the document file")
    }
}

/// Collects field errors, to report them all at once.
#[derive(Default)]
pub(crate) struct Errors(Vec<FieldError>);

impl Errors {
    /// Records `message` against `field` unless `ok`.
    pub(crate) fn require(&mut self, ok: bool, field: impl Into<String>, message: &str) {
        if !ok {
            self.0.push(FieldError::new(field, message));
        }
    }

    /// Records an error unless `value` has some non-blank text.
    pub(crate) fn require_text(&mut self, value: &str, field: impl Into<String>) {
        self.require(!value.trim().is_empty(), field, "must not be empty");
    }

    /// `Ok` when nothing was recorded, else a 422 naming the first problem in its detail.
    pub(crate) fn into_result(self, what: &str) -> Result<(), ApiError> {
        match self.0.first() {
            None => Ok(()),
            Some(first) => Err(ApiError::invalid(
                format!("{what} has {} invalid field(s); first: {}: {}", self.0.len(), first.field, first.message),
                self.0,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_as_one_year_or_a_range() {
        assert_eq!(parse_period("2021"), Some((2021, 2021)));
        assert_eq!(parse_period("2021-2025"), Some((2021, 2025)));
        assert_eq!(parse_period("2025-2021"), None);
        assert_eq!(parse_period("21"), None);
        assert_eq!(parse_period("2021-"), None);
        assert_eq!(format_period(2021, 2025), "2021-2025");
        assert_eq!(format_period(2021, 2021), "2021");
    }
}
