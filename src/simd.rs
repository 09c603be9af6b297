//! Sixteen bytes at a time: the byte tests the answer filter runs over most of an answer (where strings end,
//! which bytes can start a secret or hide an instruction).
//!
//! In the WASM build these are WebAssembly SIMD instructions, which every engine Directus runs on has (Node
//! 22). Elsewhere, as in the native tests, the same operations run byte by byte, so everything built on them
//! is tested natively.

use std::ops::{BitAnd, BitOr};

/// Sixteen consecutive bytes of a text.
#[derive(Clone, Copy)]
pub struct Chunk(imp::Bytes);

/// One flag per byte of a [`Chunk`], from a test.
#[derive(Clone, Copy)]
pub struct Lanes(imp::Flags);

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

    /// Bytes in `lo..=hi`.
    pub fn within(self, lo: u8, hi: u8) -> Lanes {
        Lanes(imp::within(self.0, lo, hi))
    }

    pub fn below(self, byte: u8) -> Lanes {
        Lanes(imp::below(self.0, byte))
    }

    pub fn at_least(self, byte: u8) -> Lanes {
        Lanes(imp::at_least(self.0, byte))
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

impl BitAnd for Lanes {
    type Output = Lanes;
    fn bitand(self, other: Lanes) -> Lanes {
        Lanes(imp::and(self.0, other.0))
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
    use core::arch::wasm32::{
        u8x16_bitmask, u8x16_eq, u8x16_ge, u8x16_le, u8x16_lt, u8x16_splat, v128, v128_and, v128_load, v128_or,
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

    pub fn within(x: v128, lo: u8, hi: u8) -> v128 {
        v128_and(u8x16_ge(x, u8x16_splat(lo)), u8x16_le(x, u8x16_splat(hi)))
    }

    pub fn below(x: v128, byte: u8) -> v128 {
        u8x16_lt(x, u8x16_splat(byte))
    }

    pub fn at_least(x: v128, byte: u8) -> v128 {
        u8x16_ge(x, u8x16_splat(byte))
    }

    pub fn or(a: v128, b: v128) -> v128 {
        v128_or(a, b)
    }

    pub fn and(a: v128, b: v128) -> v128 {
        v128_and(a, b)
    }

    pub fn bits(flags: v128) -> u16 {
        u8x16_bitmask(flags)
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

    pub fn within(x: [u8; 16], lo: u8, hi: u8) -> u16 {
        each(x, |b| (lo..=hi).contains(&b))
    }

    pub fn below(x: [u8; 16], byte: u8) -> u16 {
        each(x, |b| b < byte)
    }

    pub fn at_least(x: [u8; 16], byte: u8) -> u16 {
        each(x, |b| b >= byte)
    }

    pub fn or(a: u16, b: u16) -> u16 {
        a | b
    }

    pub fn and(a: u16, b: u16) -> u16 {
        a & b
    }

    pub fn bits(flags: u16) -> u16 {
        flags
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
    fn lanes_are_numbered_from_the_first_byte() {
        let text = b"0123456789abcdef";
        let Some(chunk) = Chunk::at(text, 0) else { panic!("sixteen bytes") };
        assert_eq!(chunk.within(b'0', b'9').bits(), 0x03ff);
        assert_eq!((chunk.equal(b'a') | chunk.equal(b'f')).bits(), 1 << 10 | 1 << 15);
        assert_eq!((chunk.at_least(b'5') & chunk.below(b'7')).bits(), 1 << 5 | 1 << 6);
        assert!(Chunk::at(text, 1).is_none());
    }
}
