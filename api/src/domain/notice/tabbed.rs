//! The tab-separated layout (Yueqing): `附件 N` and its title, leader group headings
//! (`一、何学考常务副市长牵头重点工作`), header rows `序号\t重点工作\t责任单位\t备注`, one row per
//! line with `*` lead marks, and livelihood tables whose empty cells continue the row above.

use super::ParseError;
use super::columns::{Columns, is_column_name};
use super::draft::{GroupDraft, ItemDraft, SectionDraft, UnitColumn, UnitDraft, last_or_push};
use super::leaders::leader_of_heading;
use super::lines::{Line, chinese_number, leading_number, trim_blank};
use super::repair::clean_cell;
use super::sections::{kind_of, period_of};
use super::units::{read_unit, split_unit_cell};
use super::warning::{WarningKind, Warnings};

/// What one source line is, in this layout.
#[derive(Debug)]
enum LineKind {
    Blank,
    /// `附件 1`
    Attachment(i32),
    /// `序号\t重点工作\t责任单位\t备注`
    Header(Vec<String>),
    /// `一、徐建兵市长牵头重点工作`
    GroupHeading(i32, String),
    /// `注：标记*的为牵头单位`
    Note,
    /// `抄送：…`: the tables are over.
    End,
    /// A line with tab-separated cells.
    Cells,
    /// A line of text with no tab.
    Text,
}

fn classify(line: &Line) -> LineKind {
    let text = line.trimmed();
    if text.is_empty() {
        return LineKind::Blank;
    }
    if let Some(n) = attachment_number(text) {
        return LineKind::Attachment(n);
    }
    if line.text.contains('\t') {
        let cells = split_cells(line.text);
        return if is_header(&cells) { LineKind::Header(cells) } else { LineKind::Cells };
    }
    if let Some((n, heading)) = numbered_heading(text) {
        return LineKind::GroupHeading(n, heading.to_string());
    }
    if text.starts_with("注：") || text.starts_with("注:") {
        return LineKind::Note;
    }
    if text.starts_with("抄送") {
        return LineKind::End;
    }
    LineKind::Text
}

fn split_cells(text: &str) -> Vec<String> {
    text.split('\t').map(|c| trim_blank(c).to_string()).collect()
}

fn is_header(cells: &[String]) -> bool {
    let named: Vec<&String> = cells.iter().filter(|c| !c.is_empty()).collect();
    named.len() >= 3 && named.iter().all(|c| is_column_name(c))
}

/// `附件 1` / `附件1` alone on its line (the attachment list `附件：1. …` is not one).
fn attachment_number(text: &str) -> Option<i32> {
    let rest = text.strip_prefix("附件")?.trim_matches(super::lines::is_blank_char);
    chinese_number(rest)
}

/// `一、…` → (1, `…`).
fn numbered_heading(text: &str) -> Option<(i32, &str)> {
    let (number, rest) = text.split_once('、')?;
    Some((chinese_number(number).filter(|_| !number.chars().any(|c| c.is_ascii_digit()))?, rest))
}

/// Whether the text has a tab-separated header row.
pub fn has_tables(lines: &[Line]) -> bool {
    lines.iter().any(|l| matches!(classify(l), LineKind::Header(_)))
}

/// Index of the first line of the tables: the first `附件 N` line that precedes a header, else
/// the first header.
pub fn table_start(lines: &[Line]) -> Option<usize> {
    let header = lines.iter().position(|l| matches!(classify(l), LineKind::Header(_)))?;
    let attachment = lines[..header].iter().position(|l| matches!(classify(l), LineKind::Attachment(_)));
    Some(attachment.unwrap_or_else(|| title_line_before(lines, header).unwrap_or(header)))
}

/// The last text line before `at`, skipping headings and blanks: a table's title when the notice
/// has no `附件 N` lines.
fn title_line_before(lines: &[Line], at: usize) -> Option<usize> {
    lines[..at].iter().rposition(|l| matches!(classify(l), LineKind::Text))
}

/// A row being read; it may continue on the next lines.
struct PendingRow {
    line: usize,
    raw: String,
}

/// The state of a livelihood category: merged cells continue the values of the row above.
#[derive(Default)]
struct Continued {
    leader: Option<String>,
    units: Option<String>,
}

