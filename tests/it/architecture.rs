//! The layers guarded: every source file under `src/` is read as Rust (syn), its imports resolved
//! to the files they name, and the test fails on an import circle between files, on a layer
//! importing one above it (`model` imports only `model`; `aws` and `segment` only `model`; `engine`
//! never `ui`), on one face importing another (`ui/cli`, `ui/plain`, `ui/tui`), on a file without
//! a module doc (`//!`), and on a file longer than [`MAX_LINES`].
//!
//! An import is any path that names a module of this crate: `use` trees, and paths in code and
//! types (`crate::…`, `super::…`, `self::…`, a child module's name). Paths inside macro calls are
//! tokens to syn and are not seen; `format!` and `assert!` hold none that matter.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// No source file passes this (its tests included): past it a file holds more than one concern.
const MAX_LINES: usize = 800;

/// A module path from the crate root: `["ui", "cli", "create"]`.
type ModPath = Vec<String>;

struct Source {
    file: PathBuf,
    module: ModPath,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("can't list {}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(&root).expect("under src");
                let mut module: ModPath = relative
                    .iter()
                    .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
                    .collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                    module.pop();
                }
                if module == ["main"] {
                    // The binary: `segment_aws_setup::…` is the library's root.
                    module = vec!["<main>".to_string()];
                }
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("can't read {}: {error}", path.display()));
                found.push(Source {
                    file: relative.to_path_buf(),
                    module,
                    text,
                });
            }
        }
    }
    found.sort_by(|a, b| a.file.cmp(&b.file));
    found
}

/// Collects the module paths a file names, resolved from the crate root.
struct Imports<'a> {
    /// The module the code being visited is in (the file's, plus inline modules).
    here: ModPath,
    modules: &'a BTreeSet<ModPath>,
    named: BTreeSet<ModPath>,
    /// What `#[cfg(test)]` code names: held to the layers, not to the circles (a command's test
    /// parses a whole command line through the dispatcher above it).
    named_in_tests: BTreeSet<ModPath>,
    /// Inside a `#[cfg(test)]` item.
    in_tests: bool,
}

impl Imports<'_> {
    /// The absolute path `segments` names from `here`, if it names this crate at all.
    fn resolve(&self, segments: &[String]) -> Option<ModPath> {
        let first = segments.first()?;
        let (mut base, rest): (ModPath, &[String]) = match first.as_str() {
            "crate" | "segment_aws_setup" => (Vec::new(), &segments[1..]),
            "self" => (self.here.clone(), &segments[1..]),
            "super" => {
                let mut base = self.here.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                (base, rest)
            }
            _ => {
                // A child module of this one, named without `self::`.
                let mut child = self.here.clone();
                child.push(first.clone());
                if !self.modules.contains(&child) {
                    return None;
                }
                (self.here.clone(), segments)
            }
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn name(&mut self, segments: &[String]) {
        if let Some(path) = self.resolve(segments) {
            if self.in_tests {
                self.named_in_tests.insert(path);
            } else {
                self.named.insert(path);
            }
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                if name.ident == "self" {
                    self.name(prefix);
                } else {
                    prefix.push(name.ident.to_string());
                    self.name(prefix);
                    prefix.pop();
                }
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                self.name(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.name(prefix),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Imports<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let was = self.in_tests;
        self.in_tests |= is_test_only(item);
        syn::visit::visit_item(self, item);
        self.in_tests = was;
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.here.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.here.pop();
    }

    // `pub(crate)` and `pub(super)` say who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 || segments.first().is_some_and(|s| s == "crate") {
            self.name(&segments);
        }
        syn::visit::visit_path(self, path);
    }
}

/// `#[cfg(test)]` on an item.
fn is_test_only(item: &syn::Item) -> bool {
    let attrs = match item {
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::Mod(item) => &item.attrs,
        syn::Item::Use(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Const(item) => &item.attrs,
        _ => return false,
    };
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

/// The file a module path lands in: the longest prefix that is a file's module.
fn file_of<'a>(path: &ModPath, files: &'a BTreeMap<ModPath, PathBuf>) -> Option<&'a PathBuf> {
    (0..=path.len())
        .rev()
        .find_map(|len| files.get(&path[..len].to_vec()))
}

struct Graph {
    /// file -> the files its code imports (never itself).
    edges: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    /// file -> the files its code and its tests import.
    with_tests: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

fn graph() -> Graph {
    let sources = sources();
    let files: BTreeMap<ModPath, PathBuf> = sources
        .iter()
        .filter(|s| s.module != ["<main>"])
        .map(|s| (s.module.clone(), s.file.clone()))
        .collect();
    let mut modules: BTreeSet<ModPath> = files.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    let mut with_tests = BTreeMap::new();
    for source in &sources {
        let parsed = syn::parse_file(&source.text)
            .unwrap_or_else(|error| panic!("{} doesn't parse: {error}", source.file.display()));
        // Inline modules (`mod tests { … }`) are modules too, for `self::` and child names.
        collect_inline(&parsed.items, &source.module, &mut modules);
        let mut imports = Imports {
            here: if source.module == ["<main>"] {
                Vec::new()
            } else {
                source.module.clone()
            },
            modules: &modules,
            named: BTreeSet::new(),
            named_in_tests: BTreeSet::new(),
            in_tests: false,
        };
        imports.visit_file(&parsed);
        let files_of = |paths: &mut dyn Iterator<Item = &ModPath>| -> BTreeSet<PathBuf> {
            paths
                .filter_map(|path| file_of(path, &files))
                .filter(|file| **file != source.file)
                .cloned()
                .collect()
        };
        edges.insert(source.file.clone(), files_of(&mut imports.named.iter()));
        with_tests.insert(
            source.file.clone(),
            files_of(&mut imports.named.iter().chain(&imports.named_in_tests)),
        );
    }
    Graph { edges, with_tests }
}

fn collect_inline(items: &[syn::Item], here: &ModPath, modules: &mut BTreeSet<ModPath>) {
    for item in items {
        if let syn::Item::Mod(module) = item {
            let mut path = here.clone();
            path.push(module.ident.to_string());
            if let Some((_, items)) = &module.content {
                collect_inline(items, &path, modules);
            }
            modules.insert(path);
        }
    }
}

/// Strongly connected components of more than one file (Tarjan's algorithm).
fn circles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a PathBuf) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.clone());
                    if member == node {
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
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.found
}

