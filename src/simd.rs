//! Sixteen bytes at a time: the byte tests the answer filter runs over most of an answer (where strings end,
//! which bytes can start a secret or hide an instruction).
//!
//! In the WASM build these are WebAssembly SIMD instructions, which every engine Directus runs on has (Node
//! 22). Elsewhere, as in the native tests, the same operations run byte by byte, so everything built on them
//! is tested natively.

use std::ops::BitOr;

/// Sixteen consecutive bytes of a text.
#[derive(Clone, Copy)]
pub struct Chunk(imp::Bytes);

/// One flag per byte of a [`Chunk`], from a test.
#[derive(Clone, Copy)]
pub struct Lanes(imp::Flags);

/// Up to eight byte classes, each the bytes with one given high half (`byte >> 4`) and a low half
/// (`byte & 15`) in a given set; looked up for sixteen bytes at once with two table lookups.
#[derive(Clone, Copy)]
pub struct NibbleClasses {
    /// For each value of a byte's low half, the classes that allow it; likewise for the high half.
    low: [u8; 16],
    high: [u8; 16],
}

impl NibbleClasses {
    pub const NONE: NibbleClasses = NibbleClasses { low: [0; 16], high: [0; 16] };

    /// Class `bit` (one bit of eight) also holds the bytes with high half `high` and a low half in `low`.
    pub const fn with(mut self, bit: u8, high: u8, low: &[u8]) -> NibbleClasses {
        self.high[(high & 15) as usize] |= bit;
        let mut i = 0;
        while i < low.len() {
            self.low[(low[i] & 15) as usize] |= bit;
            i += 1;
        }
        self
    }

    /// The classes of one byte.
    pub fn of(&self, byte: u8) -> u8 {
        self.low[usize::from(byte & 15)] & self.high[usize::from(byte >> 4)]
    }
}

/// The classes of each byte of a [`Chunk`].
#[derive(Clone, Copy)]
pub struct Classes(imp::Bytes);

impl Classes {
    /// The bytes in any of the classes `bits`.
    pub fn any(self, bits: u8) -> u16 {
        imp::any_bits(self.0, bits)
    }
}

impl Chunk {
    pub const LEN: usize = 16;

    /// The sixteen bytes from `at`, if there are sixteen.
    pub fn at(bytes: &[u8], at: usize) -> Option<Chunk> {
        let chunk: &[u8; Chunk::LEN] = bytes.get(at..at.checked_add(Chunk::LEN)?)?.try_into().ok()?;
        Some(Chunk(imp::load(chunk)))
    }

    pub fn equal(self, byte: u8) -> Lanes {
        Lanes(imp::equal(self.0, byte))
    }

    pub fn below(self, byte: u8) -> Lanes {
        Lanes(imp::below(self.0, byte))
    }

    /// The bytes of 0x80 and above (non-ASCII).
    pub fn high_bits(self) -> u16 {
        imp::high_bits(self.0)
    }

    pub fn classes(self, table: &NibbleClasses) -> Classes {
        Classes(imp::classes(self.0, table))
    }
}

impl Lanes {
    /// The flags as bits, the first byte's lowest.
    pub fn bits(self) -> u16 {
        imp::bits(self.0)
    }
}

impl BitOr for Lanes {
    type Output = Lanes;
    fn bitor(self, other: Lanes) -> Lanes {
        Lanes(imp::or(self.0, other.0))
    }
}

