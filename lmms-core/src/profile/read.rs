//! Reading a heat profile, from text or from a file, without trusting either.
//!
//! - A file must be a regular file: it is opened without blocking (`O_NONBLOCK`, so a FIFO
//!   with no writer cannot hang the start) and checked on the open handle; a device
//!   (`/dev/zero`, `/dev/urandom`), FIFO, socket or directory is refused.
//! - Its size is checked against [`HEAT_PROFILE_MAX_BYTES`] before anything is read, and
//!   the read stops one byte past it whatever the size said (a file that grew, or one
//!   that reports no size).
//! - The JSON is streamed: entries are checked one by one as they are read, each held as
//!   a small JSON value only while it is converted, so neither the text nor a tree of the
//!   whole document is ever held; garbage after a valid prefix stops the read where it is.

use super::{HeatProfile, ModuleHeat, HEAT_PROFILE_VERSION};
use serde_core::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;
use std::fmt;
use std::io::Read;

/// The largest heat profile read, in bytes (a file, or the inline value of
/// `LMMS_HEAT_PROFILE`): 1 MiB. A profile's entry takes about 150 bytes, so this holds
/// thousands of modules; anything larger is refused before it is read.
pub const HEAT_PROFILE_MAX_BYTES: u64 = 1 << 20;

/// A profile from inline JSON text.
pub(super) fn parse_str(text: &str) -> Result<HeatProfile, String> {
    let mut text = text.as_bytes();
    finish(Source(&mut |buf| text.read(buf)))
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
    let mut reader = std::io::BufReader::new(Capped {
        inner: file,
        read: 0,
        left: cap.saturating_add(1),
    });
    let parsed = finish(Source(&mut |buf| reader.read(buf)));
    if reader.get_ref().read > cap {
        return Err(too_large("more bytes than its size said", cap));
    }
    parsed
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

/// Reads at most `left` bytes from `inner`, counting what it read.
struct Capped<R> {
    inner: R,
    read: u64,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        self.read = self.read.saturating_add(n as u64);
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

/// What the parser reads from, text or file alike: one `read` function behind a pointer,
/// so the release build compiles one copy of serde_json's parser and of [`ProfileVisitor`]
/// (not one per source), and no other `Read` method (a `dyn Read` would need them all).
/// A profile is read once, at start, and is small.
struct Source<'a>(&'a mut dyn FnMut(&mut [u8]) -> std::io::Result<usize>);

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        (self.0)(buf)
    }
}

/// Parses one profile and checks nothing follows it.
fn finish(source: Source<'_>) -> Result<HeatProfile, String> {
    let mut de = serde_json::Deserializer::from_reader(source);
    let profile = (&mut de)
        .deserialize_any(ProfileVisitor)
        .map_err(describe)?;
    de.end().map_err(describe)?;
    Ok(profile)
}

fn describe(e: serde_json::Error) -> String {
    if e.is_data() {
        e.to_string()
    } else if e.is_io() {
        format!("cannot read the heat profile file: {e}")
    } else {
        format!("not valid JSON: {e}")
    }
}

fn shape() -> String {
    format!("a JSON object {{\"version\": {HEAT_PROFILE_VERSION}, \"modules\": [..]}}")
}

const MODULES_SHAPE: &str = "`modules` must be an array of {\"module\", \"calls_in_window\", ..}";

/// The top-level object. `version` is checked as soon as it is read; the other problems
/// are reported after it, so a profile of another version says so, whatever else differs.
struct ProfileVisitor;

