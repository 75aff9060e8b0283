//! The music library used by `homeassistant_media_players`: a JSON catalogue of tracks
//! and a word index over titles and artists.

use crate::data::{self, Rng};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;

#[derive(Deserialize)]
struct Track {
    title: String,
    artist: String,
    album: String,
    seconds: u32,
}

/// Tracks plus an index from lower-case word to track numbers.
pub struct Library {
    tracks: Vec<Track>,
    words: HashMap<String, Vec<u32>>,
}

impl Library {
    /// Parses the bundled catalogue (an empty library if it does not parse).
    pub fn build() -> Library {
        let mut rng = Rng::for_name("media_library");
        let doc = data::json_array(&mut rng, data::n(12_000), |_, r, o| {
            let _ = write!(
                o,
                r#"{{"title":"{} {}","artist":"{}","album":"{} {}","seconds":{}}}"#,
                r.pick(data::WORDS),
                data::word(r),
                data::word(r),
                data::word(r),
                r.pick(data::WORDS),
                90 + r.below(400)
            );
        });
        let tracks: Vec<Track> = serde_json::from_str(&doc).unwrap_or_default();
        let mut words: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, t) in tracks.iter().enumerate() {
            for w in t.title.split(' ').chain(t.artist.split(' ')) {
                words.entry(w.to_lowercase()).or_default().push(i as u32);
            }
        }
        Library { tracks, words }
    }

    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// The first track whose title or artist contains `query` as a word.
    pub fn search(&self, query: &str) -> Option<String> {
        let i = *self.words.get(&query.to_lowercase())?.first()?;
        let t = &self.tracks[i as usize];
        Some(format!(
            "{} by {} ({}, {}:{:02})",
            t.title,
            t.artist,
            t.album,
            t.seconds / 60,
            t.seconds % 60
        ))
    }
}
