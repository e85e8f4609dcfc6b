//! Section kind and period, read from the section's title and table header.

use super::columns::Columns;
use super::warning::{WarningKind, Warnings};
use entity::item::ItemKind;

/// Livelihood projects (民生实事) when the header has project columns or the title says so.
pub fn kind_of(title: &str, columns: Option<&Columns>) -> ItemKind {
    if columns.is_some_and(Columns::is_livelihood) || title.contains("民生实事") {
        ItemKind::LivelihoodProject
    } else {
        ItemKind::WorkItem
    }
}

/// Five-year plans by their name.
const FIVE_YEAR_PLANS: [(&str, &str); 4] =
    [("十三五", "2016-2020"), ("十四五", "2021-2025"), ("十五五", "2026-2030"), ("十六五", "2031-2035")];

/// The period a section covers: a five-year plan named in the title (“十四五” → 2021-2025), a
/// year range, or the first year in the title; with none, the issue year (reported).
pub fn period_of(title: &str, issued_year: i32, line: usize, warnings: &mut Warnings) -> String {
    if let Some((_, period)) = FIVE_YEAR_PLANS.iter().find(|(name, _)| title.contains(name)) {
        return period.to_string();
    }
    let years = years_in(title);
    if let Some(range) = year_range(title, &years) {
        return range;
    }
    if let Some((_, year)) = years.first() {
        return year.to_string();
    }
    warnings.note(
        WarningKind::PeriodAssumed,
        Some(line),
        format!("the section title names no year; its period was taken as the issue year {issued_year}"),
    );
    issued_year.to_string()
}

/// Four-digit years in the text, with their byte offsets.
fn years_in(text: &str) -> Vec<(usize, i32)> {
    let bytes = text.as_bytes();
    let mut years = Vec::new();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run == 4
            && let Ok(year) = text[i..i + 4].parse::<i32>()
            && (1949..=2100).contains(&year)
        {
            years.push((i, year));
        }
        i += run.max(1);
    }
    years
}

/// `2021-2025` / `2021—2025年` / `2021至2025年`: two years joined by a dash or 至.
fn year_range(text: &str, years: &[(usize, i32)]) -> Option<String> {
    years.windows(2).find_map(|pair| {
        let [(a_at, a), (b_at, b)] = pair else { return None };
        let between = text.get(a_at + 4..*b_at)?;
        let joined = ["-", "—", "–", "－", "至", "年-", "年—", "年至"].contains(&between.trim());
        (joined && a <= b).then(|| format!("{a}-{b}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_come_from_plans_ranges_or_years() {
        let mut w = Warnings::default();
        assert_eq!(period_of("政府工作报告“十四五”时期重点工作责任分解", 2021, 1, &mut w), "2021-2025");
        assert_eq!(period_of("2021—2023年行动计划", 2021, 1, &mut w), "2021-2023");
        assert_eq!(period_of("2021年度民生实事项目", 2020, 1, &mut w), "2021");
        assert_eq!(period_of("重点工作责任分解", 2022, 1, &mut w), "2022");
        assert_eq!(w.into_vec().len(), 1);
    }
}
