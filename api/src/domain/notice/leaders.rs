//! Leader names and titles, from group headings and leader cells.

use super::draft::LeaderDraft;
use super::lines::is_han;

/// Titles of city leaders, longest first so that 常务副市长 is not read as …市长.
const TITLES: [&str; 18] = [
    "常务副市长",
    "常务副县长",
    "常务副区长",
    "副市长",
    "副县长",
    "副区长",
    "副书记",
    "秘书长",
    "副主任",
    "市长",
    "县长",
    "区长",
    "常委",
    "书记",
    "主任",
    "常务",
    "部长",
    "主席",
];

/// A line that is nothing but a title (`常务副市长` under `柯寿建`).
pub fn is_title(text: &str) -> bool {
    TITLES.contains(&text)
}

/// A person's name: two to four Chinese characters, not starting like a body (市…, 各…).
pub fn is_person_name(text: &str) -> bool {
    let count = text.chars().count();
    (2..=4).contains(&count) && text.chars().all(is_han) && !text.starts_with(['市', '各', '县', '区', '镇', '乡'])
}

/// `周阳市长` → 周阳 / 市长.
pub fn split_name_title(text: &str) -> Option<LeaderDraft> {
    TITLES.iter().find_map(|title| {
        let name = text.strip_suffix(title)?;
        is_person_name(name).then(|| LeaderDraft { name: name.to_string(), title: Some(title.to_string()) })
    })
}

/// `何学考常务副市长牵头重点工作` → 何学考 / 常务副市长. Headings with no 牵头 (市政府各部门共同推进
/// 重点工作, 其他重点工作) name no leader.
pub fn leader_of_heading(heading: &str) -> Option<LeaderDraft> {
    let (before, _) = heading.split_once("牵头")?;
    split_name_title(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_give_name_and_title() {
        let leader = leader_of_heading("何学考常务副市长牵头重点工作").expect("a leader heading");
        assert_eq!((leader.name.as_str(), leader.title.as_deref()), ("何学考", Some("常务副市长")));
        assert_eq!(leader_of_heading("市政府各部门共同推进重点工作"), None);
        assert_eq!(leader_of_heading("其他重点工作"), None);
        assert_eq!(split_name_title("蔡木贵常委").expect("a name and title").name, "蔡木贵");
        assert_eq!(split_name_title("市委市政府督查室"), None);
    }
}
