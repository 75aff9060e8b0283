//! A newcomer's first build: a fresh crate outside this workspace, made with `cargo new`,
//! that depends on lmms by the README's `[dependencies]` lines and holds the README's
//! example verbatim as its `main.rs`, is built and run with cargo, as a user would.
//!
//! The README says `lmms = { path = "../lmms" }`, so the crate is made in a scratch
//! directory next to a link named `lmms` that points at this repository. It builds into
//! `target/newcomer` (kept between runs, so only the first run compiles its dependencies),
//! with this workspace's `Cargo.lock` as its starting point: the test checks our lines and
//! our example, not the registry's newest releases.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The body of the first fenced block in `markdown` whose info string is `lang`.
fn fenced_block(markdown: &str, lang: &str) -> String {
    let mut lines = markdown.lines();
    let open = format!("```{lang}");
    lines
        .by_ref()
        .find(|l| l.trim_end() == open)
        .unwrap_or_else(|| panic!("the README has no ```{lang} block"));
    let body: Vec<&str> = lines.take_while(|l| l.trim_end() != "```").collect();
    body.join("\n") + "\n"
}

fn cargo(dir: &Path, args: &[&str], target: &Path) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("run cargo")
}

fn check(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch directory removed on drop (also when an assertion fails).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_readme_dependency_lines_and_example_build_and_run_in_a_fresh_crate() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).expect("README.md");
    let deps = fenced_block(&readme, "toml");
    let example = fenced_block(&readme, "rust");
    assert!(
        deps.lines().next() == Some("[dependencies]") && deps.contains("lmms = "),
        "the README's toml block starts with [dependencies] and names lmms:\n{deps}"
    );

    let scratch =
        Scratch(std::env::temp_dir().join(format!("lmms-newcomer-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&scratch.0);
    std::fs::create_dir_all(&scratch.0).expect("scratch directory");
    std::os::unix::fs::symlink(repo, scratch.0.join("lmms")).expect("link ../lmms");
    let target = repo.join("target").join("newcomer");

    check(
        "cargo new",
        &cargo(
            &scratch.0,
            &["new", "--bin", "--vcs", "none", "--quiet", "app"],
            &target,
        ),
    );
    let app = scratch.0.join("app");
    let manifest_path = app.join("Cargo.toml");
    let mut manifest = std::fs::read_to_string(&manifest_path).expect("the new crate's Cargo.toml");
    assert!(
        manifest.trim_end().ends_with("[dependencies]"),
        "cargo new ends its manifest with an empty [dependencies] table:\n{manifest}"
    );
    manifest.push_str(deps.strip_prefix("[dependencies]\n").expect("header"));
    std::fs::write(&manifest_path, manifest).expect("write Cargo.toml");
    std::fs::write(app.join("src").join("main.rs"), &example).expect("write main.rs");
    std::fs::copy(repo.join("Cargo.lock"), app.join("Cargo.lock")).expect("seed Cargo.lock");

    let run = cargo(&app, &["run", "--quiet"], &target);
    check("cargo run of the README's example", &run);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "typed call, call by name, stats line:\n{stdout}"
    );
    assert_eq!(lines[0], "4.5 °C", "the typed call");
    assert_eq!(lines[1], "\"4.5 °C\"", "the call by name returns JSON");
    assert!(
        lines[2].starts_with("[LMMS_STATS] {"),
        "the stats line: {}",
        lines[2]
    );
}
