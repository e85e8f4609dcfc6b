//! What the notice parser reports (`duban parse`, and imports of notice text): the layout it read,
//! every place it repaired, guessed or skipped something, and how the notice's units match the
//! units the city already has.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The two table layouts of the seed notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Tab-separated rows, `序号\t重点工作\t责任单位\t备注` headers, `*` lead marks.
    Tabbed,
    /// One table cell per line.
    Cells,
}

impl Layout {
    /// The name used on the command line, in query parameters and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Tabbed => "tabbed",
            Layout::Cells => "cells",
        }
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Layout {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "tabbed" => Ok(Layout::Tabbed),
            "cells" => Ok(Layout::Cells),
            other => Err(format!("unknown layout `{other}`: use tabbed or cells")),
        }
    }
}

/// What a warning is about. Each kind is either a repair (the text was changed and `original` /
/// `repaired` show both), a reading (a guess about the table), or a notice that text was kept as
/// written although it looks damaged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Repair: spaces the extraction put inside Chinese text were removed.
    ExtractionSpace,
    /// Repair: the Latin word `and` between Chinese characters was read as 和.
    LatinAnd,
    /// Repair: the document number lost its closing bracket 〕 or its 号.
    DocNumberRepaired,
    /// Repair: the issue date lost its 年/月/日 and was read from its digits.
    DateRepaired,
    /// Reading: a publication time without a zone was read as China Standard Time (+08:00).
    TimeZoneAssumed,
    /// Repair: an item lost its first character, restored from the openers of other items.
    DroppedFirstChar,
    /// Repair: a unit lost its 市 prefix; the prefixed name is used elsewhere.
    MissingCityPrefix,
    /// Repair: two unit names run together on one line were split.
    JoinedUnitsSplit,
    /// Repair: a lost opening bracket was restored.
    BracketRepaired,
    /// Kept: brackets that do not balance, with no certain repair.
    UnbalancedBracket,
    /// Kept: quotation marks that do not balance.
    UnbalancedQuote,
    /// Repair: a unit listed twice in one item; the second copy was dropped.
    DuplicateUnit,
    /// Repair: a row leader not declared anywhere was read as the one declared leader whose name
    /// differs from it by one character (an OCR misreading).
    LeaderRepaired,
    /// Kept: a row leader that matches no declared leader.
    UnknownLeader,
    /// Skipped: a table header repeated at a page break.
    RepeatedHeader,
    /// Reading: a leader or category cell repeated at a page break continues the current group.
    RepeatedGroupCell,
    /// Repair: a table row broken over several lines was joined.
    RowContinued,
    /// Repair: a cell that wraps onto the next line was joined.
    WrappedCellJoined,
    /// Reading: an empty (merged) cell continues the value of the row above.
    CellContinued,
    /// Reading: the border between the lead and cooperating unit columns is lost; the first unit
    /// was taken as the lead.
    ColumnBorderGuessed,
    /// Reading: a trailing parenthetical was read as a note on the unit, not part of its name.
    UnitNote,
    /// Skipped: a line the parser could not place.
    SkippedLine,
    /// Kept: a table row with fewer cells than its header.
    MissingCell,
    /// Reading: a section period not written in its title was taken from the issue date.
    PeriodAssumed,
    /// Reading: no city was given; its name was inferred from the issuer and the other fields are
    /// empty (the importer rejects the file until they are filled in).
    CityIncomplete,
    /// Kept: the city given does not match the issuer's city.
    CityMismatch,
    /// Reading: a metadata field was missing and taken from another place (or left empty).
    MissingMetadata,
    /// Reading: a unit matches a known unit only after normalising brackets and spaces.
    UnitNormalisedMatch,
    /// Kept: a unit name looks like an abbreviation or a longer form of another unit name.
    UnitNearMiss,
    /// Kept: two spellings of one unit in this document differ only in brackets or spaces.
    UnitSpellingVariant,
}

impl WarningKind {
    /// Every kind, for tests that must cover them all.
    pub const ALL: [WarningKind; 30] = [
        WarningKind::ExtractionSpace,
        WarningKind::LatinAnd,
        WarningKind::DocNumberRepaired,
        WarningKind::DateRepaired,
        WarningKind::TimeZoneAssumed,
        WarningKind::DroppedFirstChar,
        WarningKind::MissingCityPrefix,
        WarningKind::JoinedUnitsSplit,
        WarningKind::BracketRepaired,
        WarningKind::UnbalancedBracket,
        WarningKind::UnbalancedQuote,
        WarningKind::DuplicateUnit,
        WarningKind::LeaderRepaired,
        WarningKind::UnknownLeader,
        WarningKind::RepeatedHeader,
        WarningKind::RepeatedGroupCell,
        WarningKind::RowContinued,
        WarningKind::WrappedCellJoined,
        WarningKind::CellContinued,
        WarningKind::ColumnBorderGuessed,
        WarningKind::UnitNote,
        WarningKind::SkippedLine,
        WarningKind::MissingCell,
        WarningKind::PeriodAssumed,
        WarningKind::CityIncomplete,
        WarningKind::CityMismatch,
        WarningKind::MissingMetadata,
        WarningKind::UnitNormalisedMatch,
        WarningKind::UnitNearMiss,
        WarningKind::UnitSpellingVariant,
    ];
}

/// One place the parser was unsure or changed the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Warning {
    pub kind: WarningKind,
    /// 1-based line of the source text, when the warning is about one line.
    pub line: Option<usize>,
    pub message: String,
    /// The text as written, for repairs and kept text.
    pub original: Option<String>,
    /// The text as repaired.
    pub repaired: Option<String>,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: ")?,
            None => write!(f, "document: ")?,
        }
        write!(f, "{}", self.message)?;
        match (&self.original, &self.repaired) {
            (Some(original), Some(repaired)) => write!(f, " ({original} → {repaired})"),
            (Some(original), None) => write!(f, " ({original})"),
            _ => Ok(()),
        }
    }
}

/// How a unit of the document matched the units the city already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchHow {
    /// Spelled exactly like a known unit.
    Exact,
    /// Equal to a known unit after normalising brackets, full-width letters and spaces.
    Normalised,
    /// No known unit matches; importing creates it.
    New,
}

/// The proposal for one unit name of the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct UnitMatch {
    /// The name as the document writes it (and as the import file keeps it).
    pub name: String,
    /// The known unit it matches, if any.
    pub known: Option<String>,
    pub how: MatchHow,
    /// Known units it may be another spelling of (never merged automatically).
    pub near_misses: Vec<String>,
}

/// What parsing a notice reported besides the document: shown with a dry run or an import of
/// notice text, and printed by `duban parse` on standard error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ParseReport {
    /// The layout that was read.
    pub layout: Layout,
    /// Every repair, guess and skipped line, in the order found.
    pub warnings: Vec<Warning>,
    /// Every unit name of the document, in order of first appearance, with its match among the
    /// city's known units.
    pub units: Vec<UnitMatch>,
}
