//! A seeded generator, so that a failing run can be replayed with `BOXOFFICE_FUZZ_SEED`.

use serde_json::{Value, json};

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// splitmix64: tiny, fast and good enough to pick test inputs.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Numbers that break arithmetic, parsing and bounds checks.
    pub fn edge_number(&mut self) -> Value {
        let choices = [
            json!(0),
            json!(-1),
            json!(1),
            json!(i32::MAX),
            json!(i32::MIN),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1e308),
            json!(-1e308),
            json!(0.5),
            json!(2_147_483_648_u64),
            json!(9_007_199_254_740_993_u64),
        ];
        self.pick(&choices).clone()
    }

    /// Strings that are empty, huge, not what a field expects, or awkward to store and print.
    pub fn junk_string(&mut self) -> String {
        match self.below(12) {
            0 => String::new(),
            1 => "x".repeat(self.below(20_000) + 1),
            2 => "\u{0}\u{1}\u{7f}".into(),
            3 => "'; drop table bookings; --".into(),
            4 => "🎬🍿".repeat(self.below(50) + 1),
            5 => "\u{202e}evil\u{200b}".into(),
            6 => "../../etc/passwd".into(),
            7 => "00000000-0000-0000-0000-000000000000".into(),
            8 => uuid::Uuid::new_v4().to_string(),
            9 => "%00%ff%2e%2e".into(),
            10 => "<script>alert(1)</script>".into(),
            _ => (0..self.below(40))
                .map(|_| char::from_u32(self.below(0x3000) as u32 + 1).unwrap_or('?'))
                .collect(),
        }
    }

    /// Any JSON value, nested up to `depth`.
    pub fn junk_value(&mut self, depth: usize) -> Value {
        match self.below(if depth == 0 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => Value::Bool(self.chance(50)),
            2 => self.edge_number(),
            3 | 4 => Value::String(self.junk_string()),
            5 => Value::Array(
                (0..self.below(4))
                    .map(|_| self.junk_value(depth - 1))
                    .collect(),
            ),
            _ => {
                let mut object = serde_json::Map::new();
                for _ in 0..self.below(4) {
                    let key = self.junk_string();
                    object.insert(key, self.junk_value(depth - 1));
                }
                Value::Object(object)
            }
        }
    }

    /// Bytes that are not JSON, or not even UTF-8.
    pub fn junk_bytes(&mut self) -> Vec<u8> {
        let length = self.below(2_000);
        (0..length).map(|_| self.next_u64() as u8).collect()
    }
}
