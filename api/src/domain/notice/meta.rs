//! Document metadata: number, title, issuer, dates, recipients, cc and disclosure.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

use super::ParseError;
use super::lines::{Line, date_number, is_blank_char, is_han, strip_outer_brackets, trim_blank, without_blanks};
use super::repair::clean_cell;
use super::warning::{WarningKind, Warnings};
use crate::views::import::FileDocument;

/// Lines a web page adds around the notice (breadcrumbs, source, view count, print links).
pub fn is_page_chrome(text: &str) -> bool {
    const STARTS: [&str; 9] =
        ["当前位置", ">", "信息来源", "来源:", "来源：", "发布时间", "打印本页", "关闭窗口", "浏览次数"];
    STARTS.iter().any(|s| text.starts_with(s))
}

/// Reads the metadata from the lines before the first table (`head`) and from the whole text
/// (`all`: cc and the printing date come after the tables).
pub fn read_meta(head: &[Line], all: &[Line], warnings: &mut Warnings) -> Result<FileDocument, ParseError> {
    let content: Vec<&Line> = head.iter().filter(|l| !l.is_blank() && !is_page_chrome(l.trimmed())).collect();
    let published_at = head.iter().find_map(|l| published_time(l, warnings));
    let (doc_number_at, doc_number) = find_doc_number(&content, warnings)?;
    let (title_at, title) = find_title(&content, warnings)?;
    let after_title = title_at.max(doc_number_at) + 1;
    let recipients_at = content[after_title.min(content.len())..]
        .iter()
        .position(|l| is_recipients_line(l.trimmed()))
        .map(|p| p + after_title);
    let recipients = recipients_at.map(|i| {
        let text = content[i].trimmed().trim_end_matches([':', '：']);
        clean_cell(text, content[i].number, "recipients", warnings)
    });
    let signature_from = recipients_at.map_or(after_title, |i| i + 1);
    let (issuer, issued_on) = find_signature(&content, signature_from, all, &title, warnings)?;
    Ok(FileDocument {
        doc_number,
        title,
        issuer,
        issued_on,
        published_at,
        recipients,
        cc: find_cc(all, warnings),
        disclosure: find_disclosure(&content).or_else(|| find_disclosure(&all.iter().collect::<Vec<_>>())),
    })
}

/// `发布时间:2021-03-16 13:49`: the portal's publication time. It carries no zone; Chinese
/// government portals show China Standard Time.
fn published_time(line: &Line, warnings: &mut Warnings) -> Option<DateTime<FixedOffset>> {
    let text = line.trimmed();
    let at = text.find("发布时间")?;
    let rest = text[at + "发布时间".len()..].trim_start_matches([':', '：']).trim_matches(is_blank_char);
    let stamp: String = rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | ' ' | '/')).collect();
    let stamp = stamp.trim().replace('/', "-");
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&stamp, f).ok())
        .or_else(|| NaiveDate::parse_from_str(&stamp, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    let china = FixedOffset::east_opt(8 * 3600)?;
    let time = china.from_local_datetime(&naive).single()?;
    warnings.repaired(
        WarningKind::TimeZoneAssumed,
        Some(line.number),
        "the publication time has no zone; read as China Standard Time (+08:00)",
        &stamp,
        &time.to_rfc3339(),
    );
    Some(time)
}

/// The document number, `乐政办函〔2021〕7号`, repaired when it lost its closing bracket or its 号.
fn find_doc_number(content: &[&Line], warnings: &mut Warnings) -> Result<(usize, String), ParseError> {
    content
        .iter()
        .enumerate()
        .find_map(|(i, line)| read_doc_number(line, warnings).map(|n| (i, n)))
        .ok_or(ParseError::MissingMetadata { field: "doc_number" })
}

fn read_doc_number(line: &Line, warnings: &mut Warnings) -> Option<String> {
    let text = without_blanks(line.trimmed());
    let (open_at, open) = text.char_indices().find(|(_, c)| matches!(c, '〔' | '[' | '［' | '【'))?;
    let prefix = &text[..open_at];
    if prefix.is_empty() || prefix.chars().count() > 10 || !prefix.chars().all(is_han) {
        return None;
    }
    let close = match open {
        '〔' => '〕',
        '[' => ']',
        '［' => '］',
        _ => '】',
    };
    let after = &text[open_at + open.len_utf8()..];
    // The year has four digits; digits straight after it belong to the number (lost 〕).
    let year = after.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit()))?;
    let rest = &after[4..];
    let bracket_lost = !rest.starts_with(close);
    let rest = rest.strip_prefix(close).unwrap_or(rest);
    let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let tail = &rest[number.len()..];
    if number.is_empty() || !(tail.is_empty() || tail == "号") {
        return None;
    }
    let repaired = format!("{prefix}{open}{year}{close}{number}号");
    if bracket_lost || tail.is_empty() {
        warnings.repaired(
            WarningKind::DocNumberRepaired,
            Some(line.number),
            "the document number lost its closing bracket or its 号; the year has four digits, so the rest is the number",
            line.trimmed(),
            &repaired,
        );
    }
    Some(repaired)
}

