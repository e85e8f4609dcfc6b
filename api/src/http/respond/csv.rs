//! Lists as CSV for spreadsheets: UTF-8 with a BOM, nested values flattened into readable cells.

use serde_json::{Map, Value};

/// Records as CSV, UTF-8 with a BOM: one row per record, one column per top-level field, nested
/// values flattened into readable text.
pub fn to_csv(items: &[Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        if let Value::Object(map) = item {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    let mut out = String::from("\u{feff}");
    let row = |cells: Vec<String>| cells.iter().map(|cell| csv_cell(cell)).collect::<Vec<_>>().join(",") + "\r\n";
    out.push_str(&row(columns.clone()));
    for item in items {
        let empty = Map::new();
        let map = item.as_object().unwrap_or(&empty);
        out.push_str(&row(columns.iter().map(|c| flatten(map.get(c).unwrap_or(&Value::Null))).collect()));
    }
    out
}

fn csv_cell(text: &str) -> String {
    let text = defuse_formula(text);
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.into_owned() }
}

/// A cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return) is prefixed with `'`, which spreadsheets show as text (OWASP, "CSV
/// Injection"). The data is published by cities but typed by many hands: it must not become a
/// formula on a reader's machine.
fn defuse_formula(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}").into() } else { text.into() }
}

/// A JSON value as one readable cell: a unit as `市发改局 (lead)`, a leader as `何学考 (常务副市长)`,
/// a city or category by name, a section by title, lists joined with `; `.
fn flatten(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(values) => values.iter().map(flatten).collect::<Vec<_>>().join("; "),
        Value::Object(map) => {
            let text = |key: &str| map.get(key).and_then(Value::as_str);
            match (text("name"), text("role").or(text("title"))) {
                (Some(name), Some(extra)) => format!("{name} ({extra})"),
                (Some(name), None) => name.to_owned(),
                _ => text("heading")
                    .or(text("title"))
                    .map(str::to_owned)
                    .or_else(|| map.get("number").map(|n| n.to_string()))
                    .unwrap_or_else(|| value.to_string()),
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_text() {
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        for formula in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(formula).trim_start_matches('"').starts_with('\''), "{formula:?}");
        }
        assert_eq!(csv_cell("市发改局"), "市发改局");
    }

    #[test]
    fn csv_flattens_nested_values_readably() {
        let items = [
            json!({"id": "a", "units": [{"name": "市发改局", "role": "lead"}], "leader": {"name": "何学考", "title": "常务副市长"}, "content": "x, \"y\""}),
        ];
        let csv = to_csv(&items);
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(
            csv,
            "\u{feff}id,units,leader,content\r\na,市发改局 (lead),何学考 (常务副市长),\"x, \"\"y\"\"\"\r\n"
        );
    }
}
