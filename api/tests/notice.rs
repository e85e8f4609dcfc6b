//! The notice parser (`domain::notice`) without a database: the two seed notices parse to the
//! committed import files field by field; notices written for these tests (other cities, other
//! leaders and units, the seeds' extraction artefacts) parse to files written by hand; every
//! warning kind has a notice that produces it; bad input is a precise error; and random mutations
//! never make the parser panic.

use std::path::{Path, PathBuf};

use api::{
    domain::notice::{Layout, ParseError, ParseOptions, Warning, WarningKind, parse, parse_bytes},
    views::import::{DocumentFile, FileCity},
};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn read_text(path: &str) -> String {
    String::from_utf8(read(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn city(code: &str, name: &str, name_en: &str, province: &str, prefecture: &str) -> FileCity {
    FileCity {
        code: code.into(),
        name: name.into(),
        name_en: name_en.into(),
        province: province.into(),
        prefecture: prefecture.into(),
    }
}

fn with_city(city: FileCity) -> ParseOptions {
    ParseOptions { city: Some(city), ..ParseOptions::default() }
}

/// One JSON path where the parser's output and the expected file differ.
#[derive(Debug)]
struct Difference {
    path: String,
    parsed: Value,
    expected: Value,
}

/// Walks both values and lists every differing path (`sections[1].groups[0].items[3].content`).
/// A key missing on one side is shown as `"<absent>"`, an array length difference as `path.len`.
fn differences(parsed: &Value, expected: &Value) -> Vec<Difference> {
    fn walk(path: &str, parsed: &Value, expected: &Value, out: &mut Vec<Difference>) {
        match (parsed, expected) {
            (Value::Object(a), Value::Object(b)) => {
                let mut keys: Vec<&String> = a.keys().collect();
                keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
                let absent = Value::String("<absent>".to_owned());
                for key in keys {
                    let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    walk(&child, a.get(key).unwrap_or(&absent), b.get(key).unwrap_or(&absent), out);
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                if a.len() != b.len() {
                    out.push(Difference {
                        path: format!("{path}.len"),
                        parsed: a.len().into(),
                        expected: b.len().into(),
                    });
                }
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(&format!("{path}[{i}]"), x, y, out);
                }
            }
            _ if parsed != expected => {
                out.push(Difference { path: path.to_owned(), parsed: parsed.clone(), expected: expected.clone() })
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", parsed, expected, &mut out);
    out
}

/// An expected import file read through the format types (so it must fit the format, and the
/// optional fields it leaves out compare equal to the `null` the serialiser writes) and checked
/// as the importer checks it.
fn expected_json(path: &str) -> Value {
    let file = DocumentFile::from_json(&read(path)).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::to_value(file).expect("serialisable")
}

/// The paths where parsing `notice` differs from `expected`, and the warning kinds it reported.
fn compare(notice: &str, expected: &str, city: FileCity) -> (Vec<String>, Layout, Vec<WarningKind>) {
    let parsed = parse_bytes(&read(notice), &with_city(city)).unwrap_or_else(|error| panic!("{notice}: {error}"));
    parsed.document.validate().unwrap_or_else(|error| panic!("{notice} parses to an invalid file: {error}"));
    let found = differences(&serde_json::to_value(&parsed.document).expect("serialisable"), &expected_json(expected));
    for difference in &found {
        eprintln!("{}: parser {} / expected {}", difference.path, difference.parsed, difference.expected);
    }
    let mut kinds: Vec<WarningKind> = parsed.warnings.iter().map(|w| w.kind).collect();
    kinds.sort();
    kinds.dedup();
    (found.into_iter().map(|d| d.path).collect(), parsed.layout, kinds)
}

// ---------------------------------------------------------------------------------------------
// The seeds: `data/NOTES.md` lists the differences, and there are none.

#[test]
fn the_yueqing_notice_parses_to_the_committed_file() {
    let (differences, layout, kinds) = compare(
        "data/notices/yueqing-2021-7.txt",
        "data/yueqing-2021-7.json",
        city("330382", "乐清市", "Yueqing", "浙江省", "温州市"),
    );
    assert_eq!(differences, Vec::<String>::new(), "data/NOTES.md says the files are identical");
    assert_eq!(layout, Layout::Tabbed);
    // The repairs data/NOTES.md describes are made, and reported.
    for kind in [
        WarningKind::ExtractionSpace,
        WarningKind::LatinAnd,
        WarningKind::RepeatedHeader,
        WarningKind::RepeatedGroupCell,
        WarningKind::CellContinued,
        WarningKind::LeaderRepaired,
        WarningKind::UnitNearMiss,
        WarningKind::UnitSpellingVariant,
    ] {
        assert!(kinds.contains(&kind), "{kind:?}");
    }
}

#[test]
fn the_yuhuan_notice_parses_to_the_committed_file() {
    let (differences, layout, kinds) = compare(
        "data/notices/yuhuan-2021-9.txt",
        "data/yuhuan-2021-9.json",
        city("331083", "玉环市", "Yuhuan", "浙江省", "台州市"),
    );
    assert_eq!(differences, Vec::<String>::new(), "data/NOTES.md says the files are identical");
    assert_eq!(layout, Layout::Cells);
    for kind in [
        WarningKind::DocNumberRepaired,
        WarningKind::DateRepaired,
        WarningKind::TimeZoneAssumed,
        WarningKind::DroppedFirstChar,
        WarningKind::MissingCityPrefix,
        WarningKind::JoinedUnitsSplit,
        WarningKind::BracketRepaired,
        WarningKind::DuplicateUnit,
        WarningKind::UnitNote,
        WarningKind::WrappedCellJoined,
        WarningKind::RepeatedGroupCell,
        WarningKind::ColumnBorderGuessed,
        WarningKind::UnbalancedQuote,
    ] {
        assert!(kinds.contains(&kind), "{kind:?}");
    }
}

#[test]
fn without_a_city_the_notice_names_its_city_and_the_file_is_not_importable() {
    let parsed = parse_bytes(&read("data/notices/yuhuan-2021-9.txt"), &ParseOptions::default()).expect("parsed");
    assert_eq!(parsed.document.city.name, "玉环市");
    assert_eq!(parsed.document.city.code, "");
    assert!(parsed.warnings.iter().any(|w| w.kind == WarningKind::CityIncomplete));
    let error = parsed.document.validate().expect_err("an incomplete city is rejected");
    let fields: Vec<String> = error.problem().errors.into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["city.code", "city.name_en", "city.province", "city.prefecture"]);
}

// ---------------------------------------------------------------------------------------------
// Notices written for these tests, with expected files written by hand.

#[test]
fn a_tabbed_notice_of_another_city_parses_to_its_hand_written_file() {
    let (differences, layout, kinds) = compare(
        "api/tests/fixtures/ruian-tabbed.txt",
        "api/tests/fixtures/ruian-tabbed.json",
        city("330381", "瑞安市", "Ruian", "浙江省", "温州市"),
    );
    assert_eq!(differences, Vec::<String>::new());
    assert_eq!(layout, Layout::Tabbed);
    use WarningKind::*;
    assert_eq!(
        kinds,
        [ExtractionSpace, LatinAnd, DateRepaired, MissingCityPrefix, RepeatedHeader, RowContinued, CellContinued]
    );
}

#[test]
fn a_cells_notice_of_another_city_parses_to_its_hand_written_file() {
    let (differences, layout, kinds) = compare(
        "api/tests/fixtures/wenling-cells.txt",
        "api/tests/fixtures/wenling-cells.json",
        city("331081", "温岭市", "Wenling", "浙江省", "台州市"),
    );
    assert_eq!(differences, Vec::<String>::new());
    assert_eq!(layout, Layout::Cells);
    use WarningKind::*;
    assert_eq!(
        kinds,
        [
            ExtractionSpace,
            LatinAnd,
            DocNumberRepaired,
            DateRepaired,
            TimeZoneAssumed,
            MissingCityPrefix,
            RepeatedHeader,
            RepeatedGroupCell,
            WrappedCellJoined,
            ColumnBorderGuessed,
        ]
    );
}

#[test]
fn the_comparison_reports_each_differing_path() {
    let a = serde_json::json!({"a": 1, "b": [1, 2], "c": {"d": "x"}});
    let b = serde_json::json!({"a": 2, "b": [1], "c": {"d": "x", "e": null}});
    let paths: Vec<String> = differences(&a, &b).into_iter().map(|d| d.path).collect();
    assert_eq!(paths, ["a", "b.len", "c.e"]);
}

// ---------------------------------------------------------------------------------------------
// Small notices around a few rows, one behaviour each.

/// A tab-separated notice with one work-item table; `rows` go under its header.
fn tabbed(rows: &str) -> String {
    format!(
        "测政办函〔2022〕1号\n\n测试市人民政府办公室关于印发重点工作责任分解的通知\n\n各单位：\n\n\
         测试市人民政府办公室\n\n2022年1月5日\n\n附件 1\n\n2022年重点工作责任分解\n\n\
         一、赵一市长牵头重点工作\n\n序号\t重点工作\t责任单位\t备注\n{rows}\n"
    )
}

/// A tab-separated notice with a work-item table (leader 赵一) and a livelihood table whose
/// header is followed by `rows`.
fn livelihood(rows: &str) -> String {
    format!(
        "{}\n附件 2\n\n2022年民生实事项目任务分解\n\n序号\t项目名称\t项目内容\t牵头领导\t责任单位\t备注\n{rows}\n",
        tabbed("1\t推进工作。\t市发改局\t")
    )
}

/// A one-cell-per-line notice with one work-item table led by 赵一; `body` lines follow.
fn cells(body: &[&str]) -> String {
    let head = [
        "关于印发重点工作责任分工方案的通知",
        "测政办发〔2022〕2号",
        "各单位:",
        "测试市人民政府办公室",
        "2022年2月1日",
        "2022年重点工作责任分工方案",
        "牵头领导",
        "重点工作",
        "牵头单位",
        "配合单位",
        "备注",
        "赵一市长",
    ];
    head.iter().chain(body).map(|l| format!("{l}\n\n")).collect()
}

fn test_city() -> ParseOptions {
    with_city(city("330000", "测试市", "Ceshi", "浙江省", "测试地区"))
}

fn with_known(units: &[&str]) -> ParseOptions {
    ParseOptions { known_units: units.iter().map(|u| (*u).to_owned()).collect(), ..test_city() }
}

/// Every warning kind, with a notice that shows it and the options to parse it with.
fn warning_cases() -> Vec<(WarningKind, String, ParseOptions)> {
    use WarningKind::*;
    let head_with = |from: &str, to: &str| tabbed("1\t推进工作。\t市发改局\t").replace(from, to);
    vec![
        (ExtractionSpace, tabbed("1\t推进 项目 建设。\t市发改局\t"), test_city()),
        (LatinAnd, tabbed("1\t打造街区 and 夜间经济。\t市发改局\t"), test_city()),
        (DocNumberRepaired, head_with("〔2022〕1号", "〔20221"), test_city()),
        (DateRepaired, head_with("2022年1月5日", "202215"), test_city()),
        (TimeZoneAssumed, head_with("各单位：", "发布时间:2022-01-06 10:00\n各单位："), test_city()),
        (
            DroppedFirstChar,
            tabbed("1\t加快建设新城。\t市发改局\t\n2\t加快推进改革。\t市发改局\t\n3\t快补短板。\t市发改局\t"),
            test_city(),
        ),
        (MissingCityPrefix, tabbed("1\t推进工作。\t市发改局\t\n2\t深化改革。\t发改局\t"), test_city()),
        (
            JoinedUnitsSplit,
            tabbed("1\t推进工作。\t市发改局、市财政局\t\n2\t深化改革。\t市发改局市财政局\t"),
            test_city(),
        ),
        (BracketRepaired, tabbed("1\t推进工作。\t各乡镇（街道\t"), test_city()),
        (UnbalancedBracket, tabbed("1\t建设新城（一期。\t市发改局\t"), test_city()),
        (UnbalancedQuote, tabbed("1\t实施“双增行动。\t市发改局\t"), test_city()),
        (DuplicateUnit, tabbed("1\t推进工作。\t市发改局、市发改局\t"), test_city()),
        (LeaderRepaired, livelihood("一\t教育\t(1) 新建学校。\t赵二\t市教育局\t"), test_city()),
        (UnknownLeader, livelihood("一\t教育\t(1) 新建学校。\t钱五\t市教育局\t"), test_city()),
        (
            RepeatedHeader,
            tabbed("1\t推进工作。\t市发改局\t\n序号\t重点工作\t责任单位\t备注\n2\t深化改革。\t市财政局\t"),
            test_city(),
        ),
        (
            RepeatedGroupCell,
            livelihood(
                "一\t教育\t(1) 新建学校。\t赵一\t市教育局\t\n序号\t项目名称\t项目内容\t牵头领导\t责任单位\t备注\n一\t教育\t(2) 改造学校。\t赵一\t市教育局\t",
            ),
            test_city(),
        ),
        (RowContinued, tabbed("1\t推进工作，\n建设新城。\t市发改局\t"), test_city()),
        (WrappedCellJoined, cells(&["1.推进工作。", "市发改局", "该项工作会同钱二副市长共同", "完成"]), test_city()),
        (
            CellContinued,
            livelihood("一\t教育\t(1) 新建学校。\t赵一\t市教育局\t\n\t\t(2) 改造学校。\t\t\t"),
            test_city(),
        ),
        (ColumnBorderGuessed, cells(&["1.推进工作。", "市发改局", "市财政局"]), test_city()),
        (UnitNote, tabbed("1\t推进工作。\t市统计局(数据监测)\t"), test_city()),
        (SkippedLine, tabbed("1\t推进工作。\t市发改局\t\n注：本表另行调整"), test_city()),
        (MissingCell, tabbed("1\t推进工作。\n\n2\t深化改革。\t市发改局\t"), test_city()),
        (PeriodAssumed, head_with("2022年重点工作责任分解", "重点工作责任分解"), test_city()),
        (CityIncomplete, tabbed("1\t推进工作。\t市发改局\t"), ParseOptions::default()),
        (
            CityMismatch,
            tabbed("1\t推进工作。\t市发改局\t"),
            with_city(city("330382", "乐清市", "Yueqing", "浙江省", "温州市")),
        ),
        (MissingMetadata, head_with("2022年1月5日", "") + "\n抄送：市委办。\n\n2022年1月6日印发\n", test_city()),
        (UnitNormalisedMatch, tabbed("1\t推进工作。\t各乡镇(街道)\t"), with_known(&["各乡镇（街道）"])),
        (UnitNearMiss, tabbed("1\t推进工作。\t市人社局\t"), with_known(&["市人力社保局"])),
        (UnitSpellingVariant, tabbed("1\t推进工作。\t各乡镇(街道)\t\n2\t深化改革。\t各乡镇（街道）\t"), test_city()),
    ]
}

fn warnings_of(text: &str, options: &ParseOptions) -> Vec<Warning> {
    match parse(text, options) {
        Ok(parsed) => parsed.warnings,
        Err(error) => panic!("{error}\n{text}"),
    }
}

#[test]
fn every_warning_kind_has_a_notice_that_produces_it() {
    let cases = warning_cases();
    for kind in WarningKind::ALL {
        assert!(cases.iter().any(|(covered, _, _)| *covered == kind), "no test case for {kind:?}");
    }
    for (kind, text, options) in cases {
        let warnings = warnings_of(&text, &options);
        assert!(warnings.iter().any(|w| w.kind == kind), "{kind:?} not produced; got {warnings:#?}\n{text}");
    }
}

#[test]
fn repairs_carry_the_text_before_and_after_and_read_as_sentences() {
    let warnings = warnings_of(&tabbed("1\t打造街区 and 夜间经济。\t市发改局\t"), &test_city());
    let and = warnings.iter().find(|w| w.kind == WarningKind::LatinAnd).expect("a latin_and warning");
    assert_eq!(and.original.as_deref(), Some("打造街区 and 夜间经济。"));
    assert_eq!(and.repaired.as_deref(), Some("打造街区和夜间经济。"));
    let line = and.line.expect("the warning names its line");
    assert!(and.to_string().starts_with(&format!("line {line}: ")), "{and}");
    assert!(and.to_string().ends_with("(打造街区 and 夜间经济。 → 打造街区和夜间经济。)"), "{and}");
}

#[test]
fn warnings_serialise_with_snake_case_kinds() {
    let warnings = warnings_of(&tabbed("1\t推进工作。\t市人社局\t"), &with_known(&["市人力社保局"]));
    let json = serde_json::to_value(&warnings).expect("serialisable");
    assert!(json.as_array().expect("a list").iter().any(|w| w["kind"] == "unit_near_miss"), "{json}");
}

#[test]
fn units_are_matched_exactly_then_normalised_and_never_merged() {
    let text = tabbed("1\t推进工作。\t*市发改局、各乡镇(街道)、市人社局\t");
    let parsed = parse(&text, &with_known(&["市发改局", "各乡镇（街道）", "市人力社保局"])).expect("parsed");
    let how: Vec<Value> = parsed.units.iter().map(|m| serde_json::to_value(m).expect("serialisable")).collect();
    assert_eq!(
        how,
        [
            serde_json::json!({"name": "市发改局", "known": "市发改局", "how": "exact", "near_misses": []}),
            serde_json::json!({"name": "各乡镇(街道)", "known": "各乡镇（街道）", "how": "normalised", "near_misses": []}),
            serde_json::json!({"name": "市人社局", "known": null, "how": "new", "near_misses": ["市人力社保局"]}),
        ]
    );
    // The document keeps the names as written.
    let units = &parsed.document.sections[0].groups[0].items[0].units;
    assert_eq!(units[1].name, "各乡镇(街道)");
}

// ---------------------------------------------------------------------------------------------
// Bad input: a clear error, never a panic and never a partial document.

fn error_of(text: &str) -> ParseError {
    match parse(text, &ParseOptions::default()) {
        Ok(_) => panic!("parsed, but should not:\n{text}"),
        Err(error) => error,
    }
}

fn bytes_error_of(bytes: &[u8]) -> ParseError {
    match parse_bytes(bytes, &ParseOptions::default()) {
        Ok(_) => panic!("parsed, but should not"),
        Err(error) => error,
    }
}

#[test]
fn an_empty_notice_is_rejected() {
    assert_eq!(error_of(""), ParseError::Empty);
    assert_eq!(error_of(" \n\u{a0}\n\u{3000}\n"), ParseError::Empty);
    assert_eq!(bytes_error_of(b"\xef\xbb\xbf"), ParseError::Empty);
    assert_eq!(ParseError::Empty.to_string(), "the notice is empty");
}

#[test]
fn gbk_bytes_are_named_as_gbk() {
    let text = read_text("api/tests/fixtures/ruian-tabbed.txt");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let error = bytes_error_of(&gbk);
    assert_eq!(error, ParseError::NotUtf8 { encoding: Some("GBK".to_owned()), valid_up_to: 0 });
    assert_eq!(
        error.to_string(),
        "the notice is not UTF-8 (invalid at byte 0); it looks like GBK: convert it first, e.g. `iconv -f GBK -t UTF-8`"
    );
}

#[test]
fn utf16_and_other_bytes_are_rejected() {
    let utf16: Vec<u8> = [0xff, 0xfe].into_iter().chain("序号".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    assert_eq!(bytes_error_of(&utf16), ParseError::NotUtf8 { encoding: Some("UTF-16".to_owned()), valid_up_to: 0 });
    assert_eq!(bytes_error_of(b"abc\xff\xff"), ParseError::NotUtf8 { encoding: None, valid_up_to: 3 });
}

#[test]
fn a_notice_with_no_tables_is_rejected() {
    let prose =
        "测政办函〔2022〕1号\n关于印发工作要点的通知\n各单位：\n请认真贯彻执行。\n测试市人民政府办公室\n2022年1月5日\n";
    assert_eq!(error_of(prose), ParseError::NoTables);
}

#[test]
fn a_table_in_another_layout_is_rejected() {
    let markdown = "关于印发重点工作的通知\n\n| 序号 | 重点工作 | 责任单位 | 备注 |\n| --- | --- | --- | --- |\n| 1 | 推进工作 | 市发改局 | |\n";
    let error = error_of(markdown);
    assert_eq!(error, ParseError::UnknownLayout { line: 3, text: "| 序号 | 重点工作 | 责任单位 | 备注 |".to_owned() });
    assert!(error.to_string().starts_with("line 3 looks like a table"), "{error}");
}

#[test]
fn a_forced_layout_the_notice_does_not_have_is_rejected() {
    let options = ParseOptions { layout: Some(Layout::Cells), ..ParseOptions::default() };
    let error = parse(&tabbed("1\t推进工作。\t市发改局\t"), &options).expect_err("no cells table");
    assert_eq!(error, ParseError::NoTablesInLayout { layout: Layout::Cells });
    assert_eq!(error.to_string(), "no table in the cells layout was found");
}

#[test]
fn a_table_with_a_missing_column_is_rejected() {
    let text = tabbed("1\t推进工作。\t市发改局\t").replace("序号\t重点工作\t责任单位\t备注", "序号\t重点工作\t备注");
    assert_eq!(
        error_of(&text),
        ParseError::MissingColumn {
            line: 17,
            column: "责任单位 (or 牵头单位)".to_owned(),
            header: "序号 / 重点工作 / 备注".to_owned()
        }
    );
    let text = cells(&["1.推进工作。", "市发改局"]).replace("牵头单位\n\n配合单位\n\n", "");
    assert_eq!(
        error_of(&text),
        ParseError::MissingColumn {
            line: 13,
            column: "责任单位 (or 牵头单位)".to_owned(),
            header: "牵头领导 / 重点工作 / 备注".to_owned()
        }
    );
    let text = tabbed("推进工作。\t市发改局\t").replace("序号\t重点工作\t责任单位\t备注", "重点工作\t责任单位\t备注");
    let error = error_of(&text);
    assert_eq!(
        error,
        ParseError::MissingColumn {
            line: 17,
            column: "序号".to_owned(),
            header: "重点工作 / 责任单位 / 备注".to_owned()
        }
    );
    assert_eq!(error.to_string(), "line 17: the table header (重点工作 / 责任单位 / 备注) has no 序号 column");
}

#[test]
fn missing_or_ambiguous_metadata_is_rejected() {
    let no_number = tabbed("1\t推进工作。\t市发改局\t").replace("测政办函〔2022〕1号", "");
    assert_eq!(error_of(&no_number), ParseError::MissingMetadata { field: "doc_number" });
    let ambiguous = tabbed("1\t推进工作。\t市发改局\t").replace("2022年1月5日", "2022111");
    assert_eq!(error_of(&ambiguous), ParseError::AmbiguousDate { line: 9, text: "2022111".to_owned() });
    let no_date = tabbed("1\t推进工作。\t市发改局\t").replace("2022年1月5日", "");
    assert_eq!(error_of(&no_date), ParseError::MissingMetadata { field: "issued_on" });
}

#[test]
fn parse_errors_are_problems_naming_what_is_wrong() {
    let problem = api::error::ApiError::from(ParseError::NoTables).problem();
    assert_eq!(problem.status, 422);
    assert_eq!(
        problem.detail,
        "the notice cannot be parsed: the notice has no tables (no header row such as 序号 / 重点工作 / 责任单位)"
    );
    assert_eq!(problem.errors[0].field, "body");
    let undecodable = ParseError::NotUtf8 { encoding: Some("GBK".to_owned()), valid_up_to: 0 };
    assert_eq!(api::error::ApiError::from(undecodable).problem().status, 400);
}

// ---------------------------------------------------------------------------------------------
// Fuzzing: mutated notices and random strings never make the parser panic.

/// xorshift64*: a tiny deterministic generator, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Characters and words that matter to the parser, plus a few that do not.
const ALPHABET: &[&str] = &[
    "\t",
    "\n",
    "\r",
    " ",
    "\u{a0}",
    "\u{3000}",
    "0",
    "1",
    "2",
    "9",
    "2021",
    "〔",
    "〕",
    "(",
    ")",
    "（",
    "）",
    "*",
    "、",
    "，",
    ",",
    ".",
    "。",
    "“",
    "”",
    "年",
    "月",
    "日",
    "号",
    "序号",
    "重点工作",
    "责任单位",
    "牵头单位",
    "配合单位",
    "备注",
    "牵头领导",
    "项目名称",
    "项目内容",
    "民生实事项目",
    "牵头部门",
    "一、",
    "十",
    "附件 1",
    "市",
    "局",
    "市长",
    "副市长",
    "牵头",
    "and",
    "注：",
    "抄送：",
    "发布时间:",
    "该项工作",
    "(街道)",
    "S226",
    "印发",
    "关于",
    "通知",
    "é",
    "\u{1F600}",
    "\u{feff}",
];

fn random_string(rng: &mut Rng, len: usize) -> String {
    (0..len).map(|_| *rng.pick(ALPHABET)).collect()
}

/// Applies a few random edits to the lines of a notice: deletes, duplicates, swaps, cuts,
/// insertions of table-significant text, tabs turned into spaces, truncation.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..1 + rng.below(6) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let at = rng.below(lines.len());
        let mut chars: Vec<char> = lines[at].chars().collect();
        match rng.below(8) {
            0 => {
                lines.remove(at);
            }
            1 => lines.insert(at, lines[at].clone()),
            2 => {
                let other = rng.below(lines.len());
                lines.swap(at, other);
            }
            3 => lines[at] = chars[..rng.below(chars.len() + 1)].iter().collect(),
            4 => {
                let position = rng.below(chars.len() + 1);
                let length = 1 + rng.below(3);
                chars.splice(position..position, random_string(rng, length).chars().collect::<Vec<_>>());
                lines[at] = chars.into_iter().collect();
            }
            5 => {
                if !chars.is_empty() {
                    let position = rng.below(chars.len());
                    let end = (position + 1 + rng.below(4)).min(chars.len());
                    chars.drain(position..end);
                }
                lines[at] = chars.into_iter().collect();
            }
            6 => lines.truncate(at + 1),
            _ => lines[at] = lines[at].replace('\t', "  "),
        }
    }
    lines.join("\n")
}

/// Runs for `FUZZ_SECONDS` (3 by default) or `FUZZ_CASES` cases, whichever ends first, from
/// `FUZZ_SEED`; prints how many cases it ran. A panic names the case to replay.
#[test]
fn mutated_notices_and_random_strings_never_panic() {
    let env = |name: &str| std::env::var(name).ok().and_then(|value| value.parse::<u64>().ok());
    let budget = std::time::Duration::from_secs(env("FUZZ_SECONDS").unwrap_or(3));
    let max_cases = env("FUZZ_CASES").unwrap_or(u64::MAX);
    let seed = env("FUZZ_SEED").unwrap_or(0x5eed_0000_0001);
    let sources: Vec<String> = [
        "data/notices/yueqing-2021-7.txt",
        "data/notices/yuhuan-2021-9.txt",
        "api/tests/fixtures/ruian-tabbed.txt",
        "api/tests/fixtures/wenling-cells.txt",
    ]
    .into_iter()
    .map(read_text)
    .collect();
    let layouts = [None, Some(Layout::Tabbed), Some(Layout::Cells)];
    let mut rng = Rng(seed);
    let (mut parsed, mut rejected, mut case) = (0u64, 0u64, 0u64);
    let started = std::time::Instant::now();
    while case < max_cases && started.elapsed() < budget {
        let text = match case % 4 {
            // A random window of a source under its head, so most cases reach the tables fast.
            0 | 1 => {
                let source: Vec<&str> = rng.pick(&sources).lines().collect();
                let start = rng.below(source.len() / 2);
                let end = (start + 20 + rng.below(200)).min(source.len());
                let head = &source[..30.min(source.len())];
                mutate(&mut rng, &[head, &source[start..end]].concat().join("\n"))
            }
            2 => {
                let source = rng.pick(&sources).clone();
                mutate(&mut rng, &source)
            }
            _ => {
                let length = rng.below(200);
                random_string(&mut rng, length)
            }
        };
        let options = ParseOptions {
            layout: *rng.pick(&layouts),
            known_units: vec!["市发改局".into(), "各乡镇（街道）".into()],
            ..ParseOptions::default()
        };
        // Every seventh case is raw bytes, half of them with a broken UTF-8 sequence.
        let mut bytes = text.into_bytes();
        if case % 7 == 0 && rng.below(2) == 0 && !bytes.is_empty() {
            let at = rng.below(bytes.len());
            bytes[at] = 0xff;
        }
        let result = std::panic::catch_unwind(|| parse_bytes(&bytes, &options));
        match result {
            Ok(Ok(_)) => parsed += 1,
            Ok(Err(_)) => rejected += 1,
            Err(_) => panic!(
                "case {case} of seed {seed} panicked; input:\n{}",
                String::from_utf8_lossy(&bytes).chars().take(4000).collect::<String>()
            ),
        }
        case += 1;
    }
    println!(
        "fuzz: {case} cases (seed {seed}) in {:.1?}: {parsed} parsed, {rejected} rejected with an error, 0 panics",
        started.elapsed()
    );
    assert!(case > 0);
}

mod properties {
    //! The same "never panics" promise as a proptest property, so that a failing case is shrunk to
    //! a small one: random text over the alphabet of notices, and the seed notices with lines
    //! dropped, repeated, cut and retabbed. `PROPTEST_CASES` changes the number of cases (256).

    use proptest::prelude::*;

    use super::{ALPHABET, Layout, ParseOptions, parse_bytes, read_text};

    /// One edit of a notice's lines, chosen by proptest.
    #[derive(Debug, Clone)]
    enum Edit {
        Drop(usize),
        Repeat(usize),
        Cut(usize, usize),
        Untab(usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            any::<usize>().prop_map(Edit::Drop),
            any::<usize>().prop_map(Edit::Repeat),
            (any::<usize>(), any::<usize>()).prop_map(|(line, at)| Edit::Cut(line, at)),
            any::<usize>().prop_map(Edit::Untab),
        ]
    }

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for edit in edits {
            if lines.is_empty() {
                break;
            }
            let n = lines.len();
            match edit {
                Edit::Drop(line) => {
                    lines.remove(line % n);
                }
                Edit::Repeat(line) => lines.insert(line % n, lines[line % n].clone()),
                Edit::Cut(line, at) => {
                    let chars: Vec<char> = lines[line % n].chars().collect();
                    lines[line % n] = chars[..at % (chars.len() + 1)].iter().collect();
                }
                Edit::Untab(line) => lines[line % n] = lines[line % n].replace('\t', " "),
            }
        }
        lines.join("\n")
    }

    fn layout() -> impl Strategy<Value = Option<Layout>> {
        prop_oneof![Just(None), Just(Some(Layout::Tabbed)), Just(Some(Layout::Cells))]
    }

    proptest! {
        #[test]
        fn random_text_is_parsed_or_refused_never_a_panic(
            pieces in prop::collection::vec(prop::sample::select(ALPHABET), 0..400),
            layout in layout(),
        ) {
            let options = ParseOptions { layout, ..ParseOptions::default() };
            let _ = parse_bytes(pieces.concat().as_bytes(), &options);
        }

        #[test]
        fn edited_seed_notices_are_parsed_or_refused_never_a_panic(
            which in 0..2usize,
            edits in prop::collection::vec(edit(), 0..40),
            layout in layout(),
        ) {
            let source = read_text(["data/notices/yueqing-2021-7.txt", "data/notices/yuhuan-2021-9.txt"][which]);
            let options = ParseOptions { layout, known_units: vec!["市发改局".into()], ..ParseOptions::default() };
            let _ = parse_bytes(apply(&source, &edits).as_bytes(), &options);
        }
    }
}
