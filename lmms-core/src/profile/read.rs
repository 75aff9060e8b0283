//! Reading a heat profile, from text or from a file, without trusting either.
//!
//! - A file must be a regular file: it is opened without blocking (`O_NONBLOCK`, so a FIFO
//!   with no writer cannot hang the start) and checked on the open handle; a device
//!   (`/dev/zero`, `/dev/urandom`), FIFO, socket or directory is refused.
//! - Its size is checked against [`HEAT_PROFILE_MAX_BYTES`] before anything is read, and
//!   the read stops one byte past it whatever the size said (a file that grew, or one
//!   that reports no size).
//! - The text is parsed by `serde_json`'s own (non-generic) `Value` parser and then
//!   checked field by field, so the parser is compiled once, in `serde_json`, not again in
//!   every application. Text and tree are held together only while the profile is read,
//!   once, at start: a few kilobytes for a real profile, within the limit above at most.

use super::{HeatProfile, ModuleHeat, HEAT_PROFILE_VERSION};
use serde_json::Value;
use std::io::Read;

/// The largest heat profile read, in bytes (a file, or the inline value of
/// `LMMS_HEAT_PROFILE`): 1 MiB. A profile's entry takes about 150 bytes, so this holds
/// thousands of modules; anything larger is refused before it is read.
pub const HEAT_PROFILE_MAX_BYTES: u64 = 1 << 20;

/// A profile from inline JSON text.
pub(super) fn parse_str(text: &str) -> Result<HeatProfile, String> {
    let tree: Value = text.parse().map_err(|e| format!("not valid JSON: {e}"))?;
    profile(&tree)
}

/// A profile from the file at `path`, read under `cap` bytes. The error starts with what
/// was wrong (to follow `=<path>: `).
pub(super) fn parse_file(path: &str, cap: u64) -> Result<HeatProfile, String> {
    let file = open_regular(path)?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read the heat profile file: {e}"))?
        .len();
    if len > cap {
        return Err(too_large(&format!("{len} bytes"), cap));
    }
    // One byte past the limit, whatever the size said: a file that grew, or one that
    // reports no size (procfs), is cut off there.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the heat profile file: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(too_large("more bytes than its size said", cap));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| format!("not valid JSON: the file is not UTF-8 text ({e})"))?;
    parse_str(text)
}

fn too_large(size: &str, cap: u64) -> String {
    format!(
        "the heat profile file has {size}, past the {cap}-byte limit \
         (lmms::HEAT_PROFILE_MAX_BYTES): not a heat profile"
    )
}

/// Opens `path` for reading if it is a regular file. Without blocking: opening a FIFO
/// with no writer would wait forever; with `O_NONBLOCK` it returns at once, and the check
/// on the handle refuses it (as it refuses devices, sockets and directories).
fn open_regular(path: &str) -> Result<std::fs::File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options
        .open(path)
        .map_err(|e| format!("cannot read the heat profile file: {e}"))?;
    let kind = file
        .metadata()
        .map_err(|e| format!("cannot read the heat profile file: {e}"))?
        .file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(format!(
        "not a regular file (a {}): a heat profile is read from a regular file only",
        kind_name(kind)
    ))
}

fn kind_name(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "FIFO";
        } else if kind.is_char_device() {
            return "character device";
        } else if kind.is_block_device() {
            return "block device";
        } else if kind.is_socket() {
            return "socket";
        }
    }
    if kind.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

fn shape() -> String {
    format!("a JSON object {{\"version\": {HEAT_PROFILE_VERSION}, \"modules\": [..]}}")
}

const MODULES_SHAPE: &str = "`modules` must be an array of {\"module\", \"calls_in_window\", ..}";

/// The profile a parsed document holds. The version is checked first, so a profile of
/// another version says so, whatever else differs.
fn profile(tree: &Value) -> Result<HeatProfile, String> {
    let Value::Object(fields) = tree else {
        return Err(format!(
            "must be {}, got {}",
            shape(),
            crate::args::kind(tree)
        ));
    };
    let Some(version) = fields.get("version") else {
        return Err(format!(
            "no `version` field: not a heat profile (expected {})",
            shape()
        ));
    };
    let n = version
        .as_u64()
        .ok_or_else(|| format!("`version` must be a whole number, got {}", shown(version)))?;
    if n != HEAT_PROFILE_VERSION {
        return Err(format!(
            "version {n} is not supported (this build reads version {HEAT_PROFILE_VERSION})"
        ));
    }
    const KNOWN: [&str; 3] = ["version", "heat_window_s", "modules"];
    if let Some(k) = fields.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!(
            "the profile has an unknown field `{}` (known: {})",
            cut(k),
            KNOWN.join(", ")
        ));
    }
    let heat_window_s = match fields.get("heat_window_s") {
        None | Some(Value::Null) => 0,
        Some(v) => count(v, "`heat_window_s`")?,
    };
    let Some(Value::Array(entries)) = fields.get("modules") else {
        return Err(MODULES_SHAPE.to_string());
    };
    let modules = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| module_entry(i, entry))
        .collect::<Result<Vec<_>, _>>()?;
    let profile = HeatProfile::new(heat_window_s, modules);
    profile.check()?;
    Ok(profile)
}

fn module_entry(i: usize, item: &Value) -> Result<ModuleHeat, String> {
    let Value::Object(entry) = item else {
        return Err(format!(
            "modules[{i}] must be an object, got {}",
            shown(item)
        ));
    };
    let module = match entry.get("module") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        other => {
            return Err(format!(
                "modules[{i}]: `module` must be a non-empty string, got {}",
                other.map_or("nothing".to_string(), shown)
            ))
        }
    };
    let at = format!("module {}", cut(&format!("{module:?}")));
    const KNOWN: [&str; 5] = [
        "module",
        "calls_in_window",
        "build_ns",
        "bytes",
        "rss_growth_bytes",
    ];
    if let Some(k) = entry.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!(
            "{at} has an unknown field `{}` (known: {})",
            cut(k),
            KNOWN.join(", ")
        ));
    }
    let calls = entry
        .get("calls_in_window")
        .ok_or_else(|| format!("{at}: `calls_in_window` is missing"))?;
    let optional = |field: &str| match entry.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => count(v, &format!("{at}: `{field}`")).map(Some),
    };
    Ok(ModuleHeat {
        calls_in_window: count(calls, &format!("{at}: `calls_in_window`"))?,
        build_ns: optional("build_ns")?,
        bytes: optional("bytes")?,
        rss_growth_bytes: optional("rss_growth_bytes")?,
        module,
    })
}

fn count(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| {
        format!(
            "{what} must be a non-negative whole number, got {}",
            shown(v)
        )
    })
}

/// The most of a value, name or key an error quotes, in bytes.
const QUOTED_MAX: usize = 64;

/// `v` as JSON, cut short by [`cut`].
fn shown(v: &Value) -> String {
    cut(&v.to_string())
}

/// `text`, or its first [`QUOTED_MAX`] bytes (at a character boundary) and how long it
/// was: a profile's error becomes the gateway's fault, returned by every call, so it must
/// not carry a hostile profile's megabyte of text.
pub(super) fn cut(text: &str) -> String {
    if text.len() <= QUOTED_MAX {
        return text.to_string();
    }
    let mut end = QUOTED_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}
