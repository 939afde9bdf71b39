//! Where a field of a JSON file is: the line and column of the value at a path
//! (`timeline.rows[3].suspect`), and the path of the value at a position.
//!
//! Why: `chart-data.json` is checked after serde has parsed it, when the
//! positions are gone, and serde's own errors give a position but no field.
//! Rather than carry spans through every type, the text is scanned again, on
//! the error path only. Best effort by design: on text it cannot follow it
//! answers `None`, and the message loses its line, not its field.

/// One step of a path: an object's key or an array's index.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(Vec<u8>),
    Index(usize),
}

/// Deeper than this the scan gives up (serde_json itself refuses 128 levels).
const MAX_DEPTH: usize = 256;

/// `a.b[3].c` → its steps; `None` for a path this module does not write.
fn parse_path(path: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return None;
        }
        segs.push(Seg::Key(key.as_bytes().to_vec()));
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            segs.push(Seg::Index(inner[..close].parse().ok()?));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(segs)
}

fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&String::from_utf8_lossy(k));
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// 1-based line and column of the value at `path` (as the checks write it:
/// `flap_rate.hosts[0].credits[7]`) in `text`.
pub fn position_of(text: &[u8], path: &str) -> Option<(usize, usize)> {
    let target = parse_path(path)?;
    let mut found = None;
    walk(text, &mut |at: &[Seg], start, _end| {
        if at == target.as_slice() {
            found = Some(start);
            return true;
        }
        false
    });
    found.map(|offset| line_and_column(text, offset))
}

/// The path of the innermost value whose text holds byte `offset` (`None`
/// when the text cannot be followed that far, or for the whole document).
pub fn path_at(text: &[u8], offset: usize) -> Option<String> {
    let mut found = None;
    // Values are visited innermost first, so the first one holding the
    // offset is the innermost.
    walk(text, &mut |at: &[Seg], start, end| {
        if (start..end).contains(&offset) {
            found = Some(render(at));
            return true;
        }
        false
    });
    found.filter(|p| !p.is_empty())
}

/// Byte offset of 1-based `line` and `column` (serde_json's position).
pub fn offset_of(text: &[u8], line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text.get(start..)?.iter().position(|&b| b == b'\n')? + 1;
    }
    Some(start + column.saturating_sub(1))
}

fn line_and_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Visit every value of `text`, innermost first, with its path and byte span,
/// until `visit` says stop (returns true). Stops quietly on text that is not
/// JSON.
fn walk(text: &[u8], visit: &mut dyn FnMut(&[Seg], usize, usize) -> bool) {
    let mut w = Walker {
        text,
        at: 0,
        path: Vec::new(),
        visit,
    };
    let _ = w.value(0);
}

/// Why a walk ended early: the visitor found what it looked for, or the text
/// is not JSON there.
enum Halt {
    Found,
    Malformed,
}

struct Walker<'a, 'v> {
    text: &'a [u8],
    at: usize,
    path: Vec<Seg>,
    visit: &'v mut dyn FnMut(&[Seg], usize, usize) -> bool,
}

impl Walker<'_, '_> {
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.text.get(self.at) {
            if !b.is_ascii_whitespace() {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    fn expect(&mut self, byte: u8) -> Result<(), Halt> {
        if self.peek() != Some(byte) {
            return Err(Halt::Malformed);
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<(), Halt> {
        if depth > MAX_DEPTH {
            return Err(Halt::Malformed);
        }
        let start = match self.peek() {
            Some(_) => self.at,
            None => return Err(Halt::Malformed),
        };
        match self.text[start] {
            b'{' => self.object(depth)?,
            b'[' => self.array(depth)?,
            b'"' => {
                self.string()?;
            }
            _ => self.scalar()?,
        }
        if (self.visit)(&self.path, start, self.at) {
            return Err(Halt::Found);
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<(), Halt> {
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(Halt::Malformed);
            }
            let key = self.string()?;
            self.expect(b':')?;
            self.path.push(Seg::Key(key));
            self.value(depth + 1)?;
            self.path.pop();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Halt::Malformed),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), Halt> {
        self.expect(b'[')?;
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            self.path.push(Seg::Index(index));
            self.value(depth + 1)?;
            self.path.pop();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Halt::Malformed),
            }
            index += 1;
        }
    }

    /// A string's raw bytes between its quotes (escapes left as written: the
    /// keys compared are plain).
    fn string(&mut self) -> Result<Vec<u8>, Halt> {
        self.expect(b'"')?;
        let start = self.at;
        while let Some(&b) = self.text.get(self.at) {
            match b {
                b'"' => {
                    self.at += 1;
                    return Ok(self.text[start..self.at - 1].to_vec());
                }
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        Err(Halt::Malformed)
    }

    /// A number, `true`, `false` or `null`: up to the next delimiter.
    fn scalar(&mut self) -> Result<(), Halt> {
        let start = self.at;
        while let Some(&b) = self.text.get(self.at) {
            if b.is_ascii_whitespace() || matches!(b, b',' | b'}' | b']' | b':') {
                break;
            }
            self.at += 1;
        }
        if self.at == start {
            return Err(Halt::Malformed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\"a\": 1,\n \"b\": {\"c\": [10, {\"d\": \"x\\\"y\"}],\n  \"e\": -5}}";

    /// Rule: a checked field's message carries the line of its value, in a
    /// file written on one line or pretty-printed.
    #[test]
    fn a_path_is_found_at_its_values_line_and_column() {
        let t = TEXT.as_bytes();
        assert_eq!(position_of(t, "a"), Some((1, 7)));
        assert_eq!(position_of(t, "b.c[1].d"), Some((2, 24)));
        assert_eq!(position_of(t, "b.e"), Some((3, 8)));
        assert_eq!(position_of(t, "b.c[2]"), None);
        assert_eq!(position_of(t, "b..c"), None);
    }

    /// Rule: serde's errors (a position, no field) are given the field of
    /// the innermost value at that position.
    #[test]
    fn a_position_is_named_by_the_innermost_value_there() {
        let t = TEXT.as_bytes();
        let at = |line, col| path_at(t, offset_of(t, line, col).unwrap());
        assert_eq!(at(3, 9).as_deref(), Some("b.e"));
        assert_eq!(at(2, 14).as_deref(), Some("b.c[0]"));
        assert_eq!(at(2, 10).as_deref(), Some("b"));
        assert_eq!(at(2, 30).as_deref(), Some("b.c[1]"));
        // Truncated text: nothing closes, so nothing is named.
        assert_eq!(path_at(&t[..20], 15), None);
    }
}
