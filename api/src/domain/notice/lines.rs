//! Source lines, character classes and small text helpers shared by both layouts.

/// One line of the source text, with its 1-based number.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    pub number: usize,
    /// The line without its line break; tabs are kept (they are cell borders).
    pub text: &'a str,
}

impl Line<'_> {
    /// The line without surrounding blanks (spaces, ideographic spaces, non-breaking spaces).
    pub fn trimmed(&self) -> &str {
        trim_blank(self.text)
    }

    /// A line that holds nothing but blanks; web pages pad with non-breaking spaces.
    pub fn is_blank(&self) -> bool {
        self.trimmed().is_empty()
    }
}

/// Splits text into numbered lines (`\n`, `\r\n` or `\r`).
pub fn split_lines(text: &str) -> Vec<Line<'_>> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| Line { number: i + 1, text: line.strip_suffix('\r').unwrap_or(line) })
        .collect()
}

/// A blank that is not a tab: PDF and web extraction produce all of these.
pub fn is_blank_char(c: char) -> bool {
    c != '\t' && (c.is_whitespace() || c == '\u{a0}' || c == '\u{3000}' || c == '\u{feff}')
}

pub fn trim_blank(s: &str) -> &str {
    s.trim_matches(|c: char| is_blank_char(c) || c == '\t')
}

/// A Chinese character (CJK unified ideographs and extension A).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

/// Reads a Chinese numeral from 一 to 九十九 (also 〇/零 in dates, and ASCII digits).
pub fn chinese_number(s: &str) -> Option<i32> {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok().filter(|n| *n < 1_000_000);
    }
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c).map(|p| p as i32);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [d] => digit(*d).filter(|n| *n > 0).or((*d == '十').then_some(10)),
        ['十', d] => digit(*d).filter(|n| *n > 0).map(|n| 10 + n),
        [t, '十'] => digit(*t).filter(|n| *n > 1).map(|n| n * 10),
        [t, '十', d] => Some(digit(*t).filter(|n| *n > 1)? * 10 + digit(*d).filter(|n| *n > 0)?),
        _ => None,
    }
}

/// Reads the digits of a Chinese date part written with numerals (二〇二一, 二十七) or digits.
pub fn date_number(s: &str) -> Option<u32> {
    let s = s.trim_matches(is_blank_char);
    if let Some(n) = chinese_number(s) {
        return u32::try_from(n).ok();
    }
    // Years written digit by digit: 二〇二一.
    let digits: Option<String> = s
        .chars()
        .map(|c| "〇一二三四五六七八九".chars().position(|d| d == c).and_then(|p| char::from_digit(p as u32, 10)))
        .collect();
    digits.filter(|d| !d.is_empty()).and_then(|d| d.parse().ok())
}

/// The number at the start of `s` in ASCII digits, and the rest.
pub fn leading_number(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 || end > 6 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// Opening and closing bracket pairs the notices use, ASCII and full-width.
pub const BRACKETS: [(char, char); 5] = [('(', ')'), ('（', '）'), ('〔', '〕'), ('[', ']'), ('【', '】')];

/// Whether every bracket of every kind is closed, in order.
pub fn brackets_balance(s: &str) -> bool {
    let mut open = Vec::new();
    for c in s.chars() {
        if BRACKETS.iter().any(|(o, _)| *o == c) {
            open.push(c);
        } else if let Some((o, _)) = BRACKETS.iter().find(|(_, close)| *close == c) {
            // ASCII and full-width round brackets are mixed freely by extraction; pair them.
            let round = |x: char| matches!(x, '(' | '（');
            match open.pop() {
                Some(top) if top == *o || (round(top) && round(*o)) => {}
                _ => return false,
            }
        }
    }
    open.is_empty()
}

/// Whether the curly double quotes pair up (“ before each ”).
pub fn quotes_balance(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '“' => depth += 1,
            '”' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Strips one pair of surrounding brackets, full-width or ASCII: （此件公开发布） → 此件公开发布.
pub fn strip_outer_brackets(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('（').or_else(|| s.strip_prefix('('))?;
    inner.strip_suffix('）').or_else(|| inner.strip_suffix(')'))
}

/// Text with every blank removed, to compare spellings that differ only in extraction spacing.
pub fn without_blanks(s: &str) -> String {
    s.chars().filter(|c| !is_blank_char(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals_read_up_to_ninety_nine() {
        assert_eq!(chinese_number("一"), Some(1));
        assert_eq!(chinese_number("十"), Some(10));
        assert_eq!(chinese_number("十二"), Some(12));
        assert_eq!(chinese_number("二十"), Some(20));
        assert_eq!(chinese_number("三十五"), Some(35));
        assert_eq!(chinese_number("一十"), None);
        assert_eq!(chinese_number("甲"), None);
        assert_eq!(date_number("二〇二一"), Some(2021));
        assert_eq!(date_number("二十七"), Some(27));
    }

    #[test]
    fn brackets_and_quotes_balance() {
        assert!(brackets_balance("S226(76省道)"));
        assert!(!brackets_balance("S22676省道)"));
        assert!(brackets_balance("各乡镇（街道)"));
        assert!(quotes_balance("“1+5+2”体系"));
        assert!(!quotes_balance("“1+5+2体系"));
    }
}
