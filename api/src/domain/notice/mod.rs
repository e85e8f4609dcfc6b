//! Parses responsibility-decomposition notices (重点工作责任分解, 民生实事项目任务分解) into the
//! import format `duban.document/v1`, reporting every repair and guess as a warning.
//!
//! Two layouts are read (detected automatically, or forced with [`ParseOptions::layout`]):
//! - [`Layout::Tabbed`]: tab-separated tables with `*` lead marks (text extracted from a PDF,
//!   like the Yueqing notice);
//! - [`Layout::Cells`]: one table cell per line (text copied from a web page, like the Yuhuan
//!   notice).
//!
//! Extraction losses are repaired by general rules (see `repair`), never by special cases, and
//! each repair is reported with the text before and after.

mod build;
mod cells;
mod columns;
mod draft;
mod leaders;
mod lines;
mod meta;
mod repair;
mod sections;
mod tabbed;
mod units;
mod warning;

use serde::Serialize;

pub use crate::views::notice::{Layout, MatchHow, ParseReport, UnitMatch, Warning, WarningKind};
use crate::{
    error::{ApiError, FieldError},
    views::import::{DocumentFile, FileCity},
};
use lines::{Line, split_lines};

/// What the caller knows about the notice.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Force a layout instead of detecting it.
    pub layout: Option<Layout>,
    /// The city the notice belongs to. Without it the city's name is inferred from the issuer
    /// and its other fields are left empty, with a `city_incomplete` warning: the importer then
    /// rejects the file until they are filled in, so nothing is imported under a wrong city.
    pub city: Option<FileCity>,
    /// Unit names the city already has, to match the notice's units against.
    pub known_units: Vec<String>,
}

/// A parsed notice.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub document: DocumentFile,
    pub warnings: Vec<Warning>,
    /// The layout that was read.
    pub layout: Layout,
    /// Every unit name of the document, in order of first appearance, with its match among the
    /// known units.
    pub units: Vec<UnitMatch>,
}

/// Why a notice could not be parsed. Nothing is produced in these cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ParseError {
    /// The input holds no text.
    Empty,
    /// The bytes are not UTF-8; `encoding` names what they look like (`GBK`, `UTF-16`), if known.
    NotUtf8 { encoding: Option<String>, valid_up_to: usize },
    /// No table header was found in any layout.
    NoTables,
    /// Table words were found, but not in a layout the parser reads (e.g. a Markdown or CSV table).
    UnknownLayout { line: usize, text: String },
    /// The forced layout has no tables in this text.
    NoTablesInLayout { layout: Layout },
    /// A table header lacks a column every row needs.
    MissingColumn { line: usize, column: String, header: String },
    /// Required metadata (doc number, title, issuer, issue date) was not found.
    MissingMetadata { field: &'static str },
    /// A damaged date can be read as more than one date.
    AmbiguousDate { line: usize, text: String },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Empty => write!(f, "the notice is empty"),
            ParseError::NotUtf8 { encoding: Some(encoding), valid_up_to } => write!(
                f,
                "the notice is not UTF-8 (invalid at byte {valid_up_to}); it looks like {encoding}: convert it first, e.g. `iconv -f {encoding} -t UTF-8`"
            ),
            ParseError::NotUtf8 { encoding: None, valid_up_to } => {
                write!(f, "the notice is not UTF-8 text (invalid at byte {valid_up_to})")
            }
            ParseError::NoTables => {
                write!(f, "the notice has no tables (no header row such as 序号 / 重点工作 / 责任单位)")
            }
            ParseError::UnknownLayout { line, text } => write!(
                f,
                "line {line} looks like a table ({text}) but not in a layout the parser reads (tab-separated cells, or one cell per line)"
            ),
            ParseError::NoTablesInLayout { layout } => write!(f, "no table in the {layout} layout was found"),
            ParseError::MissingColumn { line, column, header } => {
                write!(f, "line {line}: the table header ({header}) has no {column} column")
            }
            ParseError::MissingMetadata { field } => write!(f, "the notice has no {field}"),
            ParseError::AmbiguousDate { line, text } => {
                write!(f, "line {line}: the damaged date {text} can be read as more than one date")
            }
        }
    }
}

