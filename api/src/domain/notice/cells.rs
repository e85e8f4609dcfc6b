//! The one-cell-per-line layout (Yuhuan, text copied from a web page): a plan title, a header
//! of one column name per line, then leader cells (`周阳市长`, or `柯寿建` over `常务副市长`),
//! numbered items, one unit per line, and remarks that may wrap. Livelihood plans list a project
//! number on its own line, then its content (or `1.` / `2.` sub-items) and its department.

use std::ops::Range;

use super::ParseError;
use super::columns::{Columns, is_column_name};
use super::draft::{GroupDraft, ItemDraft, LeaderDraft, SectionDraft, UnitColumn, last_or_push};
use super::leaders::{is_person_name, is_title, split_name_title};
use super::lines::{Line, leading_number};
use super::meta::is_page_chrome;
use super::repair::clean_cell;
use super::sections::{kind_of, period_of};
use super::units::{read_unit, split_unit_cell};
use super::warning::{WarningKind, Warnings};

/// A header: consecutive lines that are all column names.
#[derive(Debug)]
struct HeaderRun {
    /// Index (into the content lines) of the first column name.
    start: usize,
    end: usize,
    names: Vec<String>,
}

/// The lines that carry text: blank lines, lines of non-breaking spaces and page chrome go.
fn content_lines<'a, 'b>(lines: &'b [Line<'a>]) -> Vec<&'b Line<'a>> {
    lines.iter().filter(|l| !l.is_blank() && !is_page_chrome(l.trimmed())).collect()
}

fn header_runs(lines: &[&Line]) -> Vec<HeaderRun> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let len = lines[i..].iter().take_while(|l| is_column_name(l.trimmed())).count();
        if len >= 2 {
            let names = lines[i..i + len].iter().map(|l| l.trimmed().to_string()).collect();
            runs.push(HeaderRun { start: i, end: i + len, names });
        }
        i += len.max(1);
    }
    runs
}

/// Whether the text has a one-cell-per-line table header.
pub fn has_tables(lines: &[Line]) -> bool {
    !header_runs(&content_lines(lines)).is_empty()
}

/// Index (into all lines) of the first table's title line.
pub fn table_start(lines: &[Line]) -> Option<usize> {
    let content = content_lines(lines);
    let first = header_runs(&content).into_iter().next()?;
    let title = content[..first.start].last().copied().unwrap_or(content[first.start]);
    lines.iter().position(|l| l.number == title.number)
}

/// A plan title (`2021年市政府重点工作责任分工抓落实方案`): what the line before a header says
/// when a new table starts rather than a page break.
fn is_plan_title(text: &str) -> bool {
    const ENDINGS: [&str; 9] = ["方案", "分解", "分工", "清单", "计划", "任务", "安排", "一览表", "项目表"];
    !text.ends_with('。') && ENDINGS.iter().any(|e| text.ends_with(e))
}

/// One table: its title line, header and body lines (indices into the content lines).
struct Table {
    title_at: usize,
    header_line: usize,
    columns: Columns,
    body: Range<usize>,
}

pub fn parse(lines: &[Line], issued_year: i32, warnings: &mut Warnings) -> Result<Vec<SectionDraft>, ParseError> {
    let content = content_lines(lines);
    let (tables, repeated_headers) = find_tables(&content, warnings)?;
    let mut sections = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        let title_line = content[table.title_at];
        let title = clean_cell(title_line.trimmed(), title_line.number, "section title", warnings);
        let period = period_of(&title, issued_year, title_line.number, warnings);
        let kind = kind_of(&title, Some(&table.columns));
        let body: Vec<&Line> = table
            .body
            .clone()
            .filter(|i| !repeated_headers.iter().any(|r| r.contains(i)))
            .map(|i| content[i])
            .take_while(|l| !l.trimmed().starts_with("抄送"))
            .collect();
        let mut reader = CellReader::new(&table.columns, warnings);
        let groups =
            if table.columns.is_livelihood() { reader.read_projects(&body) } else { reader.read_work_items(&body) };
        reader.warn_column_border(&groups, table.header_line);
        sections.push(SectionDraft { number: index as i32 + 1, kind, title, period, groups });
    }
    Ok(sections)
}

/// Splits the content lines into tables. A header whose columns repeat the current table's,
/// with no plan title before it, is a page-break repeat: skipped with a warning.
/// Also returns the ranges of the repeated headers, which are not rows.
fn find_tables(content: &[&Line], warnings: &mut Warnings) -> Result<(Vec<Table>, Vec<Range<usize>>), ParseError> {
    let mut tables: Vec<Table> = Vec::new();
    let mut skipped: Vec<Range<usize>> = Vec::new();
    for run in header_runs(content) {
        let line = content[run.start].number;
        let columns = Columns::from_names(&run.names, line)?;
        let title_at = run.start.checked_sub(1);
        let titled = title_at.is_some_and(|t| is_plan_title(content[t].trimmed()));
        let repeats = tables.last().is_some_and(|t| t.columns == columns);
        if repeats && !titled {
            warnings.kept(
                WarningKind::RepeatedHeader,
                Some(line),
                "table header repeated at a page break; skipped",
                &run.names.join(" / "),
            );
            skipped.push(run.start..run.end);
            continue;
        }
        let title_at = title_at.unwrap_or(run.start);
        if let Some(previous) = tables.last_mut() {
            previous.body.end = title_at;
        }
        for name in &columns.unread {
            warnings.kept(WarningKind::SkippedLine, Some(line), "a column the parser does not read", name);
        }
        tables.push(Table { title_at, header_line: line, columns, body: run.end..content.len() });
    }
    Ok((tables, skipped))
}