/// The title: the first line that announces the notice (…的通知), spaces repaired.
fn find_title(content: &[&Line], warnings: &mut Warnings) -> Result<(usize, String), ParseError> {
    const ENDINGS: [&str; 4] = ["通知", "通报", "意见", "决定"];
    let at = content
        .iter()
        .position(|l| ENDINGS.iter().any(|e| without_blanks(l.trimmed()).ends_with(e)))
        .ok_or(ParseError::MissingMetadata { field: "title" })?;
    Ok((at, clean_cell(content[at].trimmed(), content[at].number, "title", warnings)))
}

/// `各乡镇人民政府、街道办事处，市各有关单位：`: the addressees, ending with a colon.
fn is_recipients_line(text: &str) -> bool {
    (text.ends_with('：') || text.ends_with(':')) && text.chars().count() <= 80 && !text.starts_with("附件")
}

/// The signature: the issuer's line followed by the issue date. Falls back to the printing date
/// (`…印发`) and the title's issuer when the signature is missing.
fn find_signature(
    content: &[&Line],
    from: usize,
    all: &[Line],
    title: &str,
    warnings: &mut Warnings,
) -> Result<(String, NaiveDate), ParseError> {
    for i in from..content.len() {
        let Some(date) = read_date_line(content[i], warnings)? else { continue };
        let issuer = match i.checked_sub(1).filter(|p| *p >= from) {
            Some(p) => clean_cell(content[p].trimmed(), content[p].number, "issuer", warnings),
            None => issuer_from_title(title, warnings)?,
        };
        return Ok((issuer, date));
    }
    let printed = all.iter().find_map(|l| {
        let text = without_blanks(l.trimmed());
        text.strip_suffix("印发").and_then(chinese_date).map(|d| (l.number, d))
    });
    let (line, date) = printed.ok_or(ParseError::MissingMetadata { field: "issued_on" })?;
    warnings.note(
        WarningKind::MissingMetadata,
        Some(line),
        "no signature date; the issue date was taken from the printing date (…印发)",
    );
    Ok((issuer_from_title(title, warnings)?, date))
}

/// `乐清市人民政府办公室关于印发…` → `乐清市人民政府办公室`.
fn issuer_from_title(title: &str, warnings: &mut Warnings) -> Result<String, ParseError> {
    let issuer = title.split_once("关于").map(|(issuer, _)| issuer).filter(|i| !i.is_empty());
    let issuer = issuer.ok_or(ParseError::MissingMetadata { field: "issuer" })?;
    warnings.note(
        WarningKind::MissingMetadata,
        None,
        format!("no signature; the issuer {issuer} was read from the title"),
    );
    Ok(issuer.to_string())
}

/// A line that is only a date: `2021 年 4 月 27 日`, `二〇二一年四月二十七日`, or the damaged
/// `2021312` (年, 月 and 日 lost), which is read only when one month/day split is a valid date.
fn read_date_line(line: &Line, warnings: &mut Warnings) -> Result<Option<NaiveDate>, ParseError> {
    let text = without_blanks(line.trimmed());
    if let Some(date) = chinese_date(&text) {
        return Ok(Some(date));
    }
    if let Some(date) = date_without_day_mark(&text) {
        warnings.repaired(
            WarningKind::DateRepaired,
            Some(line.number),
            "the date lost its 日",
            &text,
            &date.to_string(),
        );
        return Ok(Some(date));
    }
    let candidates = digit_only_dates(&text);
    match candidates.as_slice() {
        [] => Ok(None),
        [date] => {
            warnings.repaired(
                WarningKind::DateRepaired,
                Some(line.number),
                "the date lost 年, 月 and 日; only one split of its digits is a valid date",
                &text,
                &date.to_string(),
            );
            Ok(Some(*date))
        }
        _ => Err(ParseError::AmbiguousDate { line: line.number, text: text.to_string() }),
    }
}