/// The first byte at or after `from` that is a quote, a backslash or a control character (where a run of
/// plain string text ends); `bytes.len()` if there is none.
pub fn find_quote_backslash_or_control(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(chunk) = Chunk::at(bytes, at) {
        let special = (chunk.equal(b'"') | chunk.equal(b'\\') | chunk.below(0x20)).bits();
        if special != 0 {
            return at + special.trailing_zeros() as usize;
        }
        at += Chunk::LEN;
    }
    bytes.iter().skip(at).position(|&b| b == b'"' || b == b'\\' || b < 0x20).map_or(bytes.len().max(at), |i| at + i)
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use super::NibbleClasses;
    use core::arch::wasm32::{
        i8x16_gt, i8x16_swizzle, u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_ne, u8x16_shr, u8x16_splat, v128, v128_and,
        v128_load, v128_or,
    };

    pub type Bytes = v128;
    pub type Flags = v128;

    pub fn load(chunk: &[u8; 16]) -> v128 {
        // SAFETY: the reference is to sixteen readable bytes, and `v128.load` needs no alignment.
        unsafe { v128_load(chunk.as_ptr().cast()) }
    }

    pub fn equal(x: v128, byte: u8) -> v128 {
        u8x16_eq(x, u8x16_splat(byte))
    }

    pub fn below(x: v128, byte: u8) -> v128 {
        u8x16_lt(x, u8x16_splat(byte))
    }

    pub fn high_bits(x: v128) -> u16 {
        u8x16_bitmask(x)
    }

    pub fn or(a: v128, b: v128) -> v128 {
        v128_or(a, b)
    }

    pub fn bits(flags: v128) -> u16 {
        u8x16_bitmask(flags)
    }

    pub fn classes(x: v128, table: &NibbleClasses) -> v128 {
        let (low, high) = (load(&table.low), load(&table.high));
        // Both halves are below 16, so every lookup is in the table.
        v128_and(i8x16_swizzle(low, v128_and(x, u8x16_splat(15))), i8x16_swizzle(high, u8x16_shr(x, 4)))
    }

    pub fn any_bits(classes: v128, bits: u8) -> u16 {
        let held = v128_and(classes, u8x16_splat(bits));
        if bits < 0x80 {
            // Below 128 as a signed byte too: one signed comparison tells non-zero.
            u8x16_bitmask(i8x16_gt(held, u8x16_splat(0)))
        } else {
            u8x16_bitmask(u8x16_ne(held, u8x16_splat(0)))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    pub type Bytes = [u8; 16];
    /// The flags are kept as bits from the start.
    pub type Flags = u16;

    pub fn load(chunk: &[u8; 16]) -> [u8; 16] {
        *chunk
    }

    fn each(x: [u8; 16], test: impl Fn(u8) -> bool) -> u16 {
        x.iter().enumerate().fold(0, |bits, (i, &b)| if test(b) { bits | 1 << i } else { bits })
    }

    pub fn equal(x: [u8; 16], byte: u8) -> u16 {
        each(x, |b| b == byte)
    }

    pub fn below(x: [u8; 16], byte: u8) -> u16 {
        each(x, |b| b < byte)
    }

    pub fn high_bits(x: [u8; 16]) -> u16 {
        each(x, |b| b >= 0x80)
    }

    pub fn or(a: u16, b: u16) -> u16 {
        a | b
    }

    pub fn bits(flags: u16) -> u16 {
        flags
    }

    pub fn classes(x: [u8; 16], table: &super::NibbleClasses) -> [u8; 16] {
        x.map(|b| table.of(b))
    }

    pub fn any_bits(classes: [u8; 16], bits: u8) -> u16 {
        each(classes, |c| c & bits != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_the_first_special_byte_as_a_plain_search_does(bytes in prop::collection::vec(prop::sample::select(vec![b'a', b' ', b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0xff]), 0..80), from in 0usize..90) {
            let plain = bytes.iter().enumerate().skip(from).find(|(_, &b)| b == b'"' || b == b'\\' || b < 0x20).map_or(bytes.len().max(from), |(i, _)| i);
            prop_assert_eq!(find_quote_backslash_or_control(&bytes, from), plain);
        }
    }

    #[test]
    fn nibble_classes_hold_exactly_their_bytes() {
        let digits_or_plus = NibbleClasses::NONE.with(1, 3, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).with(2, 2, &[0xb]);
        let text = b"+09:/ 9+a\x80\xff0Z\x10\x7f~";
        let Some(chunk) = Chunk::at(text, 0) else { panic!("sixteen bytes") };
        let classes = chunk.classes(&digits_or_plus);
        for (i, &b) in text.iter().take(16).enumerate() {
            assert_eq!(classes.any(1) >> i & 1 == 1, b.is_ascii_digit(), "byte {b}");
            assert_eq!(classes.any(2) >> i & 1 == 1, b == b'+', "byte {b}");
            assert_eq!(classes.any(3) >> i & 1 == 1, b.is_ascii_digit() || b == b'+', "byte {b}");
        }
    }

    #[test]
    fn lanes_are_numbered_from_the_first_byte() {
        let text = b"0123456789abcdef";
        let Some(chunk) = Chunk::at(text, 0) else { panic!("sixteen bytes") };
        assert_eq!(chunk.below(b':').bits(), 0x03ff);
        assert_eq!((chunk.equal(b'a') | chunk.equal(b'f')).bits(), 1 << 10 | 1 << 15);
        let Some(high) = Chunk::at("abcdefghijklmnoé".as_bytes(), 0) else { panic!("sixteen bytes") };
        assert_eq!(high.high_bits(), 1 << 15);
        assert!(Chunk::at(text, 1).is_none());
    }
}