/// Where a work-item row is: its content, its units, or its remarks (the last column).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Content,
    Units,
    Remarks,
}

struct CellReader<'c, 'w> {
    columns: &'c Columns,
    warnings: &'w mut Warnings,
}

impl<'c, 'w> CellReader<'c, 'w> {
    fn new(columns: &'c Columns, warnings: &'w mut Warnings) -> Self {
        CellReader { columns, warnings }
    }

    /// How the unit lines of a row are read: with both unit columns flattened, the border is lost.
    fn unit_column(&self) -> UnitColumn {
        let kinds: Vec<UnitColumn> = self.columns.units.iter().map(|(_, k)| *k).collect();
        match kinds.as_slice() {
            [UnitColumn::Lead, UnitColumn::Cooperating] | [UnitColumn::Cooperating, UnitColumn::Lead] => {
                UnitColumn::LeadThenCooperating
            }
            [only] => *only,
            _ => UnitColumn::Responsible,
        }
    }

    fn read_work_items(&mut self, body: &[&Line]) -> Vec<GroupDraft> {
        let mut groups: Vec<GroupDraft> = Vec::new();
        let mut last_seq = 0;
        let mut phase = Phase::Content;
        let mut i = 0;
        while i < body.len() {
            let line = body[i];
            let text = line.trimmed();
            if let Some((leader, used)) = self.leader_cell(body, i) {
                self.start_leader_group(&mut groups, leader, line);
                i += used;
                continue;
            }
            let group_is_new = groups.last().is_none_or(|g| g.items.is_empty());
            if let Some(content) = item_start(text, last_seq + 1, group_is_new) {
                last_seq = content.0;
                let content = clean_cell(content.1, line.number, "content", self.warnings);
                let item = ItemDraft {
                    line: line.number,
                    seq: last_seq,
                    sub_seq: None,
                    content,
                    leader: None,
                    units: Vec::new(),
                    remarks: None,
                };
                last_or_push(&mut groups, GroupDraft::unnamed).items.push(item);
                phase = Phase::Content;
            } else if let Some(item) = groups.last_mut().and_then(|g| g.items.last_mut()) {
                phase = self.read_row_line(item, line, phase);
            } else {
                self.warnings.kept(WarningKind::SkippedLine, Some(line.number), "a line before the first item", text);
            }
            i += 1;
        }
        groups
    }

    /// A leader cell: `周阳市长` on one line, or a name over a title (`柯寿建` / `常务副市长`).
    /// Returns the leader and how many lines the cell takes.
    fn leader_cell(&self, body: &[&Line], i: usize) -> Option<(LeaderDraft, usize)> {
        self.columns.leader?;
        let text = body[i].trimmed();
        if let Some(leader) = split_name_title(text) {
            return Some((leader, 1));
        }
        let next = body.get(i + 1)?.trimmed();
        (is_person_name(text) && is_title(next))
            .then(|| (LeaderDraft { name: text.to_string(), title: Some(next.to_string()) }, 2))
    }

    /// A leader cell starts a group, unless it repeats the current group's leader at a page break.
    fn start_leader_group(&mut self, groups: &mut Vec<GroupDraft>, leader: LeaderDraft, line: &Line) {
        if groups.last().is_some_and(|g| g.leader.as_ref() == Some(&leader)) {
            self.warnings.kept(
                WarningKind::RepeatedGroupCell,
                Some(line.number),
                "leader cell repeated at a page break; the current group continues",
                &leader.name,
            );
            return;
        }
        let number = groups.len() as i32 + 1;
        groups.push(GroupDraft { number, heading: None, leader: Some(leader), items: Vec::new() });
    }

    /// A line inside a row: more content, a unit, or (part of) the remarks.
    fn read_row_line(&mut self, item: &mut ItemDraft, line: &Line, phase: Phase) -> Phase {
        let text = line.trimmed();
        if phase == Phase::Remarks {
            self.join_wrapped(item.remarks.get_or_insert_with(String::new), line, "remarks");
            return Phase::Remarks;
        }
        if self.columns.remarks.is_some() && is_remark(text) {
            item.remarks = Some(clean_cell(text, line.number, "remarks", self.warnings));
            return Phase::Remarks;
        }
        if phase == Phase::Content && !looks_like_unit(text) {
            self.join_wrapped(&mut item.content, line, "content");
            return Phase::Content;
        }
        let column = self.unit_column();
        let cell = clean_cell(text, line.number, "unit cell", self.warnings);
        item.units
            .extend(split_unit_cell(&cell).iter().filter_map(|raw| read_unit(raw, column, line.number, self.warnings)));
        Phase::Units
    }

