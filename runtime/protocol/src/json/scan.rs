//! A validating JSON scanner that finds the extent of values without building them.
//!
//! The input is bytes. Outside strings the grammar admits only ASCII, so UTF-8 is checked
//! inside strings only, and only for strings that contain a non-ASCII byte: a frame the
//! scanner accepts is valid UTF-8 as a whole. Nothing recurses: nesting is tracked in a
//! fixed-size bit stack, so hostile input cannot exhaust the call stack.

use std::borrow::Cow;

use crate::error::{Offset, ProtocolError};

/// Deepest nesting accepted in a hub message, counting the message object itself
/// (the default of the JSON reader ASP.NET Core uses).
pub(crate) const MAX_DEPTH: usize = 64;

fn err(offset: usize, reason: &'static str) -> ProtocolError {
    ProtocolError::InvalidJson {
        offset: Offset(offset),
        reason,
    }
}

/// Bytes that end the fast part of a string scan: `"`, `\` and control characters.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

#[inline]
pub(crate) fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while let Some(&c) = b.get(pos) {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            pos += 1;
        } else {
            break;
        }
    }
    pos
}

/// Expects `c` at `pos` (after whitespace) and returns the position after it.
#[inline]
pub(crate) fn expect(
    b: &[u8],
    pos: usize,
    c: u8,
    reason: &'static str,
) -> Result<usize, ProtocolError> {
    let pos = skip_ws(b, pos);
    if b.get(pos) == Some(&c) {
        Ok(pos + 1)
    } else {
        Err(err(pos, reason))
    }
}

