//! The layering rule of `ARCHITECTURE.md`, checked on the source: inside `api/src` the layers
//! point one way (`views` ← `domain` ← `http` ← `cli`), `views` and `domain` never name
//! `actix_web` or `crate::http`, and no two modules of `api/src` or of `entity/src` import each
//! other, directly or round a longer cycle.
//!
//! The source is read as tokens (proc-macro2), so `use` trees, paths in code and `$crate` paths in
//! macros all count; a path is charged to the longest module it names.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    str::FromStr,
};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// What each top-level module of `api/src` may import from the crate (besides itself).
const LAYERS: &[(&str, &[&str])] = &[
    ("views", &[]),
    ("error", &["views"]),
    ("config", &[]),
    ("db", &["config"]),
    ("telemetry", &["config"]),
    ("domain", &["views", "error"]),
    ("http", &["views", "error", "domain", "config", "db", "telemetry"]),
    ("cli", &["views", "error", "domain", "http", "config", "db", "telemetry"]),
];

/// Layers that must know nothing of HTTP.
const HTTP_FREE: &[&str] = &["views", "domain"];

/// One source file: its module path (`http::routes::items`, empty for the crate root) and text.
struct Source {
    module: String,
    file: PathBuf,
    text: String,
}

fn sources(root: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    collect(root, &mut files);
    files
        .into_iter()
        .filter(|file| file.file_name().is_some_and(|name| name != "main.rs"))
        .map(|file| {
            let relative = file.strip_prefix(root).expect("below the root").with_extension("");
            let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|last| last == "mod" || last == "lib") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&file).expect("a readable source file");
            Source { module: parts.join("::"), file, text }
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The paths a file names that start at the crate root, as segment lists, with the module each
/// is named from (inline modules such as `mod tests` count as modules of their own).
#[derive(Default)]
struct Paths {
    found: Vec<(String, Vec<String>)>,
    /// Names a `use` brought into a module, and the full path each stands for.
    aliases: BTreeMap<(String, String), Vec<String>>,
    /// Paths whose first segment may be an alias, resolved once all `use`s are known.
    relative: Vec<(String, Vec<String>)>,
}

fn is_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!((tokens.get(i), tokens.get(i + 1)), (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':')
}

fn ident(token: Option<&TokenTree>) -> Option<String> {
    match token {
        Some(TokenTree::Ident(ident)) => Some(ident.to_string()),
        _ => None,
    }
}

/// The absolute path a path's first segments stand for, from `module`.
fn absolute(module: &str, first: &str) -> Option<Vec<String>> {
    let parts: Vec<String> =
        if module.is_empty() { Vec::new() } else { module.split("::").map(str::to_owned).collect() };
    match first {
        "crate" => Some(Vec::new()),
        "self" => Some(parts),
        "super" => Some(parts[..parts.len().saturating_sub(1)].to_vec()),
        _ => None,
    }
}

/// Reads a `use` tree in braces (`{a, b::{c, self}, d as e}`) below `prefix`.
fn use_tree(stream: TokenStream, prefix: &[String], module: &str, paths: &mut Paths) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    for branch in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        use_branch(branch, prefix.to_vec(), module, paths);
    }
}

fn use_branch(tokens: &[TokenTree], mut path: Vec<String>, module: &str, paths: &mut Paths) {
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Ident(name) if name == "self" && i == 0 => {}
            TokenTree::Ident(name) if name == "as" => {
                if let Some(alias) = ident(tokens.get(i + 1)) {
                    paths.aliases.insert((module.to_owned(), alias), path.clone());
                }
                paths.found.push((module.to_owned(), path));
                return;
            }
            TokenTree::Ident(name) => path.push(name.to_string()),
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                use_tree(group.stream(), &path, module, paths);
                return;
            }
            _ => {}
        }
        i += 1;
        while is_sep(tokens, i) {
            i += 2;
        }
    }
    if let Some(last) = path.last() {
        paths.aliases.insert((module.to_owned(), last.clone()), path.clone());
    }
    paths.found.push((module.to_owned(), path));
}

