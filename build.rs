//! Embeds every CloudFormation template in `assets/templates/`, every code snippet in
//! `assets/snippets/` and every starter function in `assets/starter/` so that adding an integration is a data change: a new file is picked up
//! without touching Rust code.
use std::{env, fmt::Write as _, fs, path::PathBuf};

fn embed(
    manifest: &std::path::Path,
    folder: &str,
    extension: &str,
    table: &str,
    code: &mut String,
) {
    let dir = manifest.join("assets").join(folder);
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|_| panic!("assets/{folder} exists"))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(extension))
        .collect();
    names.sort();
    writeln!(code, "pub(crate) static {table}: &[(&str, &str)] = &[").expect("writing to a String");
    for name in names {
        let path = dir.join(&name);
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
}

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let mut templates = String::new();
    embed(&manifest, "templates", ".json", "TEMPLATES", &mut templates);
    fs::write(out.join("templates.rs"), templates).expect("OUT_DIR is writable");
    let mut snippets = String::new();
    embed(&manifest, "snippets", ".js", "SNIPPETS", &mut snippets);
    fs::write(out.join("snippets.rs"), snippets).expect("OUT_DIR is writable");
    let mut starters = String::new();
    embed(&manifest, "starter", ".py", "STARTERS", &mut starters);
    fs::write(out.join("starters.rs"), starters).expect("OUT_DIR is writable");
}