/// Finds the first byte at or after `pos` that is `"`, `\` or a control character; also
/// reports whether any byte before it is non-ASCII.
#[inline]
fn find_string_stop(b: &[u8], mut pos: usize) -> (usize, bool) {
    // Eight bytes at a time for the first 64 bytes: most strings (ids, names, small values)
    // end there.
    let mut high = 0u64;
    let limit = pos + 64;
    while pos < limit
        && let Some(chunk) = b.get(pos..pos + 8)
    {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w);
        let hits = swar_stops(x);
        if hits != 0 {
            let n = (hits.trailing_zeros() / 8) as usize;
            // Only the bytes before the stop count; a mask keeps the ones below it.
            let before = if n == 0 {
                0
            } else {
                x & (u64::MAX >> (64 - 8 * n))
            };
            return (pos + n, (high | before) & HIGHS != 0);
        }
        high |= x;
        pos += 8;
    }
    let mut high = high & HIGHS != 0;
    if pos >= limit {
        // A long string: find the quote or backslash with SIMD, then check the span for
        // control characters and non-ASCII bytes with loops the compiler vectorizes.
        let end = memchr::memchr2(b'"', b'\\', &b[pos..]).map_or(b.len(), |i| pos + i);
        let span = &b[pos..end];
        let stop = if span.iter().fold(false, |acc, &c| acc | (c < 0x20)) {
            pos + span.iter().position(|&c| c < 0x20).unwrap_or(span.len())
        } else {
            end
        };
        high |= b[pos..stop].iter().fold(0u8, |acc, &c| acc | c) >= 0x80;
        return (stop, high);
    }
    while let Some(&c) = b.get(pos) {
        if STRING_STOP[c as usize] {
            return (pos, high);
        }
        high |= c >= 0x80;
        pos += 1;
    }
    (pos, high)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `x` that are `"`, `\` or below 0x20, as their high bits. The lowest set bit
/// is exact (bits above it may be spurious, which callers never look at).
#[inline]
fn swar_stops(x: u64) -> u64 {
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    has_zero(quote) | has_zero(backslash) | below_space
}

/// Skips a string whose opening quote is at `pos` without checking its UTF-8; returns the
/// position after the closing quote, whether it has escapes, and whether it has non-ASCII bytes.
#[inline]
fn skip_string_unchecked(b: &[u8], pos: usize) -> Result<(usize, bool, bool), ProtocolError> {
    debug_assert_eq!(b.get(pos), Some(&b'"'));
    let mut p = pos + 1;
    let mut escaped = false;
    let mut non_ascii = false;
    loop {
        let (stop, high) = find_string_stop(b, p);
        p = stop;
        non_ascii |= high;
        match b.get(p) {
            Some(b'"') => return Ok((p + 1, escaped, non_ascii)),
            Some(b'\\') => {
                escaped = true;
                match b.get(p + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => p += 2,
                    Some(b'u') => {
                        let hex = b
                            .get(p + 2..p + 6)
                            .ok_or_else(|| err(p, "unterminated string"))?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(err(p, "invalid \\u escape"));
                        }
                        p += 6;
                    }
                    Some(_) => return Err(err(p, "invalid escape sequence")),
                    None => return Err(err(p, "unterminated string")),
                }
            }
            Some(_) => return Err(err(p, "control character in string")),
            None => return Err(err(pos, "unterminated string")),
        }
    }
}

/// Checks that `b[start..end]` is UTF-8.
#[inline]
fn check_utf8(b: &[u8], start: usize, end: usize) -> Result<(), ProtocolError> {
    match std::str::from_utf8(&b[start..end]) {
        Ok(_) => Ok(()),
        Err(e) => Err(ProtocolError::InvalidUtf8 {
            offset: Offset(start + e.valid_up_to()),
        }),
    }
}

/// Skips a string whose opening quote is at `pos`; returns the position after the closing
/// quote and whether the string contains escapes.
#[inline]
pub(crate) fn skip_string(b: &[u8], pos: usize) -> Result<(usize, bool), ProtocolError> {
    let (end, escaped, non_ascii) = skip_string_unchecked(b, pos)?;
    if non_ascii {
        check_utf8(b, pos + 1, end - 1)?;
    }
    Ok((end, escaped))
}

fn hex4(b: &[u8], at: usize) -> u32 {
    b[at..at + 4].iter().fold(0u32, |acc, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        };
        acc * 16 + u32::from(d)
    })
}

/// Reads a string whose opening quote is at `pos`; borrows from `b` when it has no escapes.
pub(crate) fn read_string(b: &[u8], pos: usize) -> Result<(Cow<'_, str>, usize), ProtocolError> {
    let (end, escaped) = skip_string(b, pos)?;
    let body =
        std::str::from_utf8(&b[pos + 1..end - 1]).map_err(|e| ProtocolError::InvalidUtf8 {
            offset: Offset(pos + 1 + e.valid_up_to()),
        })?;
    if !escaped {
        return Ok((Cow::Borrowed(body), end));
    }
    Ok((Cow::Owned(unescape(body, pos + 1)?), end))
}

/// Decodes the escapes of a validated string body.
fn unescape(body: &str, base: usize) -> Result<String, ProtocolError> {
    let b = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&body[run..i]);
        let c = b[i + 1];
        i += 2;
        match c {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            _ => {
                let hi = hex4(b, i);
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u') && i + 6 <= b.len() {
                        let lo = hex4(b, i + 2);
                        if !(0xDC00..0xE000).contains(&lo) {
                            return Err(err(base + i, "unpaired surrogate in \\u escape"));
                        }
                        i += 6;
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        return Err(err(base + i, "unpaired surrogate in \\u escape"));
                    }
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err(err(base + i, "unpaired surrogate in \\u escape"));
                } else {
                    hi
                };
                out.push(char::from_u32(code).ok_or_else(|| err(base + i, "invalid \\u escape"))?);
            }
        }
        run = i;
    }
    out.push_str(&body[run..]);
    Ok(out)
}

/// Skips a number starting at `pos`, checking the JSON number grammar.
#[inline]
pub(crate) fn skip_number(b: &[u8], pos: usize) -> Result<usize, ProtocolError> {
    let mut p = pos;
    if b.get(p) == Some(&b'-') {
        p += 1;
    }
    match b.get(p) {
        Some(b'0') => p += 1,
        Some(b'1'..=b'9') => {
            p += 1;
            while matches!(b.get(p), Some(b'0'..=b'9')) {
                p += 1;
            }
        }
        _ => return Err(err(p, "invalid number")),
    }
    if b.get(p) == Some(&b'.') {
        p += 1;
        if !matches!(b.get(p), Some(b'0'..=b'9')) {
            return Err(err(p, "invalid number"));
        }
        while matches!(b.get(p), Some(b'0'..=b'9')) {
            p += 1;
        }
    }
    if matches!(b.get(p), Some(b'e' | b'E')) {
        p += 1;
        if matches!(b.get(p), Some(b'+' | b'-')) {
            p += 1;
        }
        if !matches!(b.get(p), Some(b'0'..=b'9')) {
            return Err(err(p, "invalid number"));
        }
        while matches!(b.get(p), Some(b'0'..=b'9')) {
            p += 1;
        }
    }
    Ok(p)
}

/// Reads an integer (no fraction or exponent) at `pos`. `None` if the value there is a
/// number that is not an integer in range, or not a number.
pub(crate) fn read_integer(b: &[u8], pos: usize) -> Result<(Option<i128>, usize), ProtocolError> {
    let end = skip_number(b, pos)?;
    let text = &b[pos..end];
    let (neg, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return Ok((None, end));
    }
    let v = digits
        .iter()
        .fold(0i128, |acc, &d| acc * 10 + i128::from(d - b'0'));
    Ok((Some(if neg { -v } else { v }), end))
}

fn literal(b: &[u8], pos: usize, word: &'static [u8]) -> Result<usize, ProtocolError> {
    if b.get(pos..pos + word.len()) == Some(word) {
        Ok(pos + word.len())
    } else {
        Err(err(pos, "invalid literal"))
    }
}

/// Skips one value starting at or after `pos` (whitespace allowed before it); returns the
/// position after the value. `depth` is the nesting depth of the value's container.
pub(crate) fn skip_value(b: &[u8], pos: usize, depth: usize) -> Result<usize, ProtocolError> {
    let start = skip_ws(b, pos);
    let (end, non_ascii) = skip_value_unchecked(b, start, depth)?;
    if non_ascii {
        check_utf8(b, start, end)?;
    }
    Ok(end)
}

/// [`skip_value`] without the UTF-8 check; also reports whether any string in the value
/// has non-ASCII bytes, so the caller can check a whole span at once.
fn skip_value_unchecked(
    b: &[u8],
    pos: usize,
    depth: usize,
) -> Result<(usize, bool), ProtocolError> {
    let mut p = skip_ws(b, pos);
    let mut non_ascii = false;
    // Fast paths for scalars, the common case for arguments and items.
    match b.get(p) {
        Some(b'"') => {
            let (end, _, high) = skip_string_unchecked(b, p)?;
            return Ok((end, high));
        }
        Some(b'-' | b'0'..=b'9') => return Ok((skip_number(b, p)?, false)),
        Some(b't') => return Ok((literal(b, p, b"true")?, false)),
        Some(b'f') => return Ok((literal(b, p, b"false")?, false)),
        Some(b'n') => return Ok((literal(b, p, b"null")?, false)),
        Some(b'{' | b'[') => {}
        Some(_) => return Err(err(p, "expected a value")),
        None => return Err(err(p, "unexpected end of input, expected a value")),
    }
    // Containers: a bit stack, 1 = object, 0 = array.
    let mut stack = [0u64; MAX_DEPTH.div_ceil(64)];
    let mut level = 0usize; // number of open containers
    let limit = MAX_DEPTH.saturating_sub(depth);
    'value: loop {
        // A value starts at p (whitespace skipped).
        match b.get(p) {
            Some(&open @ (b'{' | b'[')) => {
                if level >= limit {
                    return Err(ProtocolError::DepthExceeded {
                        offset: Offset(p),
                        limit: MAX_DEPTH,
                    });
                }
                let is_object = open == b'{';
                if is_object {
                    stack[level / 64] |= 1 << (level % 64);
                } else {
                    stack[level / 64] &= !(1 << (level % 64));
                }
                level += 1;
                p = skip_ws(b, p + 1);
                let close = if is_object { b'}' } else { b']' };
                if b.get(p) == Some(&close) {
                    p += 1;
                    level -= 1;
                } else if is_object {
                    p = object_key(b, p, &mut non_ascii)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            Some(b'"') => {
                let (end, _, high) = skip_string_unchecked(b, p)?;
                non_ascii |= high;
                p = end;
            }
            Some(b'-' | b'0'..=b'9') => p = skip_number(b, p)?,
            Some(b't') => p = literal(b, p, b"true")?,
            Some(b'f') => p = literal(b, p, b"false")?,
            Some(b'n') => p = literal(b, p, b"null")?,
            Some(_) => return Err(err(p, "expected a value")),
            None => return Err(err(p, "unexpected end of input, expected a value")),
        }
        // After a value: close containers or move to the next element.
        loop {
            if level == 0 {
                return Ok((p, non_ascii));
            }
            let top = level - 1;
            let in_object = stack[top / 64] & (1 << (top % 64)) != 0;
            p = skip_ws(b, p);
            match b.get(p) {
                Some(b',') => {
                    p = skip_ws(b, p + 1);
                    if in_object {
                        p = object_key(b, p, &mut non_ascii)?;
                    }
                    continue 'value;
                }
                Some(b'}') if in_object => {
                    p += 1;
                    level -= 1;
                }
                Some(b']') if !in_object => {
                    p += 1;
                    level -= 1;
                }
                Some(_) => {
                    return Err(err(
                        p,
                        if in_object {
                            "expected ',' or '}'"
                        } else {
                            "expected ',' or ']'"
                        },
                    ));
                }
                None => return Err(err(p, "unexpected end of input inside a container")),
            }
        }
    }
}

/// Skips `"key" :` at `p` and the whitespace after it, leaving `p` at the member's value.
#[inline]
fn object_key(b: &[u8], p: usize, non_ascii: &mut bool) -> Result<usize, ProtocolError> {
    if b.get(p) != Some(&b'"') {
        return Err(err(p, "expected a property name"));
    }
    let (p, _, high) = skip_string_unchecked(b, p)?;
    *non_ascii |= high;
    let p = expect(b, p, b':', "expected ':'")?;
    Ok(skip_ws(b, p))
}

/// Scans an array at `pos` (after whitespace) and returns its end and element count.
pub(crate) fn scan_array(
    b: &[u8],
    pos: usize,
    depth: usize,
) -> Result<(usize, usize), ProtocolError> {
    let mut p = expect(b, pos, b'[', "expected '['")?;
    p = skip_ws(b, p);
    if b.get(p) == Some(&b']') {
        return Ok((p + 1, 0));
    }
    if depth + 1 > MAX_DEPTH {
        return Err(ProtocolError::DepthExceeded {
            offset: Offset(p),
            limit: MAX_DEPTH,
        });
    }
    let start = p;
    let mut count = 0;
    let mut non_ascii = false;
    loop {
        let (end, high) = skip_value_unchecked(b, p, depth + 1)?;
        non_ascii |= high;
        count += 1;
        p = skip_ws(b, end);
        match b.get(p) {
            Some(b',') => p += 1,
            Some(b']') => {
                // One UTF-8 check for all the array's strings, only if one of them needs it.
                if non_ascii {
                    check_utf8(b, start, p)?;
                }
                return Ok((p + 1, count));
            }
            Some(_) => return Err(err(p, "expected ',' or ']'")),
            None => return Err(err(p, "unexpected end of input inside an array")),
        }
    }
}

/// Iterates over the elements of an array that [`scan_array`] has validated.
#[derive(Debug, Clone)]
pub(crate) struct ArrayElements<'a> {
    text: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> ArrayElements<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        let b = text;
        let p = skip_ws(b, skip_ws(b, 0) + 1);
        let done = b.get(p) == Some(&b']');
        ArrayElements { text, pos: p, done }
    }
}

impl<'a> Iterator for ArrayElements<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let b = self.text;
        let start = skip_ws(b, self.pos);
        // The array was validated when the message was decoded, so this cannot fail; stop
        // quietly if it somehow does.
        let Ok(end) = skip_value(b, start, 1) else {
            self.done = true;
            return None;
        };
        let after = skip_ws(b, end);
        if b.get(after) == Some(&b',') {
            self.pos = after + 1;
        } else {
            self.done = true;
        }
        Some(&self.text[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_every_kind_of_value() {
        for (text, end) in [
            ("42,", 2),
            ("-0.5e+3]", 7),
            (r#""a\"b\u00e9""#, 12),
            ("true", 4),
            ("null ", 4),
            (r#"{"a":[1,{"b":[]}],"c":{}} x"#, 25),
            ("[ ]", 3),
        ] {
            assert_eq!(skip_value(text.as_bytes(), 0, 1).unwrap(), end, "{text}");
        }
    }

    #[test]
    fn rejects_malformed_values() {
        for text in [
            "01",
            "-",
            "1.",
            "1e",
            "[1,]",
            "{\"a\"1}",
            "{1:2}",
            "[1 2]",
            "tru",
            "\"abc",
            "\"\\x\"",
            "{\"a\":1,}",
            "\"a\u{1}\"",
            "[",
            "]",
        ] {
            let whole = skip_value(text.as_bytes(), 0, 1).map(|end| end == text.len());
            assert!(!matches!(whole, Ok(true)), "{text} should fail");
        }
    }

    #[test]
    fn depth_is_limited_without_recursion() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            skip_value(deep.as_bytes(), 0, 1),
            Err(ProtocolError::DepthExceeded { .. })
        ));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(skip_value(ok.as_bytes(), 0, 1).is_ok());
    }

    #[test]
    fn unescapes_strings() {
        let (s, end) = read_string(br#""a\n\u00e9\ud83d\ude00\/""#, 0).unwrap();
        assert_eq!(s, "a\n\u{e9}\u{1F600}/");
        assert_eq!(end, 25);
        assert!(read_string(br#""\ud83d""#, 0).is_err());
        assert!(matches!(
            read_string(br#""plain""#, 0).unwrap().0,
            Cow::Borrowed("plain")
        ));
    }

    #[test]
    fn string_stop_finds_every_special_byte() {
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..20 {
                let mut v = vec![b'a'; 24];
                v[at] = special;
                assert_eq!(find_string_stop(&v, 0), (at, false));
                v[at + 1] = 0xc3;
                assert_eq!(
                    find_string_stop(&v, 0),
                    (at, false),
                    "non-ASCII after the stop"
                );
                if at > 0 {
                    v[at - 1] = 0xc3;
                    assert_eq!(
                        find_string_stop(&v, 0),
                        (at, true),
                        "non-ASCII before the stop"
                    );
                }
            }
        }
        assert_eq!(find_string_stop(&[0x7f, 0xc3, 0xa9, b' '], 0), (4, true));
    }

    #[test]
    fn long_strings_take_the_wide_path_correctly() {
        for len in [63, 64, 65, 200, 1024] {
            let body = "a".repeat(len);
            let plain = format!("\"{body}\"");
            assert_eq!(skip_string(plain.as_bytes(), 0), Ok((len + 2, false)));
            let escaped = format!("\"{body}\\n{body}\"");
            assert_eq!(skip_string(escaped.as_bytes(), 0), Ok((2 * len + 4, true)));
            let accented = format!("\"{body}é{body}\"");
            assert_eq!(
                skip_string(accented.as_bytes(), 0),
                Ok((2 * len + 4, false))
            );
            let mut broken = format!("\"{body}é{body}\"").into_bytes();
            broken[len + 2] = b'x'; // the lead byte of é now stands alone
            assert!(matches!(
                skip_string(&broken, 0),
                Err(ProtocolError::InvalidUtf8 { .. })
            ));
            let control = format!("\"{body}\u{1}{body}\"");
            assert!(skip_string(control.as_bytes(), 0).is_err());
            let unterminated = format!("\"{body}");
            assert!(skip_string(unterminated.as_bytes(), 0).is_err());
        }
    }

    #[test]
    fn iterates_array_elements() {
        let v: Vec<_> = ArrayElements::new(br#" [ 1 , "a,b" , {"x":[2,3]} ] "#).collect();
        assert_eq!(v, vec![&b"1"[..], br#""a,b""#, br#"{"x":[2,3]}"#]);
        assert_eq!(ArrayElements::new(b"[]").count(), 0);
    }
}
