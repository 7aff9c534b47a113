//! Embeds every CloudFormation template in `assets/templates/` so that adding an integration is a
//! data change: a new template file is picked up without touching Rust code.
use std::{env, fmt::Write as _, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dir = manifest.join("assets").join("templates");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("assets/templates exists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    let mut code = String::from("pub(crate) static TEMPLATES: &[(&str, &str)] = &[\n");
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
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("templates.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}