impl std::error::Error for ParseError {}

impl Parsed {
    /// The document, and what the parser reported about it.
    pub fn into_parts(self) -> (DocumentFile, ParseReport) {
        (self.document, ParseReport { layout: self.layout, warnings: self.warnings, units: self.units })
    }
}

impl From<ParseError> for ApiError {
    /// Bytes that are not text are a malformed request (400); text that is not a notice the
    /// parser reads is well formed but unprocessable (422). Either way the detail names what is
    /// wrong and where.
    fn from(error: ParseError) -> Self {
        let message = error.to_string();
        let errors = vec![FieldError::new("body", message.clone())];
        let detail = format!("the notice cannot be parsed: {message}");
        match error {
            ParseError::NotUtf8 { .. } => ApiError::BadRequest { detail, errors },
            _ => ApiError::Unprocessable { detail, errors },
        }
    }
}

/// Parses raw bytes: they must be UTF-8 (a byte-order mark is allowed). GBK and UTF-16 input
/// is rejected with an error that names the encoding.
pub fn parse_bytes(bytes: &[u8], options: &ParseOptions) -> Result<Parsed, ParseError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text, options),
        Err(error) => Err(ParseError::NotUtf8 { encoding: guess_encoding(bytes), valid_up_to: error.valid_up_to() }),
    }
}

/// What non-UTF-8 bytes probably are.
fn guess_encoding(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Some("UTF-16".to_string());
    }
    let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(bytes);
    let has_han = text.chars().any(lines::is_han);
    (!had_errors && has_han).then(|| "GBK".to_string())
}

/// Parses the text of a notice.
pub fn parse(text: &str, options: &ParseOptions) -> Result<Parsed, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = split_lines(text);
    if lines.iter().all(Line::is_blank) {
        return Err(ParseError::Empty);
    }
    let layout = choose_layout(&lines, options.layout)?;
    let mut warnings = warning::Warnings::default();
    let start = match layout {
        Layout::Tabbed => tabbed::table_start(&lines),
        Layout::Cells => cells::table_start(&lines),
    }
    .unwrap_or(lines.len());
    let meta = meta::read_meta(&lines[..start], &lines, &mut warnings)?;
    let year = chrono::Datelike::year(&meta.issued_on);
    let mut sections = match layout {
        Layout::Tabbed => tabbed::parse(&lines[start..], year, &mut warnings)?,
        Layout::Cells => cells::parse(&lines[start..], year, &mut warnings)?,
    };
    repair::repair_document(&mut sections, &options.known_units, &mut warnings);
    let (document, unit_names) = build::document(meta, sections, options.city.clone(), &mut warnings);
    let units = units::match_units(&unit_names, &options.known_units, &mut warnings);
    Ok(Parsed { document, warnings: warnings.into_vec(), layout, units })
}

/// The forced layout, or the one whose tables the text has.
fn choose_layout(lines: &[Line], forced: Option<Layout>) -> Result<Layout, ParseError> {
    let has = |layout: Layout| match layout {
        Layout::Tabbed => tabbed::has_tables(lines),
        Layout::Cells => cells::has_tables(lines),
    };
    if let Some(layout) = forced {
        return if has(layout) { Ok(layout) } else { Err(ParseError::NoTablesInLayout { layout }) };
    }
    if has(Layout::Tabbed) {
        return Ok(Layout::Tabbed);
    }
    if has(Layout::Cells) {
        return Ok(Layout::Cells);
    }
    match lines.iter().find(|l| looks_like_other_table(l.trimmed())) {
        Some(line) => Err(ParseError::UnknownLayout { line: line.number, text: line.trimmed().to_string() }),
        None => Err(ParseError::NoTables),
    }
}

/// A line that names two or more table columns in some other arrangement (`| 序号 | 重点工作 |`,
/// `序号,重点工作,责任单位`, `序号 重点工作 责任单位`).
fn looks_like_other_table(text: &str) -> bool {
    let names = ["序号", "重点工作", "责任单位", "牵头单位", "项目内容", "牵头领导", "备注"];
    names.iter().filter(|n| text.contains(*n)).count() >= 2
}
