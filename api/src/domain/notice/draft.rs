//! The parser's working model: what the layout readers produce and the document-wide repairs
//! change, before it is turned into the import format.

use entity::item::ItemKind;

/// One attachment or plan.
#[derive(Clone, Debug)]
pub struct SectionDraft {
    pub number: i32,
    pub kind: ItemKind,
    pub title: String,
    pub period: String,
    pub groups: Vec<GroupDraft>,
}

/// A leader group or a livelihood category.
#[derive(Clone, Debug)]
pub struct GroupDraft {
    pub number: i32,
    pub heading: Option<String>,
    pub leader: Option<LeaderDraft>,
    pub items: Vec<ItemDraft>,
}

/// A leader as a heading or leader cell names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderDraft {
    pub name: String,
    pub title: Option<String>,
}

/// One numbered row.
#[derive(Clone, Debug)]
pub struct ItemDraft {
    /// Source line where the row starts.
    pub line: usize,
    pub seq: i32,
    pub sub_seq: Option<i32>,
    pub content: String,
    /// The row's own leader (livelihood 牵头领导 cell), not the group's.
    pub leader: Option<String>,
    pub units: Vec<UnitDraft>,
    pub remarks: Option<String>,
}

/// A unit as written in a row, before roles are assigned.
#[derive(Clone, Debug)]
pub struct UnitDraft {
    pub name: String,
    pub note: Option<String>,
    /// Marked `*` (Yueqing lead mark).
    pub starred: bool,
    /// The column the unit was read from, when the table has separate lead / cooperating columns.
    pub column: UnitColumn,
    pub line: usize,
}

/// Which unit column a unit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitColumn {
    /// 责任单位: roles come from `*` marks.
    Responsible,
    /// 牵头单位 / 牵头部门.
    Lead,
    /// 配合单位.
    Cooperating,
    /// 牵头单位 and 配合单位 flattened into one run of lines: the border is lost.
    LeadThenCooperating,
}

impl SectionDraft {
    /// A section for rows that come before any title (reported by the caller).
    pub fn untitled() -> SectionDraft {
        SectionDraft {
            number: 1,
            kind: ItemKind::WorkItem,
            title: String::new(),
            period: String::new(),
            groups: Vec::new(),
        }
    }
}

impl GroupDraft {
    /// The one group of a table with no group headings.
    pub fn unnamed() -> GroupDraft {
        GroupDraft { number: 1, heading: None, leader: None, items: Vec::new() }
    }
}

/// The last element, pushing `make()` first when there is none.
pub fn last_or_push<T>(items: &mut Vec<T>, make: impl FnOnce() -> T) -> &mut T {
    if items.is_empty() {
        items.push(make());
    }
    let last = items.len() - 1;
    &mut items[last]
}
