//! Model weights: an on-device speech recognizer (int8, delta-coded), an intent classifier
//! (word embeddings) and a doorbell-camera object detector (4-bit codebook weights).

use super::MIB;
use crate::data::{self, Rng};
use lmms::InitError;
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------
/// Columns of one speech-model weight row.
const SPEECH_COLS: usize = 1024;

/// Speech recognizer: ~150 MiB of int8 weights (a Whisper-base-sized model), stored
/// delta-coded in 4-bit steps in the bundle and decoded here.
#[lmms::module(name = "speech_model", policy = "utility")]
pub struct SpeechModel {
    weights: Vec<i8>,
}

impl lmms::Init for SpeechModel {
    fn init() -> Result<Self, InitError> {
        let n = data::large(150 * MIB) / SPEECH_COLS * SPEECH_COLS;
        let mut rng = Rng::for_name("speech_model");
        let mut weights = vec![0i8; n];
        let mut prev = 0i8;
        for chunk in weights.chunks_mut(16) {
            let bits = rng.next_u64();
            for (k, w) in chunk.iter_mut().enumerate() {
                prev = prev.wrapping_add(((bits >> (4 * k)) & 0xf) as i8 - 8);
                *w = prev;
            }
        }
        Ok(SpeechModel { weights })
    }
}

/// Transcribes voice clip `clip`: 40 frames, each scored against a 64-row block of the
/// model (the block depends on the frame), the best row is the frame's token.
#[lmms::operation(interface = "voice", op = "transcribe", module = SpeechModel)]
pub fn transcribe(m: &SpeechModel, clip: u64) -> String {
    let rows = m.weights.len() / SPEECH_COLS;
    if rows < 64 {
        return "no speech model in this profile".into();
    }
    let mut rng = Rng::seeded(clip);
    let frame: Vec<i8> = (0..SPEECH_COLS).map(|_| rng.below(255) as i8).collect();
    let mut tokens = Vec::with_capacity(40);
    for f in 0..40 {
        let block = rng.below(rows - 64);
        let best = (block..block + 64)
            .max_by_key(|&r| {
                let row = &m.weights[r * SPEECH_COLS..(r + 1) * SPEECH_COLS];
                row.iter()
                    .zip(&frame)
                    .map(|(&w, &x)| w as i32 * x as i32)
                    .sum::<i32>()
                    .wrapping_add(f)
            })
            .unwrap_or(block);
        tokens.push(best % 5_000);
    }
    format!(
        "clip {clip}: {} tokens, first {:?}",
        tokens.len(),
        &tokens[..4]
    )
}

// ---------------------------------------------------------------------------------------
/// Embedding dimensions of the intent model.
const DIM: usize = 300;
/// Intents the classifier knows (their centroids are the first vectors).
const INTENTS: usize = 256;

/// Intent classifier: 80 000 words × 300 f32 embeddings (~92 MiB), normalized at load, and
/// the vocabulary index.
#[lmms::module(name = "intent_model", policy = "utility")]
pub struct IntentModel {
    vectors: Vec<f32>,
    vocab: HashMap<String, u32>,
}

impl lmms::Init for IntentModel {
    fn init() -> Result<Self, InitError> {
        let words = data::large(80_000);
        let mut rng = Rng::for_name("intent_model");
        let mut vectors = Vec::with_capacity(words * DIM);
        for _ in 0..words {
            let start = vectors.len();
            // A sum of four 16-bit uniforms: near-Gaussian components, then unit length.
            vectors.extend((0..DIM).map(|_| {
                let b = rng.next_u64();
                let sum = (b & 0xffff) + (b >> 16 & 0xffff) + (b >> 32 & 0xffff) + (b >> 48);
                sum as f32 / 65_536.0 - 2.0
            }));
            let norm = vectors[start..].iter().map(|x| x * x).sum::<f32>().sqrt();
            vectors[start..]
                .iter_mut()
                .for_each(|x| *x /= norm.max(1e-6));
        }
        let vocab = (0..words as u32).map(|i| (format!("w{i}"), i)).collect();
        Ok(IntentModel { vectors, vocab })
    }
}

/// The intent of `text`: mean of its words' embeddings (unknown words hashed into the
/// vocabulary), nearest intent centroid by cosine.
#[lmms::operation(interface = "conversation", op = "understand", module = IntentModel)]
pub fn understand(m: &IntentModel, text: String) -> String {
    let words = m.vectors.len() / DIM;
    if words < INTENTS {
        return "no intent model in this profile".into();
    }
    let mut mean = [0f32; DIM];
    let mut n = 0;
    for token in text.split_whitespace() {
        let id = m.vocab.get(token).map_or_else(
            || (data::fnv(token.as_bytes()) % words as u64) as usize,
            |&i| i as usize,
        );
        for (acc, x) in mean.iter_mut().zip(&m.vectors[id * DIM..(id + 1) * DIM]) {
            *acc += x;
        }
        n += 1;
    }
    let score = |c: usize| -> f32 {
        let v = &m.vectors[c * DIM..(c + 1) * DIM];
        v.iter().zip(&mean).map(|(a, b)| a * b).sum()
    };
    let best = (0..INTENTS)
        .max_by(|&a, &b| score(a).total_cmp(&score(b)))
        .unwrap_or(0);
    format!("intent_{best} ({n} words)")
}

// ---------------------------------------------------------------------------------------
/// Doorbell-camera detector: ~140 MiB of f16 weights, stored as 4-bit codes with a
/// 16-entry codebook per 256-weight group (as quantized model files are) and expanded here.
#[lmms::module(name = "camera_detector", policy = "utility")]
pub struct CameraDetector {
    weights: Vec<u16>,
}

impl lmms::Init for CameraDetector {
    fn init() -> Result<Self, InitError> {
        let n = data::large(140 * MIB) / 2;
        let mut rng = Rng::for_name("camera_detector");
        let mut weights = vec![0u16; n];
        for group in weights.chunks_mut(256) {
            let book: [u16; 16] = std::array::from_fn(|_| rng.below(0x7bff) as u16);
            for sixteen in group.chunks_mut(16) {
                let codes = rng.next_u64();
                for (k, w) in sixteen.iter_mut().enumerate() {
                    *w = book[((codes >> (4 * k)) & 0xf) as usize];
                }
            }
        }
        Ok(CameraDetector { weights })
    }
}

/// Detects objects on a 32×32 patch of camera `camera`'s frame: 16 3×3 filters, chosen by
/// the camera, from the weights.
#[lmms::operation(interface = "cameras", op = "detect", module = CameraDetector)]
pub fn detect(m: &CameraDetector, camera: u64) -> String {
    if m.weights.len() < 16 * 9 * 64 {
        return "no detector in this profile".into();
    }
    let mut rng = Rng::seeded(camera);
    let patch: Vec<f32> = (0..34 * 34).map(|_| rng.unit() as f32).collect();
    let base = rng.below(m.weights.len() - 16 * 9);
    let mut hits = 0;
    for f in 0..16 {
        let w: Vec<f32> = m.weights[base + f * 9..base + f * 9 + 9]
            .iter()
            .map(|&h| h as f32 / 65_536.0)
            .collect();
        for y in 0..32 {
            for x in 0..32 {
                let mut s = 0.0;
                for k in 0..9 {
                    s += w[k] * patch[(y + k / 3) * 34 + x + k % 3];
                }
                hits += (s > 1.2) as u32;
            }
        }
    }
    format!("camera {camera}: {hits} activations")
}
