//! Unit cells: splitting, lead marks, notes, roles, and matching against known units.

use super::draft::{UnitColumn, UnitDraft};
use super::lines::{BRACKETS, brackets_balance, is_blank_char};
use super::warning::{WarningKind, Warnings};
use crate::views::notice::{MatchHow, UnitMatch};
use entity::item_unit::UnitRole;

/// Separators between units in one cell: 、 ， and the ASCII comma.
const UNIT_SEPARATORS: [char; 3] = ['、', '，', ','];

/// Lead marks: the ASCII and the full-width asterisk.
const LEAD_MARKS: [char; 2] = ['*', '＊'];

/// Splits a cell of units on its separators, but never inside brackets
/// (`市统计局(数据监测,核算)` stays one unit).
pub fn split_unit_cell(cell: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    for c in cell.chars() {
        if BRACKETS.iter().any(|(open, _)| *open == c) {
            depth += 1;
        } else if BRACKETS.iter().any(|(_, close)| *close == c) {
            depth = (depth - 1).max(0);
        }
        if depth == 0 && UNIT_SEPARATORS.contains(&c) {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts.into_iter().map(|p| p.trim_matches(is_blank_char).to_string()).filter(|p| !p.is_empty()).collect()
}

/// Reads one unit as written: strips a lead mark, repairs a lost bracket at the end, and splits
/// off a trailing parenthetical note.
pub fn read_unit(raw: &str, column: UnitColumn, line: usize, warnings: &mut Warnings) -> Option<UnitDraft> {
    let raw = raw.trim_matches(is_blank_char);
    let starred = raw.starts_with(LEAD_MARKS);
    let name = raw.trim_start_matches(LEAD_MARKS).trim_matches(is_blank_char);
    if name.is_empty() {
        return None;
    }
    let name = close_trailing_bracket(name, line, warnings);
    let (name, note) = split_note(&name, line, warnings);
    Some(UnitDraft { name, note, starred, column, line })
}

/// `各乡镇（街道` → `各乡镇（街道）`: a unit name that opens a bracket and never closes it lost
/// the closing bracket at its end (a name cannot continue past its own parenthetical).
fn close_trailing_bracket(name: &str, line: usize, warnings: &mut Warnings) -> String {
    if brackets_balance(name) {
        return name.to_string();
    }
    let last_open = name.char_indices().rev().find(|(_, c)| BRACKETS.iter().any(|(o, _)| o == c));
    let Some((at, open)) = last_open else { return name.to_string() };
    let tail = &name[at + open.len_utf8()..];
    let closes_later = tail.chars().any(|c| BRACKETS.iter().any(|(_, close)| *close == c));
    let Some((_, close)) = BRACKETS.iter().find(|(o, _)| *o == open) else { return name.to_string() };
    let repaired = format!("{name}{close}");
    if closes_later || tail.is_empty() || !brackets_balance(&repaired) {
        return name.to_string();
    }
    warnings.repaired(
        WarningKind::BracketRepaired,
        Some(line),
        "unit name opens a bracket it never closes; the closing bracket was added at its end",
        name,
        &repaired,
    );
    repaired
}

/// A trailing parenthetical is part of the name when it names an area (`各乡镇(街道)`: towns and
/// sub-districts together), and otherwise a note on the unit's part in this item
/// (`市统计局(数据监测)`). A parenthetical inside the name (`浙台(玉环)经贸合作区`) is always part of it.
fn split_note(name: &str, line: usize, warnings: &mut Warnings) -> (String, Option<String>) {
    let Some((base, inner)) = trailing_parenthetical(name) else { return (name.to_string(), None) };
    const AREA_WORDS: [&str; 9] = ["街道", "社区", "乡镇", "镇", "乡", "村", "区", "县", "市"];
    if base.is_empty() || inner.is_empty() || AREA_WORDS.iter().any(|w| inner.ends_with(w)) {
        return (name.to_string(), None);
    }
    warnings.repaired(
        WarningKind::UnitNote,
        Some(line),
        format!("the parenthetical after {base} was read as a note on its part in this item"),
        name,
        &format!("{base} (note: {inner})"),
    );
    (base.to_string(), Some(inner.to_string()))
}

/// `市统计局(数据监测)` → (`市统计局`, `数据监测`).
fn trailing_parenthetical(name: &str) -> Option<(&str, &str)> {
    let inner_end = name.strip_suffix(')').or_else(|| name.strip_suffix('）'))?;
    let open = inner_end.rfind(['(', '（'])?;
    let open_len = inner_end[open..].chars().next()?.len_utf8();
    let inner = &inner_end[open + open_len..];
    if inner.contains(['(', '（', ')', '）']) {
        return None;
    }
    Some((name[..open].trim_matches(is_blank_char), inner))
}

/// Gives each unit of a row its role (DESIGN.md, "Domain"):
/// - 责任单位 cells: a unit marked `*` leads and the others beside it are responsible; a unit
///   alone leads; several with no mark are each responsible.
/// - 牵头单位 / 配合单位 columns: lead / cooperating.
/// - the two columns flattened together: the first unit leads, the rest cooperate.
pub fn assign_roles(units: &[UnitDraft]) -> Vec<UnitRole> {
    let responsible: Vec<&UnitDraft> = units.iter().filter(|u| u.column == UnitColumn::Responsible).collect();
    let any_starred = responsible.iter().any(|u| u.starred);
    let mut flattened_seen = false;
    units
        .iter()
        .map(|unit| match unit.column {
            UnitColumn::Responsible if any_starred => {
                if unit.starred {
                    UnitRole::Lead
                } else {
                    UnitRole::Responsible
                }
            }
            UnitColumn::Responsible if responsible.len() == 1 => UnitRole::Lead,
            UnitColumn::Responsible => UnitRole::Responsible,
            UnitColumn::Lead => UnitRole::Lead,
            UnitColumn::Cooperating => UnitRole::Cooperating,
            UnitColumn::LeadThenCooperating if !flattened_seen => {
                flattened_seen = true;
                UnitRole::Lead
            }
            UnitColumn::LeadThenCooperating => UnitRole::Cooperating,
        })
        .collect()
}

/// Full-width brackets and letters to ASCII, blanks removed: the form two spellings of one unit
/// share.
pub fn normalise_unit(name: &str) -> String {
    name.chars()
        .filter(|c| !is_blank_char(*c))
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Whether one name looks like an abbreviation of the other (市人社局 / 市人力社保局,
/// 市发改局 / 市发展和改革局): they share their first two characters and their last one, and the
/// shorter one's characters all appear, in order, in the longer one.
pub fn is_near_miss(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if short.len() < 3 || short == long || short.len() == long.len() {
        return false;
    }
    if short[..2] != long[..2] || short.last() != long.last() {
        return false;
    }
    let mut rest = long.iter();
    short.iter().all(|c| rest.any(|l| l == c))
}

/// Matches every unit name of the document against the known units, and warns about
/// normalised matches, near misses, and spellings inside the document that differ only in
/// brackets or spaces.
pub fn match_units(names: &[String], known: &[String], warnings: &mut Warnings) -> Vec<UnitMatch> {
    let matches: Vec<UnitMatch> = names.iter().map(|name| match_one(name, known, warnings)).collect();
    warn_variants_within(names, warnings);
    matches
}

fn match_one(name: &str, known: &[String], warnings: &mut Warnings) -> UnitMatch {
    let near_misses: Vec<String> = known.iter().filter(|k| is_near_miss(name, k)).cloned().collect();
    for near in &near_misses {
        warnings.kept(
            WarningKind::UnitNearMiss,
            None,
            format!("unit {name} may be another spelling of the known unit {near}; kept apart"),
            name,
        );
    }
    if known.iter().any(|k| k == name) {
        return UnitMatch { name: name.to_string(), known: Some(name.to_string()), how: MatchHow::Exact, near_misses };
    }
    let normalised = normalise_unit(name);
    if let Some(k) = known.iter().find(|k| normalise_unit(k) == normalised) {
        warnings.repaired(
            WarningKind::UnitNormalisedMatch,
            None,
            format!("unit {name} matches the known unit {k} after normalising brackets and spaces"),
            name,
            k,
        );
        return UnitMatch { name: name.to_string(), known: Some(k.clone()), how: MatchHow::Normalised, near_misses };
    }
    UnitMatch { name: name.to_string(), known: None, how: MatchHow::New, near_misses }
}

/// Pairs of names inside the document that are spelling variants or near misses of each other.
fn warn_variants_within(names: &[String], warnings: &mut Warnings) {
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            if normalise_unit(a) == normalise_unit(b) {
                warnings.kept(
                    WarningKind::UnitSpellingVariant,
                    None,
                    format!("units {a} and {b} differ only in brackets or spaces; kept as two names as written"),
                    &format!("{a} / {b}"),
                );
            } else if is_near_miss(a, b) {
                warnings.kept(
                    WarningKind::UnitNearMiss,
                    None,
                    format!("units {a} and {b} may be two spellings of one unit; kept as written"),
                    &format!("{a} / {b}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_split_on_all_three_separators_but_not_inside_brackets() {
        assert_eq!(split_unit_cell("*市发改局，市有关单位"), vec!["*市发改局", "市有关单位"]);
        assert_eq!(split_unit_cell("市a、市b,市c(d,e)"), vec!["市a", "市b", "市c(d,e)"]);
    }

    #[test]
    fn near_misses_are_abbreviations_sharing_prefix_and_suffix() {
        assert!(is_near_miss("市人社局", "市人力社保局"));
        assert!(is_near_miss("市发改局", "市发展和改革局"));
        assert!(!is_near_miss("市铁办", "市消防铁拳办"));
        assert!(!is_near_miss("市大数据发展中心", "市大数据管理中心"));
        assert!(!is_near_miss("市住建局", "市住建局"));
    }

    #[test]
    fn normalising_unifies_brackets_and_blanks() {
        assert_eq!(normalise_unit("各乡镇（街道）"), normalise_unit("各乡镇(街道)"));
        assert_eq!(normalise_unit("市 发改局"), "市发改局");
    }
}