/// The layer (and for `ui`, the face) a file belongs to.
fn layer(file: &Path) -> String {
    let parts: Vec<String> = file
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.as_slice() {
        [first, face, ..] if first == "ui" && ["cli", "plain", "tui"].contains(&face.as_str()) => {
            format!("ui/{face}")
        }
        [first, ..] => first.clone(),
        [] => String::new(),
    }
}

/// What each layer may import besides itself.
fn allowed(from: &str, to: &str) -> bool {
    let faces = ["ui/cli", "ui/plain", "ui/tui"];
    match from {
        "model" => false,
        // Segment's Public API sits beside AWS: both speak to a service, below the engine.
        "aws" | "segment" => to == "model",
        "engine" => matches!(to, "model" | "aws" | "segment"),
        face if faces.contains(&face) => {
            matches!(to, "model" | "aws" | "segment" | "engine" | "ui")
        }
        // ui/mod.rs and its shared files: the faces' common ground, and the dispatch to them.
        "ui" => !to.starts_with("lib") && to != "main",
        // The crate root and the binary sit on top.
        _ => true,
    }
}

#[test]
fn no_import_circles_between_files() {
    let graph = graph();
    let found = circles(&graph.edges);
    let described: Vec<String> = found
        .iter()
        .map(|component| {
            let members: BTreeSet<&PathBuf> = component.iter().collect();
            let inside: Vec<String> = component
                .iter()
                .flat_map(|from| {
                    graph.edges[from]
                        .iter()
                        .filter(|to| members.contains(to))
                        .map(move |to| format!("{} -> {}", from.display(), to.display()))
                })
                .collect();
            inside.join(", ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "{} import circle(s) between files in src/: {}",
        found.len(),
        described.join(" | ")
    );
    // The walk saw the crate: every layer's files, and their imports.
    assert!(
        graph.edges.len() > 40,
        "only {} files read",
        graph.edges.len()
    );
    assert!(graph.edges.values().map(BTreeSet::len).sum::<usize>() > 100);
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (from, targets) in &graph.with_tests {
        let from_layer = layer(from);
        for to in targets {
            let to_layer = layer(to);
            if to_layer != from_layer && !allowed(&from_layer, &to_layer) {
                wrong.push(format!("{} -> {}", from.display(), to.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers (model < aws < engine < ui; faces apart): {}",
        wrong.join(", ")
    );
}

#[test]
fn the_rules_catch_what_they_guard() {
    // A circle of three files, and one of two, are found; a chain is not.
    let edge = |pairs: &[(&str, &str)]| {
        let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
        for (from, to) in pairs {
            edges
                .entry(PathBuf::from(from))
                .or_default()
                .insert(PathBuf::from(to));
            edges.entry(PathBuf::from(to)).or_default();
        }
        edges
    };
    assert_eq!(
        circles(&edge(&[("a", "b"), ("b", "c"), ("c", "a")])).len(),
        1
    );
    assert_eq!(
        circles(&edge(&[("a", "b"), ("b", "a"), ("c", "a")]))[0].len(),
        2
    );
    assert!(circles(&edge(&[("a", "b"), ("b", "c")])).is_empty());
    assert_eq!(layer(Path::new("ui/cli/create.rs")), "ui/cli");
    assert_eq!(layer(Path::new("ui/mod.rs")), "ui");
    assert_eq!(layer(Path::new("ui/plain.rs")), "ui/plain");
    assert_eq!(layer(Path::new("ui/words.rs")), "ui");
    assert_eq!(layer(Path::new("model/plan.rs")), "model");
    assert!(!allowed("model", "aws"));
    assert!(!allowed("engine", "ui/tui"));
    assert!(!allowed("ui/plain", "ui/cli"));
    assert!(allowed("ui/tui", "engine"));
}

#[test]
fn every_source_file_has_a_module_doc() {
    let mut undocumented = Vec::new();
    for source in sources() {
        let parsed = syn::parse_file(&source.text).expect("parses");
        let documented = parsed.attrs.iter().any(|attr| {
            matches!(attr.style, syn::AttrStyle::Inner(_)) && attr.path().is_ident("doc")
        });
        if !documented {
            undocumented.push(source.file.display().to_string());
        }
    }
    assert!(
        undocumented.is_empty(),
        "source files without a module doc (//!): {}",
        undocumented.join(", ")
    );
}

#[test]
fn no_source_file_passes_the_line_limit() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|source| source.text.lines().count() > MAX_LINES)
        .map(|source| {
            format!(
                "{} ({} lines)",
                source.file.display(),
                source.text.lines().count()
            )
        })
        .collect();
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines (split them by concern): {}",
        long.join(", ")
    );
}