impl<'de> Visitor<'de> for ProfileVisitor {
    type Value = HeatProfile;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&shape())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeatProfile, A::Error> {
        let fail = |msg: String| de::Error::custom(msg);
        let mut version = None;
        let mut heat_window_s = None;
        let mut modules: Option<Result<Vec<ModuleHeat>, String>> = None;
        let mut unknown = None;
        while let Some(key) = map.next_key::<String>()? {
            let twice = match key.as_str() {
                "version" => {
                    let v: Value = map.next_value()?;
                    let n = v.as_u64().ok_or_else(|| {
                        fail(format!("`version` must be a whole number, got {v}"))
                    })?;
                    if n != HEAT_PROFILE_VERSION {
                        return Err(fail(format!(
                            "version {n} is not supported (this build reads version {HEAT_PROFILE_VERSION})"
                        )));
                    }
                    version.replace(n).is_some()
                }
                "heat_window_s" => {
                    let n = match map.next_value()? {
                        Value::Null => Ok(0),
                        v => count(&v, "`heat_window_s`"),
                    };
                    heat_window_s.replace(n).is_some()
                }
                "modules" => {
                    let seed = ModulesSeed {
                        fail_fast: version.is_some(),
                    };
                    let entries = map.next_value_seed(seed)?;
                    modules.replace(entries).is_some()
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    unknown.get_or_insert(key.clone());
                    false
                }
            };
            if twice {
                return Err(fail(format!("the profile has the field `{key}` twice")));
            }
        }
        if version.is_none() {
            return Err(fail(format!(
                "no `version` field: not a heat profile (expected {})",
                shape()
            )));
        }
        if let Some(k) = unknown {
            return Err(fail(format!(
                "the profile has an unknown field `{k}` (known: version, heat_window_s, modules)"
            )));
        }
        let heat_window_s = heat_window_s.unwrap_or(Ok(0)).map_err(fail)?;
        let modules = match modules {
            None => Err(MODULES_SHAPE.to_string()),
            Some(entries) => entries,
        }
        .map_err(fail)?;
        if let Some(name) = listed_twice(&modules) {
            return Err(fail(format!("module {name:?} is listed twice")));
        }
        let profile = HeatProfile::new(heat_window_s, modules);
        profile.check_sums().map_err(fail)?;
        Ok(profile)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<HeatProfile, A::Error> {
        Err(de::Error::custom(format!(
            "must be {}, got an array",
            shape()
        )))
    }
}

/// The first name (in name order) listed twice, comparing borrowed names: no copies.
fn listed_twice(modules: &[ModuleHeat]) -> Option<&str> {
    let mut names: Vec<&str> = modules.iter().map(|m| m.module.as_str()).collect();
    crate::order::sort_by(&mut names, |a, b| a.cmp(b));
    names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

/// The `modules` array, checked entry by entry as it is read. With `fail_fast` (the
/// version is known good) the first bad entry stops the read; before the version is known,
/// the first bad entry is kept and the rest skipped, so an unsupported version read later
/// is still what is reported.
struct ModulesSeed {
    fail_fast: bool,
}

impl<'de> DeserializeSeed<'de> for ModulesSeed {
    type Value = Result<Vec<ModuleHeat>, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ModulesSeed {
    type Value = Result<Vec<ModuleHeat>, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(MODULES_SHAPE)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut modules = Vec::new();
        let mut i = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            match module_entry(i, &item) {
                Ok(m) => modules.push(m),
                Err(e) if self.fail_fast => return Err(de::Error::custom(e)),
                Err(e) => {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(Err(e));
                }
            }
            i += 1;
        }
        Ok(Ok(modules))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(MODULES_SHAPE.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err(MODULES_SHAPE.to_string()))
    }
}

fn module_entry(i: usize, item: &Value) -> Result<ModuleHeat, String> {
    let Value::Object(entry) = item else {
        return Err(format!("modules[{i}] must be an object, got {item}"));
    };
    let module = match entry.get("module") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        other => {
            return Err(format!(
                "modules[{i}]: `module` must be a non-empty string, got {}",
                other.map_or("nothing".to_string(), Value::to_string)
            ))
        }
    };
    let at = format!("module {module:?}");
    const KNOWN: [&str; 5] = [
        "module",
        "calls_in_window",
        "build_ns",
        "bytes",
        "rss_growth_bytes",
    ];
    if let Some(k) = entry.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!(
            "{at} has an unknown field `{k}` (known: {})",
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
    v.as_u64()
        .ok_or_else(|| format!("{what} must be a non-negative whole number, got {v}"))
}
