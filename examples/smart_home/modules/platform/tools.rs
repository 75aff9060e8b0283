//! Platform tools: debug symbols, utility helpers and the start-up plan.

use crate::data::{self, Rng};
use lmms::InitError;
use std::collections::HashMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
/// Debug support: a sorted symbol table for decoding addresses in error reports.
#[lmms::module(name = "debug_core", policy = "utility")]
pub struct DebugCore {
    symbols: Vec<(u64, String)>,
}

impl lmms::Init for DebugCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("debug_core");
        let map = data::text_table(&mut rng, "addr symbol", data::n(20_000), |_, r, o| {
            let _ = write!(
                o,
                "{:016x} smart_home::{}::{}",
                r.next_u64() >> 20,
                data::word(r),
                data::word(r)
            );
        });
        let mut symbols = Vec::new();
        for line in map.lines().skip(1) {
            let (a, s) = line.split_once(' ').ok_or("symbol map: bad line")?;
            symbols.push((u64::from_str_radix(a, 16)?, s.to_string()));
        }
        symbols.sort_unstable();
        Ok(DebugCore { symbols })
    }
}

#[lmms::operation(interface = "debug", op = "symbolize", module = DebugCore)]
pub fn symbolize(d: &DebugCore, addr: u64) -> String {
    let i = d
        .symbols
        .partition_point(|(a, _)| *a <= addr)
        .saturating_sub(1);
    format!("{addr:#x} in {}", d.symbols[i].1)
}

#[lmms::operation(interface = "debug", op = "health", module = DebugCore)]
pub fn health(d: &DebugCore) -> String {
    format!("ok, {} symbols", d.symbols.len())
}

// ---------------------------------------------------------------------------------------
/// Utility helpers: slice-by-8 CRC-32 tables and a transliteration table for slugs.
#[lmms::module(name = "utility_core", policy = "utility")]
pub struct UtilityCore {
    crc: Vec<[u32; 256]>,
    translit: HashMap<char, String>,
}

impl lmms::Init for UtilityCore {
    fn init() -> Result<Self, InitError> {
        let mut crc = vec![[0u32; 256]; 8];
        for i in 0..256u32 {
            let mut c = i;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            crc[0][i as usize] = c;
        }
        for t in 1..8 {
            for i in 0..256 {
                let prev = crc[t - 1][i];
                crc[t][i] = (prev >> 8) ^ crc[0][(prev & 0xff) as usize];
            }
        }
        let translit = (0x00C0u32..0x2FFF)
            .filter_map(char::from_u32)
            .filter(|c| c.is_alphabetic())
            .map(|c| {
                (
                    c,
                    c.to_lowercase().filter(char::is_ascii).collect::<String>(),
                )
            })
            .collect();
        Ok(UtilityCore { crc, translit })
    }
}

#[lmms::operation(interface = "utility", op = "checksum", module = UtilityCore)]
pub fn checksum(u: &UtilityCore, text: String) -> u32 {
    !text.bytes().fold(!0u32, |c, b| {
        (c >> 8) ^ u.crc[0][((c ^ b as u32) & 0xff) as usize]
    })
}

#[lmms::operation(interface = "utility", op = "slugify", module = UtilityCore)]
pub fn slugify(u: &UtilityCore, text: String) -> String {
    text.chars()
        .map(|c| match u.translit.get(&c) {
            Some(s) if !s.is_empty() => s.clone(),
            _ if c.is_ascii_alphanumeric() => c.to_ascii_lowercase().to_string(),
            _ => "_".into(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
/// The start-up plan: the dependency graph of the function's components, topologically
/// sorted.
#[lmms::module(name = "initialization_core", policy = "utility")]
pub struct InitializationCore {
    order: Vec<String>,
}

impl lmms::Init for InitializationCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("initialization_core");
        let n = data::n(5_000);
        let edges = data::text_table(&mut rng, "from to", n * 3, |i, r, o| {
            let a = i % n;
            let _ = write!(o, "c{} c{}", a, a + 1 + r.below(n - a).min(40));
        });
        let mut indeg = vec![0u32; n + 41];
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); n + 41];
        for line in edges.lines().skip(1) {
            let (a, b) = line.split_once(' ').ok_or("plan: bad edge")?;
            let (a, b): (usize, usize) = (a[1..].parse()?, b[1..].parse()?);
            out[a].push(b as u32);
            indeg[b] += 1;
        }
        let mut ready: Vec<usize> = (0..indeg.len()).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::new();
        while let Some(i) = ready.pop() {
            order.push(format!("c{i}"));
            for &j in &out[i] {
                indeg[j as usize] -= 1;
                if indeg[j as usize] == 0 {
                    ready.push(j as usize);
                }
            }
        }
        Ok(InitializationCore { order })
    }
}

#[lmms::operation(interface = "init", op = "plan", module = InitializationCore)]
pub fn plan(i: &InitializationCore, first: usize) -> Vec<String> {
    i.order.iter().take(first).cloned().collect()
}
