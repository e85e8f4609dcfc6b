//! Repairs of extraction losses, as general rules. Each repair is made only where the rule is
//! certain and always reported; where a rule is unsure the text is kept and a warning says so.

use std::collections::{HashMap, HashSet};

use super::draft::{ItemDraft, SectionDraft, UnitDraft};
use super::lines::{brackets_balance, is_blank_char, is_han, quotes_balance, trim_blank};
use super::warning::{WarningKind, Warnings};

/// Cleans one cell of text: the Latin `and` between Chinese words becomes 和, then extraction
/// spaces are removed. `what` names the cell in the warning.
pub fn clean_cell(raw: &str, line: usize, what: &str, warnings: &mut Warnings) -> String {
    let text = trim_blank(raw).to_string();
    let text = match replace_latin_and(&text) {
        Some(repaired) => {
            warnings.repaired(
                WarningKind::LatinAnd,
                Some(line),
                format!(
                    "the English word `and` between Chinese words in the {what} was read as 和 (与 or 及 are possible)"
                ),
                &text,
                &repaired,
            );
            repaired
        }
        None => text,
    };
    match remove_extraction_spaces(&text) {
        Some(repaired) => {
            warnings.repaired(
                WarningKind::ExtractionSpace,
                Some(line),
                format!("removed extraction spaces in the {what}"),
                &text,
                &repaired,
            );
            repaired
        }
        None => text,
    }
}