    /// A cell that wraps onto the next line (`该项工作会同金加树副市长共同` / `完成`) is joined
    /// with nothing between the parts: Chinese text has no spaces.
    fn join_wrapped(&mut self, cell: &mut String, line: &Line, what: &str) {
        let more = clean_cell(line.trimmed(), line.number, what, self.warnings);
        let joined = format!("{cell}{more}");
        self.warnings.repaired(
            WarningKind::WrappedCellJoined,
            Some(line.number),
            format!("the {what} cell wraps onto this line; joined"),
            &format!("{cell} / {more}"),
            &joined,
        );
        *cell = joined;
    }

    /// Livelihood projects: a number alone on its line, then the content (or numbered sub-items),
    /// each followed by its department.
    fn read_projects(&mut self, body: &[&Line]) -> Vec<GroupDraft> {
        let mut group = GroupDraft::unnamed();
        let mut project: Option<i32> = None;
        for line in body {
            let text = line.trimmed();
            let next_project = project.map_or(1, |p| p + 1);
            if text.parse::<i32>().ok() == Some(next_project) {
                project = Some(next_project);
                continue;
            }
            let Some(seq) = project else {
                self.warnings.kept(
                    WarningKind::SkippedLine,
                    Some(line.number),
                    "a line before the first project",
                    text,
                );
                continue;
            };
            let current = group.items.last_mut().filter(|i| i.seq == seq);
            let next_sub = match &current {
                None => Some(1),
                Some(item) => item.sub_seq.map(|s| s + 1),
            };
            if let Some((sub, rest)) = next_sub.and_then(|n| sub_item_start(text, n)) {
                let content = clean_cell(rest, line.number, "content", self.warnings);
                group.items.push(ItemDraft {
                    line: line.number,
                    seq,
                    sub_seq: Some(sub),
                    content,
                    leader: None,
                    units: Vec::new(),
                    remarks: None,
                });
            } else if let Some(item) = current {
                let phase = if item.units.is_empty() { Phase::Content } else { Phase::Units };
                self.read_row_line(item, line, phase);
            } else {
                let content = clean_cell(text, line.number, "content", self.warnings);
                group.items.push(ItemDraft {
                    line: line.number,
                    seq,
                    sub_seq: None,
                    content,
                    leader: None,
                    units: Vec::new(),
                    remarks: None,
                });
            }
        }
        vec![group]
    }

    /// One warning per table when the lead/cooperating border had to be guessed.
    fn warn_column_border(&mut self, groups: &[GroupDraft], header_line: usize) {
        if self.unit_column() != UnitColumn::LeadThenCooperating {
            return;
        }
        let rows = groups.iter().flat_map(|g| g.items.iter()).filter(|i| i.units.len() > 1).count();
        if rows > 0 {
            self.warnings.note(
                WarningKind::ColumnBorderGuessed,
                Some(header_line),
                format!("牵头单位 and 配合单位 are flattened into one list of lines; in {rows} rows the first unit was taken as the lead and the others as cooperating"),
            );
        }
    }
}

/// An item starts with its number: the next expected one (or 1 in a new group, for notices
/// that restart numbering), not followed by another digit, then `.`/`、` or directly the text.
/// Unit lines that start with digits (`228国道清港连接线工程推进小组`) carry other numbers.
fn item_start(text: &str, expected: i32, group_is_new: bool) -> Option<(i32, &str)> {
    let (number, rest) = leading_number(text)?;
    let number = number as i32;
    if number != expected && !(group_is_new && number == 1) {
        return None;
    }
    Some((number, rest.strip_prefix(['.', '．', '、']).unwrap_or(rest)))
}

/// `1.建设…` as sub-item `n`.
fn sub_item_start(text: &str, expected: i32) -> Option<(i32, &str)> {
    let (number, rest) = leading_number(text)?;
    let rest = rest.strip_prefix(['.', '．', '、'])?;
    (number as i32 == expected && !rest.starts_with(|c: char| c.is_ascii_digit())).then_some((expected, rest))
}

/// Remarks in these tables are sentences about the work (`该项工作会同…共同完成`); unit names
/// never are.
fn is_remark(text: &str) -> bool {
    ["该项", "此项", "注："].iter().any(|s| text.starts_with(s))
        || text.contains("共同完成")
        || text.contains("共同牵头")
}

/// A unit name is short and has no sentence punctuation.
fn looks_like_unit(text: &str) -> bool {
    text.chars().count() <= 32 && !text.contains(['，', '。', '；', ';', '：', '！', '？', ',']) && !text.ends_with('.')
}
