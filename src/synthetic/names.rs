//! Indonesian names: the embedded lists split into words, and one draw of a full name.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{data, pick};

/// The embedded name lists, split once.
pub(super) struct Names {
    given: [Vec<&'static str>; 2],
    surnames: [Vec<&'static str>; 2],
    single: [Vec<&'static str>; 2],
    prefixes: [Vec<&'static str>; 2],
    family: Vec<&'static str>,
}

impl Names {
    pub(super) fn new() -> Self {
        let words = |list: &'static str| list.split_whitespace().collect::<Vec<_>>();
        Self {
            given: [words(data::MALE_GIVEN), words(data::FEMALE_GIVEN)],
            surnames: [words(data::MALE_SURNAMES), words(data::FEMALE_SURNAMES)],
            single: [words(data::MALE_SINGLE), words(data::FEMALE_SINGLE)],
            prefixes: [words(data::MALE_PREFIXES), words(data::FEMALE_PREFIXES)],
            family: words(data::FAMILY_NAMES),
        }
    }
}

/// Up to three name parts.
pub(super) struct Name {
    parts: [&'static str; 3],
    len: usize,
}

impl Name {
    pub(super) fn as_slice(&self) -> &[&'static str] {
        &self.parts[..self.len]
    }

    fn push(&mut self, part: &'static str) {
        if self.len < self.parts.len() {
            self.parts[self.len] = part;
            self.len += 1;
        }
    }
}

pub(super) fn pick_name(rng: &mut ChaCha8Rng, names: &Names, female: bool) -> Name {
    let mut name = Name {
        parts: [""; 3],
        len: 0,
    };
    let sex = usize::from(female);
    let (given, surnames) = (&names.given[sex][..], &names.surnames[sex][..]);
    let (single, prefixes) = (&names.single[sex][..], &names.prefixes[sex][..]);
    let shape = rng.random_range(0..100u32);
    if shape < 4 {
        // Javanese single names: "Sutrisno", "Sulastri".
        name.push(pick(rng, single));
        return name;
    }
    if shape < if female { 16 } else { 24 } {
        name.push(pick(rng, prefixes));
    }
    let first = pick(rng, given);
    name.push(first);
    match rng.random_range(0..100u32) {
        0..55 => name.push(pick(rng, surnames)),
        55..78 => name.push(pick(rng, &names.family)),
        78..92 => {
            let second = pick(rng, given);
            name.push(if second == first {
                pick(rng, surnames)
            } else {
                second
            });
        }
        _ if name.len == 1 => name.push(pick(rng, surnames)),
        _ => {}
    }
    name
}
