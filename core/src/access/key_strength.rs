//! How guessable a staff key chosen by an operator is (`SHOPCORE_ADMIN_KEY`).
//!
//! Stores keep a key only as its unsalted SHA-256 ([`TokenHash`]), which is
//! right for a secret with the entropy of a generated key and wrong for
//! anything a person could guess. A chosen key must therefore reach
//! [`MIN_CHOSEN_KEY_BITS`] by [`key_strength_bits`], a deliberately
//! conservative estimate:
//!
//! ```text
//! bits = counted characters × log2(size of the character classes used)
//! ```
//!
//! - the classes are lower-case letters (26), upper-case letters (26), digits
//!   (10) and the other printable ASCII characters (32); a key using lower
//!   case and digits draws from 36, one using all four from 94;
//! - a character is **not counted** when it continues a pattern: when it
//!   keeps the step between the two before it (`aaaa`, `abcd`, `0246`,
//!   `9876` count two characters each), walks on along a keyboard row
//!   (`qwerty`, `lkjh`), or ends three characters that already occurred
//!   together earlier in the key (the second `key-key-` of `key-key-key-`, a
//!   repeated `0123456789` block); case does not matter (`PASSWORD`
//!   repeats `password`). Words are not known: a key of dictionary words in
//!   random order can pass, so generate keys (`staff create`) rather than choose them.
//!
//! So `"a"` × 32 is worth 9 bits and is refused; 40 random hex characters
//! count almost all of their characters (about 200 bits) and a generated
//! `sck_` key about 400: both always pass.
//!
//! [`TokenHash`]: crate::TokenHash

use std::collections::HashSet;

/// The least estimated strength ([`key_strength_bits`]) of a staff key an
/// operator chooses (`SHOPCORE_ADMIN_KEY`).
pub const MIN_CHOSEN_KEY_BITS: u32 = 128;

/// The estimated strength of `key` in bits, as described in the module
/// documentation: counted characters × log2 of the size of the character
/// classes used, rounded down; characters that repeat or continue a run are
/// not counted.
///
/// ```
/// use shopcore::{key_strength_bits, AccessToken, TokenKind, MIN_CHOSEN_KEY_BITS};
/// assert!(key_strength_bits(&"a".repeat(32)) < MIN_CHOSEN_KEY_BITS);
/// assert!(key_strength_bits("0123456789abcdef0123456789abcdef01234567") < MIN_CHOSEN_KEY_BITS);
/// assert!(key_strength_bits("3f9c2e71d04ab85e6c1f97a20d4be35c8a61f0e2") >= MIN_CHOSEN_KEY_BITS);
/// let generated = AccessToken::generate(TokenKind::StaffKey);
/// assert!(key_strength_bits(generated.expose()) >= MIN_CHOSEN_KEY_BITS);
/// ```
pub fn key_strength_bits(key: &str) -> u32 {
    let chars: Vec<char> = key.chars().collect();
    // Patterns are judged without case: `PASSWORD` repeats `password`.
    let folded: Vec<char> = chars.iter().map(char::to_ascii_lowercase).collect();
    let mut seen = HashSet::new();
    let mut counted = 0u32;
    for (i, &c) in folded.iter().enumerate() {
        let continues_run = i >= 2 && {
            let step = |a: char, b: char| i64::from(u32::from(b)) - i64::from(u32::from(a));
            step(folded[i - 1], c) == step(folded[i - 2], folded[i - 1])
        };
        let continues_walk = i >= 2 && keyboard_walk(folded[i - 2], folded[i - 1], c);
        let repeats_earlier = i >= 2 && !seen.insert((folded[i - 2], folded[i - 1], c));
        if !continues_run && !continues_walk && !repeats_earlier {
            counted += 1;
        }
    }
    let pool: u32 = [
        (chars.iter().any(char::is_ascii_lowercase), 26),
        (chars.iter().any(char::is_ascii_uppercase), 26),
        (chars.iter().any(char::is_ascii_digit), 10),
        (chars.iter().any(|c| !c.is_ascii_alphanumeric()), 32),
    ]
    .iter()
    .filter(|(used, _)| *used)
    .map(|(_, size)| size)
    .sum();
    if pool < 2 {
        return 0;
    }
    let bits = f64::from(counted) * f64::from(pool).log2();
    // `bits` is at most 200 characters × log2(94) < 1,400: the cast is exact.
    bits.floor() as u32
}

/// The rows of a QWERTY keyboard, where people walk keys (`qwerty`, `asdf`, `7890`).
const KEYBOARD_ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// Whether `a`, `b`, `c` are neighbouring keys of one keyboard row, walked in
/// one direction (`wer`, `lkj`).
fn keyboard_walk(a: char, b: char, c: char) -> bool {
    KEYBOARD_ROWS.iter().any(|row| {
        let at = |k: char| row.find(k).and_then(|i| i64::try_from(i).ok());
        match (at(a), at(b), at(c)) {
            (Some(a), Some(b), Some(c)) => (b - a).abs() == 1 && c - b == b - a,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, TokenKind};

    #[test]
    fn keys_a_person_could_guess_are_too_weak() {
        for weak in [
            "a".repeat(32),
            "ab".repeat(16),
            "abcdefghijklmnopqrstuvwxyzabcdefghijkl".to_owned(),
            "0123456789abcdef0123456789abcdef0123456789".to_owned(),
            "passwordpasswordpasswordpassword".to_owned(),
            "admin-key-admin-key-admin-key-admin-key-".to_owned(),
            "zyxwvutsrqponmlkjihgfedcba9876543210".to_owned(),
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_owned(),
            "0000000000000000000000000000000000000000".to_owned(),
            "02468ace02468ace02468ace02468ace".to_owned(),
            // Keyboard walks and words in another case (the attack rerun's).
            "qwertyuiopasdfghjklzxcvbnm1234567890QWERTYUIOP".to_owned(),
            "passwordPASSWORDpasswordPASSWORDpassword".to_owned(),
        ] {
            let bits = key_strength_bits(&weak);
            assert!(bits < MIN_CHOSEN_KEY_BITS, "{weak}: {bits} bits");
        }
        assert_eq!(
            key_strength_bits(&"a".repeat(32)),
            9,
            "two counted × log2(26)"
        );
        assert_eq!(key_strength_bits(""), 0);
    }

    #[test]
    fn generated_keys_and_random_hex_always_pass() {
        for _ in 0..2_000 {
            let generated = AccessToken::generate(TokenKind::StaffKey);
            assert!(key_strength_bits(generated.expose()) >= MIN_CHOSEN_KEY_BITS);
            let hex = &generated.expose()[4..44];
            let bits = key_strength_bits(hex);
            assert!(bits >= MIN_CHOSEN_KEY_BITS, "{hex}: {bits} bits");
        }
    }

    #[test]
    fn the_estimate_counts_classes_and_characters() {
        // 40 characters, none continuing a pattern, from lower case and digits (36).
        let key = "3f9c2e71d04ab85e6c1f97a20d4be35c8a61f0e2";
        assert_eq!(key_strength_bits(key), (40.0 * 36f64.log2()).floor() as u32);
        // Upper case and a symbol widen the pool to 94.
        let mixed = "3F9c2e71-04aB85e";
        assert_eq!(
            key_strength_bits(mixed),
            (16.0 * 94f64.log2()).floor() as u32
        );
        // A run counts its first two characters.
        assert_eq!(
            key_strength_bits("q7abcdefgh"),
            (4.0 * 36f64.log2()).floor() as u32
        );
    }
}