/// Walks a token stream, recording every path from the crate root (`crate::`, `$crate::`,
/// `super::`, `self::`, and `use` trees of them) and every other path, to resolve by alias.
fn walk(stream: TokenStream, module: &str, paths: &mut Paths) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        // `mod name { … }`: an inline module.
        if ident(tokens.get(i)).as_deref() == Some("mod")
            && let (Some(name), Some(TokenTree::Group(body))) = (ident(tokens.get(i + 1)), tokens.get(i + 2))
        {
            let inner = if module.is_empty() { name } else { format!("{module}::{name}") };
            walk(body.stream(), &inner, paths);
            i += 3;
            continue;
        }
        let is_use = ident(tokens.get(i)).as_deref() == Some("use");
        let start = if is_use { i + 1 } else { i };
        if let Some(first) = ident(tokens.get(start))
            && is_sep(&tokens, start + 1)
        {
            // A path: its segments up to the first non-segment.
            let mut segments = vec![first.clone()];
            let mut j = start + 1;
            let mut tree = None;
            while is_sep(&tokens, j) {
                match tokens.get(j + 2) {
                    Some(TokenTree::Ident(next)) => segments.push(next.to_string()),
                    Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                        tree = Some(group.stream())
                    }
                    _ => {}
                }
                j += 3;
                if tree.is_some() {
                    break;
                }
            }
            // `super::super::…` climbs one module per `super`.
            let root = absolute(module, &first).map(|mut root| {
                while segments.get(1).is_some_and(|s| s == "super") {
                    root.pop();
                    segments.remove(1);
                }
                root
            });
            match (root, tree) {
                (Some(root), Some(tree)) => {
                    let mut prefix = root;
                    prefix.extend(segments.into_iter().skip(1));
                    use_tree(tree, &prefix, module, paths);
                }
                (Some(root), None) => {
                    let mut path = root;
                    path.extend(segments.into_iter().skip(1));
                    if is_use {
                        use_branch(&[], path, module, paths);
                    } else {
                        paths.found.push((module.to_owned(), path));
                    }
                }
                (None, _) => paths.relative.push((module.to_owned(), segments)),
            }
            i = j;
            continue;
        }
        if let TokenTree::Group(group) = &tokens[i] {
            walk(group.stream(), module, paths);
        }
        i += 1;
    }
}

