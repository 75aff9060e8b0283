//! Reading a [`Trace`] back (`Deserialize`), as `#[derive(Deserialize)]` reads a struct:
//! from a map (unknown keys skipped, a repeated or missing field an error naming it, a
//! missing `init` none) or from a sequence of its fields in order.

use super::{Trace, TracedInvocation};
use serde_core::de::{
    Deserialize, DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::fmt;
use std::time::Duration;

const TRACE_FIELDS: &[&str] = &["init", "invocations"];
const INVOCATION_FIELDS: &[&str] = &["peak_bytes", "cpu", "wait", "rebuilds"];

impl<'de> Deserialize<'de> for Trace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("Trace", TRACE_FIELDS, TraceVisitor)
    }
}

impl<'de> Deserialize<'de> for TracedInvocation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("TracedInvocation", INVOCATION_FIELDS, InvocationVisitor)
    }
}

/// The next element of a sequence, or an error naming how many the struct has.
fn element<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    index: usize,
    expected: &'static str,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| A::Error::invalid_length(index, &expected))
}

/// Stores a map's value in `slot`, unless the field came before.
fn once<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

struct TraceVisitor;

impl<'de> Visitor<'de> for TraceVisitor {
    type Value = Trace;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Trace")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Trace, A::Error> {
        const EXPECTED: &str = "struct Trace with 2 elements";
        Ok(Trace {
            init: element(&mut seq, 0, EXPECTED)?,
            invocations: element(&mut seq, 1, EXPECTED)?,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Trace, A::Error> {
        let mut init: Option<Option<TracedInvocation>> = None;
        let mut invocations = None;
        while let Some(field) = map.next_key_seed(FieldIndex(TRACE_FIELDS))? {
            match field {
                Some(0) => once(&mut map, &mut init, "init")?,
                Some(_) => once(&mut map, &mut invocations, "invocations")?,
                None => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        Ok(Trace {
            init: init.flatten(),
            invocations: invocations.ok_or_else(|| A::Error::missing_field("invocations"))?,
        })
    }
}

struct InvocationVisitor;

impl<'de> Visitor<'de> for InvocationVisitor {
    type Value = TracedInvocation;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct TracedInvocation")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TracedInvocation, A::Error> {
        const EXPECTED: &str = "struct TracedInvocation with 4 elements";
        Ok(TracedInvocation {
            peak_bytes: element(&mut seq, 0, EXPECTED)?,
            cpu: element(&mut seq, 1, EXPECTED)?,
            wait: element(&mut seq, 2, EXPECTED)?,
            rebuilds: element(&mut seq, 3, EXPECTED)?,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TracedInvocation, A::Error> {
        let mut peak_bytes: Option<u64> = None;
        let mut cpu: Option<Duration> = None;
        let mut wait: Option<Duration> = None;
        let mut rebuilds: Option<u32> = None;
        while let Some(field) = map.next_key_seed(FieldIndex(INVOCATION_FIELDS))? {
            match field {
                Some(0) => once(&mut map, &mut peak_bytes, "peak_bytes")?,
                Some(1) => once(&mut map, &mut cpu, "cpu")?,
                Some(2) => once(&mut map, &mut wait, "wait")?,
                Some(_) => once(&mut map, &mut rebuilds, "rebuilds")?,
                None => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        Ok(TracedInvocation {
            peak_bytes: peak_bytes.ok_or_else(|| A::Error::missing_field("peak_bytes"))?,
            cpu: cpu.ok_or_else(|| A::Error::missing_field("cpu"))?,
            wait: wait.ok_or_else(|| A::Error::missing_field("wait"))?,
            rebuilds: rebuilds.ok_or_else(|| A::Error::missing_field("rebuilds"))?,
        })
    }
}

/// A map key read as the index of one of the struct's fields (by name, or by index as
/// the derive also accepts), `None` for a key it does not have.
struct FieldIndex(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldIndex {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldIndex {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_u64<E: Error>(self, index: u64) -> Result<Option<usize>, E> {
        Ok(usize::try_from(index).ok().filter(|&i| i < self.0.len()))
    }

    fn visit_str<E: Error>(self, name: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|&field| field == name))
    }

    fn visit_bytes<E: Error>(self, name: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|&field| field.as_bytes() == name))
    }
}
