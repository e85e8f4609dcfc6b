//! The checks of an import file that its types cannot express.

use std::collections::HashSet;

use entity::item::ItemKind;

use crate::{
    error::{ApiError, FieldError, parse_json},
    views::{
        import::{DocumentFile, FORMAT},
        values::{calendar_date, parse_period},
    },
};

impl DocumentFile {
    /// Reads a file's JSON, naming the path of the field at fault when it does not fit the format.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        let file: Self = parse_json(bytes)?;
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
        errors.require(
            calendar_date("document.issued_on", self.document.issued_on).is_ok(),
            "document.issued_on",
            "must be a date from 0001-01-01 to 9999-12-31",
        );

        let mut leaders = HashSet::new();
        for (i, leader) in self.leaders.iter().enumerate() {
            errors.require_text(&leader.name, || format!("leaders[{i}].name"));
            errors.require(leaders.insert(leader.name.as_str()), || format!("leaders[{i}].name"), "is declared twice");
        }
        let declared = |name: &Option<String>| name.as_deref().is_none_or(|name| leaders.contains(name));
        const UNDECLARED: &str = "names a leader not declared in `leaders`";

        let mut section_numbers = HashSet::new();
        for (s, section) in self.sections.iter().enumerate() {
            let at = format!("sections[{s}]");
            errors.require(
                section_numbers.insert(section.number),
                || format!("{at}.number"),
                "is used by another section",
            );
            errors.require_text(&section.title, || format!("{at}.title"));
            errors.require(
                parse_period(&section.period).is_some(),
                || format!("{at}.period"),
                "must be YYYY or YYYY-YYYY",
            );
            let mut group_numbers = HashSet::new();
            let mut item_keys = HashSet::new();
            for (g, group) in section.groups.iter().enumerate() {
                let at = format!("{at}.groups[{g}]");
                errors.require(
                    group_numbers.insert(group.number),
                    || format!("{at}.number"),
                    "is used by another group",
                );
                errors.require(declared(&group.leader), || format!("{at}.leader"), UNDECLARED);
                for (i, item) in group.items.iter().enumerate() {
                    let at = format!("{at}.items[{i}]");
                    errors.require(declared(&item.leader), || format!("{at}.leader"), UNDECLARED);
                    // Work items are numbered within their group, livelihood projects across the
                    // section (see `data/README.md`).
                    let key = match section.kind {
                        ItemKind::WorkItem => (group.number, item.seq, item.sub_seq),
                        ItemKind::LivelihoodProject => (0, item.seq, item.sub_seq),
                    };
                    errors.require(item_keys.insert(key), || format!("{at}.seq"), "is used by another item");
                    errors.require(item.seq >= 1, || format!("{at}.seq"), "must be 1 or more");
                    errors.require(
                        item.sub_seq.is_none_or(|s| s >= 1),
                        || format!("{at}.sub_seq"),
                        "must be 1 or more",
                    );
                    errors.require_text(&item.content, || format!("{at}.content"));
                    errors.require(
                        item.progress.is_none_or(|p| (0..=100).contains(&p)),
                        || format!("{at}.progress"),
                        "must be between 0 and 100",
                    );
                    let mut units = HashSet::new();
                    for (u, unit) in item.units.iter().enumerate() {
                        errors.require_text(&unit.name, || format!("{at}.units[{u}].name"));
                        errors.require(
                            units.insert(unit.name.as_str()),
                            || format!("{at}.units[{u}].name"),
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

/// The path of a field, or what writes it: a file of 10,000 items has about 160,000 to check,
/// and only those of errors are written out.
pub(crate) trait FieldPath {
    fn path(self) -> String;
}

impl FieldPath for &str {
    fn path(self) -> String {
        self.to_owned()
    }
}

impl<F: FnOnce() -> String> FieldPath for F {
    fn path(self) -> String {
        self()
    }
}

impl Errors {
    /// Records `message` against `field` unless `ok`.
    pub(crate) fn require(&mut self, ok: bool, field: impl FieldPath, message: &str) {
        if !ok {
            self.0.push(FieldError::new(field.path(), message));
        }
    }

    /// Records an error unless `value` has some non-blank text.
    pub(crate) fn require_text(&mut self, value: &str, field: impl FieldPath) {
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
