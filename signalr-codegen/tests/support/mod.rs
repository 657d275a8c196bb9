//! What the generator tests share: paths in the repository and golden files.

use std::path::{Path, PathBuf};

/// A path relative to the repository's root.
pub(crate) fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Compares `text` with the golden file, or rewrites it under `UPDATE_GOLDEN=1`.
pub(crate) fn golden(rel: &str, text: &str) {
    let path = repo(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{rel}: {e} (UPDATE_GOLDEN=1 writes it)"));
    if on_disk != text {
        let line = on_disk
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| on_disk.lines().count().min(text.lines().count()));
        panic!(
            "{rel} differs from the generator's output at line {} (UPDATE_GOLDEN=1 rewrites it):\n  golden:    {:?}\n  generated: {:?}",
            line + 1,
            on_disk.lines().nth(line),
            text.lines().nth(line)
        );
    }
}
