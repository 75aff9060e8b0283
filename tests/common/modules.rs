//! A module's introspection by name, shared by the tests that check residency.

/// The gateway's [`lmms::ModuleInfo`] of module `name` (panics if there is none: a test
/// names only its own modules).
pub fn module(name: &str) -> lmms::ModuleInfo {
    lmms::gateway()
        .modules()
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no module {name:?}"))
}
