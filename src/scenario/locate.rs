//! Find the line of a field path (`timeline[3].nodes`) in YAML text.
//!
//! Why: semantic errors (an unknown node name, a window that ends before it
//! starts) are found after serde has thrown its position information away. Rather
//! than carrying spans through every type, we re-find the field by scanning the
//! text's block structure: indentation, `key:` and `- ` items. Flow collections
//! (`{...}`, `[...]`) are not descended into; a key inside one is found by a plain
//! text search on the enclosing line, and failing that the enclosing key's line is
//! reported. Best effort by design: it never fails, it only gets less precise.

/// One structural mark on a line: a list item dash or a mapping key.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    /// 0-based line index.
    line: usize,
    /// 0-based column.
    col: usize,
    /// `None` for a list item (`- `), the key otherwise.
    key: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
                let mut num = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    num.push(d);
                }
                if let Ok(n) = num.parse() {
                    out.push(Seg::Index(n));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Seg::Key(cur));
    }
    out
}

/// The key at the start of `rest` (`name:` followed by space or end), if any.
fn leading_key(rest: &str) -> Option<String> {
    let rest = rest.trim_end();
    let bytes = rest.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    // Quoted key.
    if bytes[0] == b'"' || bytes[0] == b'\'' {
        let q = bytes[0] as char;
        let end = rest[1..].find(q)? + 1;
        let after = &rest[end + 1..];
        return if after.starts_with(':') {
            Some(rest[1..end].to_string())
        } else {
            None
        };
    }
    if matches!(
        bytes[0],
        b'{' | b'[' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
    ) {
        return None;
    }
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            let key = rest[..i].trim_end();
            return (!key.is_empty()).then(|| key.to_string());
        }
        if bytes[i] == b' ' && i + 1 < bytes.len() && bytes[i + 1] == b'#' {
            return None;
        }
        i += 1;
    }
    None
}

fn scan(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    // While inside a block scalar (`description: |`), lines indented deeper than
    // this column are text, not structure.
    let mut block_scalar_col: Option<usize> = None;
    for (lineno, raw_line) in text.lines().enumerate() {
        let trimmed = raw_line.trim_start();
        let indent = raw_line.len() - trimmed.len();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(c) = block_scalar_col {
            if indent > c {
                continue;
            }
            block_scalar_col = None;
        }
        if trimmed.starts_with('#') || trimmed.starts_with("---") || trimmed.starts_with("...") {
            continue;
        }
        let mut col = indent;
        let mut rest = trimmed;
        loop {
            if rest == "-" || rest.starts_with("- ") {
                out.push(Entry {
                    line: lineno,
                    col,
                    key: None,
                });
                let after = &rest[1..];
                let skipped = after.len() - after.trim_start().len();
                col += 1 + skipped;
                rest = after.trim_start();
                continue;
            }
            break;
        }
        if let Some(key) = leading_key(rest) {
            let value = rest[rest.find(':').map_or(rest.len(), |i| i + 1)..].trim();
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar_col = Some(col);
            }
            out.push(Entry {
                line: lineno,
                col,
                key: Some(key),
            });
        }
    }
    out
}

/// The 1-based (line, column) of `path` in `text`, or the closest enclosing field
/// that could be found. `None` only if not even the first segment is present.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let entries = scan(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut lo = 0usize;
    let mut hi = entries.len();
    // Column of the parent and whether it is a key (list items may sit at the
    // same column as their parent key).
    let mut parent: Option<(usize, bool)> = None;
    let mut best: Option<(usize, usize)> = None;
    for seg in parse_path(path) {
        match seg {
            Seg::Key(name) => {
                let min_col = parent.map_or(0, |(c, _)| c + 1);
                let Some(child_col) = entries[lo..hi]
                    .iter()
                    .find(|e| e.col >= min_col)
                    .map(|e| e.col)
                else {
                    return inline(&lines, best, &name);
                };
                let found = (lo..hi).find(|&i| {
                    entries[i].col == child_col && entries[i].key.as_deref() == Some(&name)
                });
                let Some(i) = found else {
                    return inline(&lines, best, &name);
                };
                let end = (i + 1..hi)
                    .find(|&j| {
                        entries[j].col < child_col
                            || (entries[j].col == child_col && entries[j].key.is_some())
                    })
                    .unwrap_or(hi);
                best = Some((entries[i].line + 1, entries[i].col + 1));
                lo = i + 1;
                hi = end;
                parent = Some((child_col, true));
            }
            Seg::Index(n) => {
                let min_col = match parent {
                    None => 0,
                    Some((c, true)) => c,
                    Some((c, false)) => c + 1,
                };
                let Some(item_col) = entries[lo..hi]
                    .iter()
                    .find(|e| e.key.is_none() && e.col >= min_col)
                    .map(|e| e.col)
                else {
                    return best;
                };
                let items: Vec<usize> = (lo..hi)
                    .filter(|&i| entries[i].key.is_none() && entries[i].col == item_col)
                    .collect();
                let Some(&i) = items.get(n) else {
                    return best;
                };
                let end = (i + 1..hi)
                    .find(|&j| entries[j].col <= item_col)
                    .unwrap_or(hi);
                best = Some((entries[i].line + 1, entries[i].col + 1));
                lo = i + 1;
                hi = end;
                parent = Some((item_col, false));
            }
        }
    }
    best
}

