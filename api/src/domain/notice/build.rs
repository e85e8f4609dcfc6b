//! Turns the repaired drafts into the import format.

use super::draft::{ItemDraft, SectionDraft, UnitDraft};
use super::meta::city_of_issuer;
use super::units::assign_roles;
use super::warning::{WarningKind, Warnings};
use crate::views::import::{
    DocumentFile, FORMAT, FileCity, FileDocument, FileGroup, FileItem, FileLeader, FileSection, FileUnit,
};

/// The import document, and every unit name in order of first appearance.
pub fn document(
    document: FileDocument,
    mut sections: Vec<SectionDraft>,
    city: Option<FileCity>,
    warnings: &mut Warnings,
) -> (DocumentFile, Vec<String>) {
    let city = city_of(city, &document.issuer, warnings);
    let leaders = declare_leaders(&mut sections, warnings);
    let unit_names = unit_names(&sections);
    let sections = sections.into_iter().map(file_section).collect();
    (DocumentFile { format: FORMAT.to_string(), city, document, leaders, sections }, unit_names)
}

/// The city passed by the caller (checked against the issuer), or the issuer's city by name
/// only: code, English name, province and prefecture cannot be read from a notice.
fn city_of(city: Option<FileCity>, issuer: &str, warnings: &mut Warnings) -> FileCity {
    let inferred = city_of_issuer(issuer);
    match city {
        Some(city) => {
            if let Some(name) = inferred.filter(|name| *name != city.name) {
                warnings.kept(
                    WarningKind::CityMismatch,
                    None,
                    format!("the issuer names the city {name}, but the city given is {}", city.name),
                    issuer,
                );
            }
            city
        }
        None => {
            let name = inferred.unwrap_or_default();
            warnings.kept(
                WarningKind::CityIncomplete,
                None,
                "no city given: its name was read from the issuer; code, name_en, province and prefecture are empty and must be filled in before importing",
                &name,
            );
            FileCity {
                code: String::new(),
                name,
                name_en: String::new(),
                province: String::new(),
                prefecture: String::new(),
            }
        }
    }
}

/// Every leader a group heading or a row names, in order of appearance. A row leader that no
/// heading declares is checked against the declared ones (see `repair_leader`).
fn declare_leaders(sections: &mut [SectionDraft], warnings: &mut Warnings) -> Vec<FileLeader> {
    let mut leaders: Vec<FileLeader> = Vec::new();
    for leader in sections.iter().flat_map(|s| s.groups.iter()).filter_map(|g| g.leader.as_ref()) {
        if !leaders.iter().any(|l| l.name == leader.name) {
            leaders.push(FileLeader { name: leader.name.clone(), title: leader.title.clone() });
        }
    }
    let declared: Vec<String> = leaders.iter().map(|l| l.name.clone()).collect();
    let led_units = units_by_leader(sections);
    for item in sections.iter_mut().flat_map(|s| s.groups.iter_mut()).flat_map(|g| g.items.iter_mut()) {
        let Some(name) = item.leader.clone() else { continue };
        if declared.contains(&name) {
            continue;
        }
        let name = repair_leader(&name, &declared, &led_units, item, warnings);
        if !leaders.iter().any(|l| l.name == name) {
            leaders.push(FileLeader { name: name.clone(), title: None });
        }
        item.leader = Some(name);
    }
    leaders
}

/// The units of the items each leader leads (as group leader or row leader).
fn units_by_leader(sections: &[SectionDraft]) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for group in sections.iter().flat_map(|s| s.groups.iter()) {
        for item in &group.items {
            let leader = item.leader.as_ref().or(group.leader.as_ref().map(|l| &l.name));
            if let Some(leader) = leader {
                pairs.extend(item.units.iter().map(|u| (leader.clone(), u.name.clone())));
            }
        }
    }
    pairs
}

/// A row leader declared nowhere is an OCR misreading of a declared leader when the names
/// differ in one character but the surname. With several such leaders, the one who leads other
/// items of this row's units is meant (王焯 → 王烨, who leads 市市场监管局 elsewhere, not 王东).
/// Otherwise the name is kept and reported.
fn repair_leader(
    name: &str,
    declared: &[String],
    led_units: &[(String, String)],
    item: &ItemDraft,
    warnings: &mut Warnings,
) -> String {
    let mut candidates: Vec<&String> = declared.iter().filter(|d| one_character_off(name, d)).collect();
    if candidates.len() > 1 {
        let leads_these_units =
            |d: &String| led_units.iter().any(|(l, u)| l == d && item.units.iter().any(|unit| unit.name == *u));
        candidates.retain(|d| leads_these_units(d));
    }
    if let [only] = candidates.as_slice() {
        warnings.repaired(
            WarningKind::LeaderRepaired,
            Some(item.line),
            format!("row leader {name} is declared nowhere; read as {only}, a declared leader one character off who leads these units elsewhere (OCR misreading)"),
            name,
            only,
        );
        return only.to_string();
    }
    warnings.kept(
        WarningKind::UnknownLeader,
        Some(item.line),
        "row leader matches no group leader; declared with no title",
        name,
    );
    name.to_string()
}

/// Same length, same first character (the surname), exactly one other character different.
fn one_character_off(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    a.len() == b.len() && a.first() == b.first() && a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1
}

fn unit_names(sections: &[SectionDraft]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let all = sections.iter().flat_map(|s| s.groups.iter()).flat_map(|g| g.items.iter()).flat_map(|i| i.units.iter());
    for unit in all {
        if !names.contains(&unit.name) {
            names.push(unit.name.clone());
        }
    }
    names
}

fn file_section(section: SectionDraft) -> FileSection {
    FileSection {
        number: section.number,
        kind: section.kind,
        title: section.title,
        period: section.period,
        groups: section
            .groups
            .into_iter()
            .map(|g| FileGroup {
                number: g.number,
                heading: g.heading,
                leader: g.leader.map(|l| l.name),
                items: g.items.into_iter().map(file_item).collect(),
            })
            .collect(),
    }
}

fn file_item(item: ItemDraft) -> FileItem {
    FileItem {
        seq: item.seq,
        sub_seq: item.sub_seq,
        content: item.content,
        leader: item.leader,
        units: file_units(item.units),
        remarks: item.remarks,
        status: None,
        progress: None,
        progress_note: None,
    }
}

fn file_units(units: Vec<UnitDraft>) -> Vec<FileUnit> {
    let roles = assign_roles(&units);
    units.into_iter().zip(roles).map(|(u, role)| FileUnit { name: u.name, role, note: u.note }).collect()
}
