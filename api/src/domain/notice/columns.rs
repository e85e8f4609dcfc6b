//! Table header rows: which column holds what, by the names the notices give them.

use super::ParseError;
use super::draft::UnitColumn;

const SEQ: [&str; 2] = ["序号", "编号"];
const CATEGORY: [&str; 2] = ["项目名称", "类别"];
const CONTENT: [&str; 9] =
    ["重点工作", "项目内容", "民生实事项目", "工作内容", "工作任务", "主要任务", "重点任务", "任务内容", "项目名称"];
const LEADER: [&str; 4] = ["牵头领导", "责任领导", "分管领导", "牵头市领导"];
const RESPONSIBLE_UNITS: [&str; 2] = ["责任单位", "责任部门"];
const LEAD_UNITS: [&str; 2] = ["牵头单位", "牵头部门"];
const COOPERATING_UNITS: [&str; 3] = ["配合单位", "配合部门", "协办单位"];
const REMARKS: [&str; 1] = ["备注"];

/// Whether a cell is a column name some notice uses.
pub fn is_column_name(cell: &str) -> bool {
    [&SEQ[..], &CATEGORY, &CONTENT, &LEADER, &RESPONSIBLE_UNITS, &LEAD_UNITS, &COOPERATING_UNITS, &REMARKS]
        .iter()
        .any(|names| names.contains(&cell))
}

/// Where each kind of cell sits in a table's rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    /// The names as the header writes them, to recognise the header when it is repeated.
    pub names: Vec<String>,
    pub seq: Option<usize>,
    /// Livelihood category name (项目名称 beside a 项目内容 column).
    pub category: Option<usize>,
    pub content: usize,
    pub leader: Option<usize>,
    /// Unit columns in order, with the kind of each.
    pub units: Vec<(usize, UnitColumn)>,
    pub remarks: Option<usize>,
    /// Names the parser does not read (reported once per table).
    pub unread: Vec<String>,
}

impl Columns {
    /// Reads a header row. Fails when the table has no content column or no unit column.
    pub fn from_names(names: &[String], line: usize) -> Result<Columns, ParseError> {
        let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
        let has_item_content = names.iter().any(|n| n == "项目内容");
        // 项目名称 is the category when a separate 项目内容 column holds the project text.
        let category = if has_item_content { find(&CATEGORY) } else { None };
        let content_names: Vec<&str> =
            CONTENT.iter().copied().filter(|n| !(has_item_content && *n == "项目名称")).collect();
        let missing =
            |column: &str| ParseError::MissingColumn { line, column: column.to_string(), header: names.join(" / ") };
        let content = find(&content_names).ok_or_else(|| missing("重点工作 (or 项目内容)"))?;
        let units = unit_columns(names);
        if units.is_empty() {
            return Err(missing("责任单位 (or 牵头单位)"));
        }
        let columns = Columns {
            names: names.to_vec(),
            seq: find(&SEQ),
            category,
            content,
            leader: find(&LEADER),
            units,
            remarks: find(&REMARKS),
            unread: Vec::new(),
        };
        let unread = names.iter().enumerate().filter(|(i, _)| !columns.reads(*i)).map(|(_, n)| n.clone()).collect();
        Ok(Columns { unread, ..columns })
    }

    fn reads(&self, index: usize) -> bool {
        [self.seq, self.category, Some(self.content), self.leader, self.remarks].contains(&Some(index))
            || self.units.iter().any(|(i, _)| *i == index)
    }

    /// A livelihood table: projects under categories, or a 民生实事项目 column.
    pub fn is_livelihood(&self) -> bool {
        self.names.iter().any(|n| n == "项目内容" || n == "民生实事项目")
    }

    /// The number of cells a full row has.
    pub fn cell_count(&self) -> usize {
        self.names.len()
    }
}

/// Unit columns: 责任单位 alone, or 牵头单位 with or without 配合单位.
fn unit_columns(names: &[String]) -> Vec<(usize, UnitColumn)> {
    let position = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let mut units = Vec::new();
    if let Some(i) = position(&RESPONSIBLE_UNITS) {
        units.push((i, UnitColumn::Responsible));
    }
    if let Some(i) = position(&LEAD_UNITS) {
        units.push((i, UnitColumn::Lead));
    }
    if let Some(i) = position(&COOPERATING_UNITS) {
        units.push((i, UnitColumn::Cooperating));
    }
    units
}