/// The module graph of a crate: which module imports which (by the longest module a path names).
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let mut paths = Paths::default();
    let mut modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    for source in sources {
        let stream = TokenStream::from_str(&source.text)
            .unwrap_or_else(|error| panic!("{} does not tokenize: {error}", source.file.display()));
        walk(stream, &source.module, &mut paths);
    }
    for (module, _) in &paths.found {
        modules.insert(module.clone());
    }
    let mut resolved: Vec<(String, Vec<String>)> = paths.found.clone();
    for (module, segments) in &paths.relative {
        // `name::rest` where a `use` in this module (or the file's module) brought `name` in.
        let mut scope = module.clone();
        loop {
            if let Some(target) = paths.aliases.get(&(scope.clone(), segments[0].clone())) {
                let mut path = target.clone();
                path.extend(segments.iter().skip(1).cloned());
                resolved.push((module.clone(), path));
                break;
            }
            match scope.rsplit_once("::") {
                Some((parent, _)) if module.starts_with("tests") || scope.ends_with("::tests") => {
                    scope = parent.to_owned()
                }
                _ => break,
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, path) in resolved {
        let owner = (0..=path.len()).rev().map(|n| path[..n].join("::")).find(|p| modules.contains(p));
        if let Some(to) = owner
            && to != from
            && !to.is_empty()
            && !from.starts_with(&format!("{to}::tests"))
            && !(from.ends_with("::tests") && from.starts_with(&to))
        {
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    edges
}

/// The strongly connected components with more than one module (Tarjan), each sorted.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, node: &str) {
            self.index.insert(node.to_owned(), self.next);
            self.low.insert(node.to_owned(), self.next);
            self.next += 1;
            self.stack.push(node.to_owned());
            self.on_stack.insert(node.to_owned());
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node.to_owned(), low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node.to_owned(), low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(&top);
                    let done = top == node;
                    component.push(top);
                    if done {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    let nodes: BTreeSet<String> = edges.iter().flat_map(|(from, to)| to.iter().chain([from])).cloned().collect();
    for node in &nodes {
        if !tarjan.index.contains_key(node) {
            tarjan.visit(node);
        }
    }
    tarjan.found
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Every import that breaks [`LAYERS`], as `from → to`.
fn layer_violations(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, targets) in edges {
        let layer = top(from);
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| *name == layer) else {
            wrong.push(format!("{from}: the top-level module `{layer}` has no place in LAYERS"));
            continue;
        };
        for to in targets {
            let target = top(to);
            if target != layer && !allowed.contains(&target) {
                wrong.push(format!("{from} → {to} (`{layer}` may use {allowed:?})"));
            }
        }
    }
    wrong
}

/// Files of the HTTP-free layers that name actix-web or the HTTP layer.
fn http_mentions(sources: &[Source]) -> Vec<String> {
    sources
        .iter()
        .filter(|s| HTTP_FREE.contains(&top(&s.module)))
        .filter(|s| s.text.contains("actix_web") || s.text.contains("crate::http"))
        .map(|s| s.file.display().to_string())
        .collect()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn api_layers_point_one_way() {
    let sources = sources(&workspace().join("api/src"));
    assert!(sources.len() > 40, "the sources were found ({} files)", sources.len());
    let edges = graph(&sources);
    let violations = layer_violations(&edges);
    assert!(violations.is_empty(), "imports against the layering of ARCHITECTURE.md:\n{}", violations.join("\n"));
    let mentions = http_mentions(&sources);
    assert!(mentions.is_empty(), "views and domain must know no HTTP, but these name it: {mentions:?}");
}

#[test]
fn api_modules_import_no_cycle() {
    let edges = graph(&sources(&workspace().join("api/src")));
    let found = cycles(&edges);
    assert!(found.is_empty(), "modules that import each other: {found:#?}");
}

#[test]
fn entity_modules_import_no_cycle() {
    let edges = graph(&sources(&workspace().join("entity/src")));
    let found = cycles(&edges);
    assert!(found.is_empty(), "entities that import each other: {found:#?}");
}

fn planted(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(module, text)| Source {
            module: (*module).to_owned(),
            file: PathBuf::from(module),
            text: (*text).to_owned(),
        })
        .collect()
}

#[test]
fn the_checker_finds_planted_violations() {
    let sources = planted(&[
        ("", "pub mod views; pub mod domain; pub mod http;"),
        ("views", "pub mod items;"),
        ("views::items", "use crate::{domain::items::Records, views::page};"),
        ("views::page", "pub struct Page;"),
        ("domain", "pub mod items;"),
        ("domain::items", "use super::super::views::items::Out; fn f() { $crate::http::state::AppState::new(); }"),
        ("http", "pub mod state;"),
        ("http::state", "pub struct AppState;"),
    ]);
    let edges = graph(&sources);
    assert_eq!(
        layer_violations(&edges),
        [
            "domain::items → http::state (`domain` may use [\"views\", \"error\"])",
            "views::items → domain::items (`views` may use [])",
        ]
    );
    assert_eq!(cycles(&edges), [vec!["domain::items".to_owned(), "views::items".to_owned()]]);
}

#[test]
fn the_checker_resolves_aliases_and_ignores_tests() {
    let sources = planted(&[
        ("a", "use crate::b; fn f() { b::g(); }"),
        ("b", "fn g() {} #[cfg(test)] mod tests { use super::*; use crate::a; }"),
        ("c", "use crate::d as other; fn f() { other::h(); }"),
        ("d", "use crate::c::{self}; fn h() { c::f(); }"),
    ]);
    let edges = graph(&sources);
    assert_eq!(cycles(&edges), [vec!["c".to_owned(), "d".to_owned()]], "{edges:?}");
}
