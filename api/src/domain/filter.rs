//! Conditions the lists share: substring matches with `LIKE`, and filter values that take an id
//! or a name.

use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{IntoCondition, LikeExpr, SimpleExpr},
};

use crate::views::values::IdOrName;

/// The condition `id_column = id` or `name_column = name`.
pub fn id_or_name(value: &IdOrName, id_column: impl ColumnTrait, name_column: impl ColumnTrait) -> Condition {
    match value {
        IdOrName::Id(id) => id_column.eq(*id).into_condition(),
        IdOrName::Name(name) => name_column.eq(name.clone()).into_condition(),
    }
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A condition that `column` contains `text` (escaped; `\` is the escape character).
pub fn contains(column: impl ColumnTrait, text: &str) -> SimpleExpr {
    column.like(LikeExpr::new(contains_pattern(text)).escape('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("停车"), "%停车%");
        assert_eq!(contains_pattern("5%_\\"), "%5\\%\\_\\\\%");
    }
}