/// A key inside a flow mapping on the line of `best`: `servers: {count: 0, …}`.
fn inline(lines: &[&str], best: Option<(usize, usize)>, name: &str) -> Option<(usize, usize)> {
    let (line, col) = best?;
    let text = lines.get(line - 1)?;
    let start = col.saturating_sub(1);
    let needle = format!("{name}:");
    let hay = text.get(start..)?;
    let mut from = 0;
    while let Some(i) = hay[from..].find(&needle) {
        let at = from + i;
        let prev = hay[..at].chars().last();
        if matches!(prev, None | Some(' ' | '{' | ',')) {
            return Some((line, start + at + 1));
        }
        from = at + needle.len();
    }
    best
}

/// Nesting depth of the YAML text (block indentation levels plus flow brackets),
/// computed cheaply so absurdly nested input is refused before serde sees it.
pub fn nesting_depth(text: &str) -> usize {
    line_depths(text).map(|(_, depth)| depth).max().unwrap_or(0)
}

/// The first line (1-based) nested deeper than `limit`, with its depth: where
/// a refusal of a too-deep file points the reader.
pub fn first_deeper_than(text: &str, limit: usize) -> Option<(usize, usize)> {
    line_depths(text).find(|&(_, depth)| depth > limit)
}

/// Each structural line's number (1-based) and nesting depth (see
/// [`nesting_depth`]); blank and comment lines are left out.
fn line_depths(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut stack: Vec<usize> = Vec::new();
    text.lines().enumerate().filter_map(move |(i, line)| {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return None;
        }
        let indent = line.len() - trimmed.len();
        while stack.last().is_some_and(|&c| c >= indent) {
            stack.pop();
        }
        stack.push(indent);
        let dashes = trimmed
            .split_inclusive(' ')
            .take_while(|w| w.trim() == "-")
            .count();
        let mut flow = 0usize;
        let mut flow_max = 0usize;
        let mut quote: Option<char> = None;
        for c in trimmed.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '"' | '\'' => quote = Some(c),
                    '#' => break,
                    '{' | '[' => {
                        flow += 1;
                        flow_max = flow_max.max(flow);
                    }
                    '}' | ']' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
        }
        Some((i + 1, stack.len() + dashes + flow_max))
    })
}

/// The line (1-based) where a second YAML document begins: a `---` or `...`
/// marker at the start of a line after the first document's content. serde_yaml
/// refuses such a file without saying where; this says where.
pub fn second_document_line(text: &str) -> Option<usize> {
    let mut content = false;
    for (i, line) in text.lines().enumerate() {
        let is_marker = |m: &str| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '#']))
        };
        if is_marker("---") || is_marker("...") {
            if content {
                return Some(i + 1);
            }
            continue;
        }
        let trimmed = line.trim_start();
        if !(trimmed.is_empty() || trimmed.starts_with('#') || line.starts_with('%')) {
            content = true;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
name: x   # comment
description: |
  nodes:
    - not structure
cluster:
  groups:
    servers: {count: 3, name: \"s-{:02}\", zone: a}
    agents:
      count: 36
      name: a-{:02}
timeline:
- at: 1m
  crash: s-01
- at: 2m
  partition:
    from: [a-01]
    to: servers
faults:
  - nodes: a-01
    pause:
      every: 90s
  - nodes: a-02
    slow: {cost: 1ms}
";

    #[test]
    fn keys_items_and_nesting_are_found() {
        assert_eq!(locate(DOC, "name"), Some((1, 1)));
        assert_eq!(locate(DOC, "cluster.groups.agents.count"), Some((9, 7)));
        assert_eq!(locate(DOC, "timeline[0]"), Some((12, 1)));
        assert_eq!(locate(DOC, "timeline[1].partition.to"), Some((17, 5)));
        assert_eq!(locate(DOC, "faults[1].nodes"), Some((22, 5)));
        assert_eq!(locate(DOC, "faults[0].pause.every"), Some((21, 7)));
    }

    #[test]
    fn block_scalars_are_not_structure() {
        // `nodes:` inside the description must not be mistaken for a key.
        assert_eq!(locate(DOC, "nodes"), None);
    }

    #[test]
    fn flow_keys_resolve_on_their_line() {
        assert_eq!(locate(DOC, "cluster.groups.servers.count"), Some((7, 15)));
        assert_eq!(locate(DOC, "faults[1].slow.cost"), Some((23, 12)));
        // Missing deeper segments fall back to the deepest one found.
        assert_eq!(locate(DOC, "timeline[1].partition.from[0]"), Some((16, 5)));
    }

    #[test]
    fn depth_counts_indentation_and_brackets() {
        assert_eq!(nesting_depth("a: 1\n"), 1);
        assert!(nesting_depth("a: [[[[1]]]]\n") >= 5);
        let deep: String = (0..80).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(nesting_depth(&deep) > 64);
        assert_eq!(first_deeper_than(&deep, 64), Some((65, 65)));
        assert_eq!(first_deeper_than("a: 1\n", 64), None);
    }

    #[test]
    fn a_second_document_is_found_at_its_marker_line() {
        assert_eq!(second_document_line("a: 1\n---\nb: 2\n"), Some(2));
        assert_eq!(second_document_line("---\na: 1\n...\n"), Some(3));
        assert_eq!(second_document_line("# c\n---\na: 1\n"), None);
        assert_eq!(second_document_line("a: |\n  ---\n  x\n"), None);
        assert_eq!(second_document_line("a: ---x\n"), None);
    }
}