/// `街区 and 夜间` → `街区和夜间`: a conversion tool translated 和 into `and`. Only the word `and`
/// standing alone between two Chinese characters is replaced.
pub fn replace_latin_and(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = latin_and_at(&chars, i) {
            out.push('和');
            changed = true;
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}

/// If blanks + `and` + blanks start at `i`, between a Chinese character before and after, the
/// index just past them.
fn latin_and_at(chars: &[char], i: usize) -> Option<usize> {
    let before = *chars.get(i.checked_sub(1)?)?;
    if !is_han(before) {
        return None;
    }
    let mut j = i;
    while chars.get(j).is_some_and(|c| is_blank_char(*c)) {
        j += 1;
    }
    let word: String = chars.get(j..j + 3)?.iter().collect();
    if !word.eq_ignore_ascii_case("and") {
        return None;
    }
    j += 3;
    while chars.get(j).is_some_and(|c| is_blank_char(*c)) {
        j += 1;
    }
    chars.get(j).filter(|c| is_han(**c)).map(|_| j)
}

/// PDF extraction puts spaces between Chinese characters and around numbers and Latin letters
/// (`增长 9%左右`, `5G 通讯`, `王 东`). Chinese text has no spaces, so a space is kept only between
/// two ASCII letters or digits, where it can separate Latin words or numbers.
pub fn remove_extraction_spaces(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        if !is_blank_char(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_blank_char(chars[i]) {
            i += 1;
        }
        let before = start.checked_sub(1).map(|b| chars[b]);
        let after = chars.get(i).copied();
        let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        if latin(before) && latin(after) {
            out.push(' ');
            changed |= i - start > 1 || chars[start] != ' ';
        } else {
            changed = true;
        }
    }
    changed.then_some(out)
}

/// Repairs that need the whole document: restores dropped first characters and 市 prefixes,
/// splits unit names run together, restores lost opening brackets, drops duplicate units and
/// reports unbalanced quotes and brackets.
pub fn repair_document(sections: &mut [SectionDraft], known_units: &[String], warnings: &mut Warnings) {
    restore_dropped_first_chars(sections, warnings);
    let names = unit_names(sections, known_units);
    let corpus = corpus_of(sections);
    for item in items_mut(sections) {
        let units = std::mem::take(&mut item.units);
        let mut repaired = Vec::with_capacity(units.len());
        for unit in units {
            let unit = restore_city_prefix(unit, &names, known_units, warnings);
            let unit = restore_opening_bracket(unit, &corpus, warnings);
            repaired.extend(split_joined_units(unit, &names, warnings));
        }
        item.units = drop_duplicate_units(repaired, item.seq, warnings);
        warn_unbalanced(item, warnings);
    }
}

fn items_mut(sections: &mut [SectionDraft]) -> impl Iterator<Item = &mut ItemDraft> {
    sections.iter_mut().flat_map(|s| s.groups.iter_mut()).flat_map(|g| g.items.iter_mut())
}

fn items(sections: &[SectionDraft]) -> impl Iterator<Item = &ItemDraft> {
    sections.iter().flat_map(|s| s.groups.iter()).flat_map(|g| g.items.iter())
}

/// How many units of the document carry each name, plus the known units.
fn unit_names(sections: &[SectionDraft], known_units: &[String]) -> HashMap<String, usize> {
    let mut names: HashMap<String, usize> = HashMap::new();
    for unit in items(sections).flat_map(|i| i.units.iter()) {
        *names.entry(unit.name.clone()).or_default() += 1;
    }
    for known in known_units {
        *names.entry(known.clone()).or_default() += 1;
    }
    names
}

/// All text of the document's rows, one string per row cell, to look for whole tokens in.
fn corpus_of(sections: &[SectionDraft]) -> Vec<String> {
    let mut corpus = Vec::new();
    for item in items(sections) {
        corpus.push(item.content.clone());
        corpus.extend(item.units.iter().map(|u| u.name.clone()));
        corpus.extend(item.remarks.clone());
    }
    corpus
}

/// `12快电子商务…` → `加快电子商务…`. Items in these notices open with a verb (加快, 深化, 推进 …).
/// A content lost its first character when all of these hold:
/// - its first character opens no other item;
/// - its first two characters (`快电`) occur nowhere else in the document, so they are not a
///   word the notice uses (`上市`, `一般`, `强化` are, and are left alone);
/// - exactly one two-character opener ending in that character (`加快`) opens two or more other
///   items.
fn restore_dropped_first_chars(sections: &mut [SectionDraft], warnings: &mut Warnings) {
    let openers: Vec<String> = items(sections).map(|i| i.content.chars().take(2).collect()).collect();
    let corpus = corpus_of(sections).join("\n");
    let mut first_chars: HashMap<char, usize> = HashMap::new();
    let mut bigrams: HashMap<String, usize> = HashMap::new();
    for opener in &openers {
        if let Some(c) = opener.chars().next() {
            *first_chars.entry(c).or_default() += 1;
        }
        if opener.chars().count() == 2 && opener.chars().all(is_han) {
            *bigrams.entry(opener.clone()).or_default() += 1;
        }
    }
    for item in items_mut(sections) {
        let Some(first) = item.content.chars().next().filter(|c| is_han(*c)) else { continue };
        let start: String = item.content.chars().take(2).collect();
        let used_elsewhere = corpus.matches(start.as_str()).count() > item.content.matches(start.as_str()).count();
        if first_chars.get(&first).copied().unwrap_or(0) > 1 || used_elsewhere {
            continue;
        }
        let candidates: Vec<&String> =
            bigrams.iter().filter(|(b, n)| **n >= 2 && b.chars().nth(1) == Some(first)).map(|(b, _)| b).collect();
        let [opener] = candidates.as_slice() else { continue };
        let Some(lost) = opener.chars().next() else { continue };
        let repaired = format!("{lost}{}", item.content);
        warnings.repaired(
            WarningKind::DroppedFirstChar,
            Some(item.line),
            format!("item {} starts with characters no other text of the notice uses; restored the opener {opener} that other items use", item.seq),
            &item.content,
            &repaired,
        );
        item.content = repaired;
    }
}

/// `发改局` → `市发改局` when the document (or the city's known units) uses `市发改局` and the
/// unprefixed name is not a known unit.
fn restore_city_prefix(
    mut unit: UnitDraft,
    names: &HashMap<String, usize>,
    known_units: &[String],
    warnings: &mut Warnings,
) -> UnitDraft {
    if unit.name.starts_with('市') || known_units.contains(&unit.name) {
        return unit;
    }
    let prefixed = format!("市{}", unit.name);
    if names.contains_key(&prefixed) {
        warnings.repaired(
            WarningKind::MissingCityPrefix,
            Some(unit.line),
            format!("unit {} lost its 市 prefix; {prefixed} is used elsewhere", unit.name),
            &unit.name,
            &prefixed,
        );
        unit.name = prefixed;
    }
    unit
}

/// `S22676省道)玉环…` → `S226(76省道)玉环…`: a closing bracket with no opening one. The opening
/// bracket goes after the code that the rest of the document writes as a whole token (`S226龙溪
/// 至干江公路`); with no such token, or several, the name is kept and reported.
fn restore_opening_bracket(mut unit: UnitDraft, corpus: &[String], warnings: &mut Warnings) -> UnitDraft {
    if brackets_balance(&unit.name) {
        return unit;
    }
    let Some(close_at) = unit.name.find([')', '）']) else {
        warnings.kept(WarningKind::UnbalancedBracket, Some(unit.line), "unit name has unbalanced brackets", &unit.name);
        return unit;
    };
    let open = if unit.name[close_at..].starts_with(')') { '(' } else { '（' };
    let positions: Vec<usize> = insertion_points(&unit.name[..close_at])
        .into_iter()
        .filter(|at| {
            let token = trailing_code(&unit.name[..*at]);
            !token.is_empty() && corpus.iter().any(|text| *text != unit.name && contains_whole_token(text, token))
        })
        .collect();
    let [at] = positions.as_slice() else {
        warnings.kept(
            WarningKind::UnbalancedBracket,
            Some(unit.line),
            "unit name has a closing bracket with no opening one; no certain place to restore it",
            &unit.name,
        );
        return unit;
    };
    let repaired = format!("{}{open}{}", &unit.name[..*at], &unit.name[*at..]);
    if brackets_balance(&repaired) {
        warnings.repaired(
            WarningKind::BracketRepaired,
            Some(unit.line),
            "unit name lost an opening bracket; restored after the code the document writes elsewhere",
            &unit.name,
            &repaired,
        );
        unit.name = repaired;
    }
    unit
}

/// Byte positions just after an ASCII letter or digit, where an opening bracket could have been
/// lost (`S22676省道` → after S, S2, S22, S226, S2267, S22676).
fn insertion_points(text: &str) -> Vec<usize> {
    text.bytes().enumerate().filter(|(_, b)| b.is_ascii_alphanumeric()).map(|(i, _)| i + 1).collect()
}

/// The run of ASCII letters and digits that ends `text`.
fn trailing_code(text: &str) -> &str {
    let start = text.len() - text.bytes().rev().take_while(u8::is_ascii_alphanumeric).count();
    &text[start..]
}

/// Whether `token` (ASCII letters and digits) occurs in `text` with no ASCII letter or digit
/// right before or after it.
fn contains_whole_token(text: &str, token: &str) -> bool {
    text.match_indices(token).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + token.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// `市交通运输局市卫生健康局` → `市交通运输局`, `市卫生健康局`: one line holding two cells. Split
/// only where both halves are unit names the document (or the city) uses on their own, and only
/// when exactly one such split exists.
fn split_joined_units(unit: UnitDraft, names: &HashMap<String, usize>, warnings: &mut Warnings) -> Vec<UnitDraft> {
    if names.get(&unit.name).copied().unwrap_or(0) > 1 || unit.note.is_some() {
        return vec![unit];
    }
    let splits: Vec<usize> = unit
        .name
        .char_indices()
        .map(|(at, _)| at)
        .filter(|at| *at > 0 && names.contains_key(&unit.name[..*at]) && names.contains_key(&unit.name[*at..]))
        .collect();
    let [at] = splits.as_slice() else { return vec![unit] };
    let (first, second) = unit.name.split_at(*at);
    warnings.repaired(
        WarningKind::JoinedUnitsSplit,
        Some(unit.line),
        "two unit names run together on one line were split; both are used on their own elsewhere",
        &unit.name,
        &format!("{first}、{second}"),
    );
    let second = UnitDraft { name: second.to_string(), starred: false, ..unit.clone() };
    vec![UnitDraft { name: first.to_string(), ..unit }, second]
}

/// A unit may appear once per item: later copies are dropped (the first keeps its place).
fn drop_duplicate_units(units: Vec<UnitDraft>, seq: i32, warnings: &mut Warnings) -> Vec<UnitDraft> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(units.len());
    for unit in units {
        if seen.insert(unit.name.clone()) {
            kept.push(unit);
        } else {
            warnings.kept(
                WarningKind::DuplicateUnit,
                Some(unit.line),
                format!("unit listed twice in item {seq}; the second copy was dropped"),
                &unit.name,
            );
        }
    }
    kept
}

/// Unbalanced quotes and brackets in content and remarks are reported, never guessed at.
fn warn_unbalanced(item: &ItemDraft, warnings: &mut Warnings) {
    for text in std::iter::once(&item.content).chain(item.remarks.as_ref()) {
        if !quotes_balance(text) {
            warnings.kept(
                WarningKind::UnbalancedQuote,
                Some(item.line),
                format!("item {}: quotation marks do not pair up; kept as written", item.seq),
                text,
            );
        }
        if !brackets_balance(text) {
            warnings.kept(
                WarningKind::UnbalancedBracket,
                Some(item.line),
                format!("item {}: brackets do not pair up; kept as written", item.seq),
                text,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_go_except_between_latin_words() {
        assert_eq!(remove_extraction_spaces("增长 9%左右").as_deref(), Some("增长9%左右"));
        assert_eq!(remove_extraction_spaces("港区 C 区").as_deref(), Some("港区C区"));
        assert_eq!(remove_extraction_spaces("(AED) 15 台").as_deref(), Some("(AED)15台"));
        assert_eq!(remove_extraction_spaces("Windows 10"), None);
        assert_eq!(remove_extraction_spaces("无空格"), None);
    }

    #[test]
    fn and_between_chinese_words_becomes_he() {
        assert_eq!(replace_latin_and("街区 and 夜间").as_deref(), Some("街区和夜间"));
        assert_eq!(replace_latin_and("R&D and IT"), None);
        assert_eq!(replace_latin_and("brand 新"), None);
    }

    #[test]
    fn whole_tokens_need_non_alphanumeric_neighbours() {
        assert!(contains_whole_token("提速S226龙溪", "S226"));
        assert!(!contains_whole_token("提速S2267龙溪", "S226"));
    }
}