/// Reads the tables of a tab-separated notice.
struct TabbedReader<'w> {
    warnings: &'w mut Warnings,
    issued_year: i32,
    sections: Vec<SectionDraft>,
    columns: Option<Columns>,
    /// Rows read since the current table's header: a header after rows is a page-break repeat.
    rows_since_header: usize,
    awaiting_title: Option<(i32, usize)>,
    last_text: Option<(String, usize)>,
    pending: Option<PendingRow>,
    continued: Continued,
}

pub fn parse(lines: &[Line], issued_year: i32, warnings: &mut Warnings) -> Result<Vec<SectionDraft>, ParseError> {
    let mut reader = TabbedReader {
        warnings,
        issued_year,
        sections: Vec::new(),
        columns: None,
        rows_since_header: 0,
        awaiting_title: None,
        last_text: None,
        pending: None,
        continued: Continued::default(),
    };
    for line in lines {
        if !reader.read_line(line)? {
            break;
        }
    }
    reader.flush_row();
    if let Some((unused, at)) = reader.last_text.take() {
        reader.warnings.kept(WarningKind::SkippedLine, Some(at), "a line outside the tables was not read", &unused);
    }
    Ok(reader.sections)
}

impl TabbedReader<'_> {
    /// Reads one line; `false` when the tables are over.
    fn read_line(&mut self, line: &Line) -> Result<bool, ParseError> {
        match classify(line) {
            LineKind::Blank => {}
            LineKind::Attachment(number) => {
                self.flush_row();
                self.awaiting_title = Some((number, line.number));
            }
            LineKind::Header(cells) => {
                self.flush_row();
                self.read_header(cells, line.number)?;
            }
            LineKind::GroupHeading(number, heading) => {
                self.flush_row();
                self.start_group(number, &heading, line.number);
            }
            LineKind::Note => {
                self.flush_row();
                self.read_note(line);
            }
            LineKind::End => {
                self.flush_row();
                return Ok(false);
            }
            LineKind::Cells => self.read_cells(line),
            LineKind::Text => self.read_text(line),
        }
        Ok(true)
    }

    fn read_text(&mut self, line: &Line) {
        if let Some((number, at)) = self.awaiting_title.take() {
            let title = clean_cell(line.trimmed(), line.number, "section title", self.warnings);
            self.start_section(number, title, at);
        } else if self.pending.as_ref().is_some_and(|row| self.row_is_cut(&row.raw)) {
            self.continue_row(line);
        } else {
            self.flush_row();
            // Kept as the title of a table that may follow; a text line that is replaced
            // before any table uses it was not read.
            let text = (line.trimmed().to_string(), line.number);
            if let Some((unused, at)) = self.last_text.replace(text) {
                self.warnings.kept(
                    WarningKind::SkippedLine,
                    Some(at),
                    "a line outside the tables was not read",
                    &unused,
                );
            }
        }
    }

    /// A row whose last cell was cut: fewer cells than the header, or text in the last cell.
    fn row_is_cut(&self, raw: &str) -> bool {
        let cells = split_cells(raw);
        let full = self.columns.as_ref().map_or(0, Columns::cell_count);
        cells.len() < full || cells.last().is_some_and(|c| !c.is_empty())
    }

    fn continue_row(&mut self, line: &Line) {
        if let Some(row) = self.pending.as_mut() {
            self.warnings.repaired(
                WarningKind::RowContinued,
                Some(line.number),
                format!("the row that starts on line {} continues on this line; joined", row.line),
                line.text,
                &format!("{}{}", row.raw, line.text),
            );
            row.raw.push_str(line.text);
        }
    }

    fn read_cells(&mut self, line: &Line) {
        if self.columns.is_none() {
            self.warnings.kept(
                WarningKind::SkippedLine,
                Some(line.number),
                "a row before any table header",
                line.trimmed(),
            );
            return;
        }
        if self.starts_row(&split_cells(line.text)) || self.pending.is_none() {
            self.flush_row();
            self.pending = Some(PendingRow { line: line.number, raw: line.text.to_string() });
        } else {
            self.continue_row(line);
        }
    }

    /// A new row has a number in its 序号 cell, or (livelihood) a category or a `(n)` project.
    fn starts_row(&self, cells: &[String]) -> bool {
        let Some(columns) = &self.columns else { return false };
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).map_or("", String::as_str);
        if columns.is_livelihood() {
            !cell(columns.seq).is_empty() || project_number(cell(Some(columns.content))).is_some()
        } else {
            leading_number(cell(columns.seq)).is_some_and(|(_, rest)| rest.is_empty())
        }
    }

    fn read_note(&mut self, line: &Line) {
        // The legend 注：标记*的为牵头单位 explains the lead marks; anything else is reported.
        let text = line.trimmed();
        if !(text.contains('*') || text.contains("牵头")) {
            self.warnings.kept(WarningKind::SkippedLine, Some(line.number), "a note under a table was not read", text);
        }
    }

    fn start_section(&mut self, number: i32, title: String, line: usize) {
        let period = period_of(&title, self.issued_year, line, self.warnings);
        let kind = kind_of(&title, None);
        self.sections.push(SectionDraft { number, kind, title, period, groups: Vec::new() });
        self.columns = None;
        self.rows_since_header = 0;
        self.continued = Continued::default();
    }

    /// A header with no section yet (no `附件 N`): the section is numbered in order and titled
    /// by the text line before it.
    fn ensure_section(&mut self, line: usize) {
        if self.sections.is_empty() || self.awaiting_title.is_some() {
            let number = self.awaiting_title.take().map_or(self.sections.len() as i32 + 1, |(n, _)| n);
            let title = match self.last_text.take() {
                Some((text, at)) => clean_cell(&text, at, "section title", self.warnings),
                None => {
                    self.warnings.note(WarningKind::MissingMetadata, Some(line), "a table with no title");
                    String::new()
                }
            };
            self.start_section(number, title, line);
        }
    }

    fn read_header(&mut self, cells: Vec<String>, line: usize) -> Result<(), ParseError> {
        self.ensure_section(line);
        let columns = Columns::from_names(&cells, line)?;
        if columns.seq.is_none() {
            return Err(ParseError::MissingColumn { line, column: "序号".to_string(), header: cells.join(" / ") });
        }
        if self.rows_since_header > 0 && self.columns.as_ref() == Some(&columns) {
            self.warnings.kept(
                WarningKind::RepeatedHeader,
                Some(line),
                "table header repeated at a page break; skipped",
                &cells.join(" / "),
            );
            return Ok(());
        }
        for name in &columns.unread {
            self.warnings.kept(WarningKind::SkippedLine, Some(line), "a column the parser does not read", name);
        }
        if let Some(section) = self.sections.last_mut() {
            section.kind = kind_of(&section.title, Some(&columns));
        }
        self.columns = Some(columns);
        self.rows_since_header = 0;
        Ok(())
    }

    fn start_group(&mut self, number: i32, heading: &str, line: usize) {
        self.ensure_section(line);
        let heading = clean_cell(heading, line, "group heading", self.warnings);
        let leader = leader_of_heading(&heading);
        if let Some(section) = self.sections.last_mut() {
            section.groups.push(GroupDraft { number, heading: Some(heading), leader, items: Vec::new() });
        }
        self.rows_since_header = 0;
    }

    fn flush_row(&mut self) {
        let Some(row) = self.pending.take() else { return };
        let Some(columns) = self.columns.clone() else { return };
        let mut cells = split_cells(&row.raw);
        if cells.len() < columns.cell_count() {
            // A missing trailing 备注 cell is common and harmless; anything more is reported.
            let needed = columns.units.iter().map(|(i, _)| *i).chain([columns.content]).max().unwrap_or(0);
            if cells.len() <= needed {
                self.warnings.kept(
                    WarningKind::MissingCell,
                    Some(row.line),
                    "row has fewer cells than its header",
                    row.raw.trim(),
                );
            }
            cells.resize(columns.cell_count(), String::new());
        }
        self.rows_since_header += 1;
        if columns.is_livelihood() {
            self.read_project_row(&columns, &cells, row.line);
        } else {
            self.read_work_row(&columns, &cells, row.line);
        }
    }

    fn read_work_row(&mut self, columns: &Columns, cells: &[String], line: usize) {
        let seq = columns.seq.and_then(|i| leading_number(&cells[i])).map_or(0, |(n, _)| n as i32);
        let content = clean_cell(&cells[columns.content], line, "content", self.warnings);
        let unit_cells: Vec<(&str, UnitColumn)> = columns.units.iter().map(|(i, c)| (cells[*i].as_str(), *c)).collect();
        let units = self.read_units(&unit_cells, line);
        let remarks = self.read_remarks(columns, cells, line);
        let item = ItemDraft { line, seq, sub_seq: None, content, leader: None, units, remarks };
        self.current_group(line).items.push(item);
    }

    fn read_units(&mut self, cells: &[(&str, UnitColumn)], line: usize) -> Vec<UnitDraft> {
        let mut units = Vec::new();
        for (cell, column) in cells {
            let cell = clean_cell(cell, line, "unit cell", self.warnings);
            units.extend(split_unit_cell(&cell).iter().filter_map(|raw| read_unit(raw, *column, line, self.warnings)));
        }
        units
    }

    fn read_remarks(&mut self, columns: &Columns, cells: &[String], line: usize) -> Option<String> {
        let cell = columns.remarks.map(|i| clean_cell(&cells[i], line, "remarks", self.warnings))?;
        (!cell.is_empty()).then_some(cell)
    }

    /// The group rows go into; a table with no group heading gets one unnamed group.
    fn current_group(&mut self, line: usize) -> &mut GroupDraft {
        self.ensure_section(line);
        let section = last_or_push(&mut self.sections, SectionDraft::untitled);
        last_or_push(&mut section.groups, GroupDraft::unnamed)
    }

    fn read_project_row(&mut self, columns: &Columns, cells: &[String], line: usize) {
        self.read_category(columns, cells, line);
        let (seq, content) = match project_number(trim_blank(&cells[columns.content])) {
            Some((n, rest)) => (n, clean_cell(rest, line, "content", self.warnings)),
            None => {
                let content = clean_cell(&cells[columns.content], line, "content", self.warnings);
                let next = self.current_group(line).items.last().map_or(1, |i| i.seq + 1);
                self.warnings.kept(
                    WarningKind::MissingCell,
                    Some(line),
                    format!("project has no (n) number; numbered {next}"),
                    &content,
                );
                (next, content)
            }
        };
        let leader =
            self.continued_cell(columns.leader.map(|i| cells[i].as_str()), line, "牵头领导", |c| &mut c.leader);
        // Livelihood tables have one unit column; its merged cells continue like the leader's.
        let (unit_index, unit_column) =
            columns.units.first().copied().unwrap_or((columns.content, UnitColumn::Responsible));
        let unit_cell = self.continued_cell(Some(cells[unit_index].as_str()), line, "责任单位", |c| &mut c.units);
        let units = self.read_units(&[(unit_cell.as_deref().unwrap_or(""), unit_column)], line);
        let remarks = self.read_remarks(columns, cells, line);
        let leader = leader.map(|l| clean_cell(&l, line, "leader cell", self.warnings));
        let item = ItemDraft { line, seq, sub_seq: None, content, leader, units, remarks };
        self.current_group(line).items.push(item);
    }

    /// An empty merged cell takes the value of the row above in the same category.
    fn continued_cell(
        &mut self,
        cell: Option<&str>,
        line: usize,
        column: &str,
        slot: impl Fn(&mut Continued) -> &mut Option<String>,
    ) -> Option<String> {
        let cell = cell?;
        if !cell.is_empty() {
            *slot(&mut self.continued) = Some(cell.to_string());
            return Some(cell.to_string());
        }
        let above = slot(&mut self.continued).clone()?;
        self.warnings.note(
            WarningKind::CellContinued,
            Some(line),
            format!("empty {column} cell continues the row above: {}", trim_blank(&above)),
        );
        Some(above)
    }

    /// `一\t公共卫生服务能力提升`: a category. The same category repeated at the top of a page
    /// continues the current group.
    fn read_category(&mut self, columns: &Columns, cells: &[String], line: usize) {
        let Some(number) = columns.seq.and_then(|i| chinese_number(&cells[i])) else { return };
        let name = columns.category.map(|i| clean_cell(&cells[i], line, "category", self.warnings));
        let group = self.current_group(line);
        if group.number == number && group.heading == name && !group.items.is_empty() {
            self.warnings.kept(
                WarningKind::RepeatedGroupCell,
                Some(line),
                "category repeated at a page break; continues the same category",
                &name.unwrap_or_default(),
            );
            return;
        }
        let section = last_or_push(&mut self.sections, SectionDraft::untitled);
        if section.groups.len() == 1 && section.groups[0].items.is_empty() && section.groups[0].heading.is_none() {
            section.groups.clear();
        }
        section.groups.push(GroupDraft { number, heading: name, leader: None, items: Vec::new() });
        self.continued = Continued::default();
    }
}

/// `(12) 建设…` → (12, `建设…`), with ASCII or full-width brackets.
fn project_number(content: &str) -> Option<(i32, &str)> {
    let rest = content.strip_prefix('(').or_else(|| content.strip_prefix('（'))?;
    let (number, rest) = leading_number(rest)?;
    let rest = rest.strip_prefix(')').or_else(|| rest.strip_prefix('）'))?;
    Some((number as i32, trim_blank(rest)))
}