/// `2021年4月27日` with digits or Chinese numerals.
pub fn chinese_date(text: &str) -> Option<NaiveDate> {
    let (year, rest) = text.split_once('年')?;
    let (month, rest) = rest.split_once('月')?;
    let day = rest.strip_suffix('日')?;
    NaiveDate::from_ymd_opt(date_number(year)? as i32, date_number(month)?, date_number(day)?)
}

/// `2021年4月27`: the closing 日 lost.
fn date_without_day_mark(text: &str) -> Option<NaiveDate> {
    let (year, rest) = text.split_once('年')?;
    let (month, day) = rest.split_once('月')?;
    if day.is_empty() || !day.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(date_number(year)? as i32, date_number(month)?, day.parse().ok()?)
}

/// Every valid date a run of 6 to 8 digits can be: a four-digit year, then month and day of one
/// or two digits each.
fn digit_only_dates(text: &str) -> Vec<NaiveDate> {
    if !(6..=8).contains(&text.len()) || !text.chars().all(|c| c.is_ascii_digit()) {
        return Vec::new();
    }
    let Ok(year) = text[..4].parse::<i32>() else { return Vec::new() };
    if !(1949..=2100).contains(&year) {
        return Vec::new();
    }
    let rest = &text[4..];
    (1..=2)
        .filter(|m| *m < rest.len() && rest.len() - m <= 2)
        .filter_map(|m| NaiveDate::from_ymd_opt(year, rest[..m].parse().ok()?, rest[m..].parse().ok()?))
        .collect()
}

/// `抄送：市委、人大、政协办公室。` → `市委、人大、政协办公室`.
fn find_cc(all: &[Line], warnings: &mut Warnings) -> Option<String> {
    all.iter().find_map(|line| {
        let text = line.trimmed();
        let rest = text.strip_prefix("抄送")?.trim_start_matches(is_blank_char);
        let rest = rest.strip_prefix('：').or_else(|| rest.strip_prefix(':'))?;
        let rest = trim_blank(rest).trim_end_matches('。');
        Some(clean_cell(rest, line.number, "cc", warnings)).filter(|cc| !cc.is_empty())
    })
}

/// `（此件公开发布）` → `此件公开发布`; also `公开方式：主动公开`.
fn find_disclosure(lines: &[&Line]) -> Option<String> {
    lines.iter().find_map(|line| {
        let text = without_blanks(line.trimmed());
        if let Some(inner) = strip_outer_brackets(&text).filter(|inner| inner.contains("公开")) {
            return Some(inner.to_string());
        }
        let rest = text.strip_prefix("公开方式")?;
        rest.strip_prefix('：').or_else(|| rest.strip_prefix(':')).map(str::to_string)
    })
}

/// The city named by the issuer: `乐清市人民政府办公室` → `乐清市`.
pub fn city_of_issuer(issuer: &str) -> Option<String> {
    let (city, _) = issuer.split_once("人民政府")?;
    city.ends_with(['市', '县', '区']).then(|| city.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_dates_are_read_only_when_unambiguous() {
        assert_eq!(digit_only_dates("2021312"), vec![NaiveDate::from_ymd_opt(2021, 3, 12).expect("a date")]);
        assert_eq!(digit_only_dates("2021111").len(), 2);
        assert_eq!(digit_only_dates("20211231"), vec![NaiveDate::from_ymd_opt(2021, 12, 31).expect("a date")]);
        assert!(digit_only_dates("2021").is_empty());
    }

    #[test]
    fn chinese_dates_read_with_digits_or_numerals() {
        let date = NaiveDate::from_ymd_opt(2021, 4, 27);
        assert_eq!(chinese_date("2021年4月27日"), date);
        assert_eq!(chinese_date("二〇二一年四月二十七日"), date);
    }

    #[test]
    fn issuer_names_its_city() {
        assert_eq!(city_of_issuer("乐清市人民政府办公室").as_deref(), Some("乐清市"));
        assert_eq!(city_of_issuer("某某办公室"), None);
    }
}
