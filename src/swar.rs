//! Eight bytes at a time in one `u64` ("SIMD within a register"): the byte tests the answer filter runs
//! over most of an answer, without a branch per byte. Each test sets the high bit of the bytes it matches.

pub const ONES: u64 = 0x0101_0101_0101_0101;
pub const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `at` as one word (the first byte lowest), if there are eight.
pub fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk = bytes.get(at..at.checked_add(8)?)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    Some(u64::from_le_bytes(word))
}

/// The high bit of each byte of `x` (all ASCII) that lies in `lo..=hi` (1 ≤ lo, hi ≤ 126). Exact per byte:
/// no carry or borrow crosses a byte (the "hasbetween" trick).
pub fn bytes_in(x: u64, lo: u8, hi: u8) -> u64 {
    let below = u64::from(lo - 1);
    let above = u64::from(hi + 1);
    let low7 = x & (ONES * 127);
    (ONES * (127 + above)).wrapping_sub(low7) & !x & (low7 + ONES * (127 - below)) & HIGH_BITS
}

/// The high bit of each byte of `x` that equals `c`, exactly.
pub fn bytes_equal(x: u64, c: u8) -> u64 {
    let v = x ^ (ONES * u64::from(c));
    !(((v & (ONES * 127)) + ONES * 127) | v) & HIGH_BITS
}

/// Whether any byte of `x` is a quote, a backslash or below 0x20. The classic tests behind it are exact
/// for "any byte" (not for which), and cheaper than the exact ones.
pub fn any_quote_backslash_or_control(x: u64) -> bool {
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    let special = (quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (x.wrapping_sub(ONES * 0x20) & !x);
    special & HIGH_BITS != 0
}
