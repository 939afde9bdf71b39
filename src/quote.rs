//! User text quoted in messages, shortened when it is long.
//!
//! Why: an error names what the user wrote (a node name, a zone, a path, an
//! axis value) so they can find it, and a name can be any length: a 500 KB
//! node name came back whole, several times, in one message. The first
//! [`HEAD_CHARS`] characters find it as well as all of it does; the message
//! then says how many bytes it left out. Every message that quotes user text
//! goes through [`short`] (a path through [`path`], whole up to `PATH_MAX`,
//! else by its tail: the file name is what tells a reader which file), so
//! they all shorten the same way; another crate's message that quotes it
//! goes through [`shorten_quoted`], and the CLI [`capped`]s whatever it
//! prints last.

use std::fmt;

/// Characters of a long text kept in a message.
pub const HEAD_CHARS: usize = 60;

/// Texts up to this many bytes are quoted whole: every name flapsim accepts
/// (128 characters at most) still reads in full.
const WHOLE_BYTES: usize = 160;

/// Paths up to this many bytes are quoted whole: the longest path Linux
/// opens (`PATH_MAX`), so only a path that cannot name a file is shortened.
const WHOLE_PATH_BYTES: usize = 4096;

/// Bytes of a longer path's tail kept: its file name (most are far shorter
/// than `NAME_MAX`, 255) and the directories before it that fit, few enough
/// that a message naming two paths stays a few lines.
pub const TAIL_PATH_BYTES: usize = 200;

/// `text` for a message: whole when short, else its first [`HEAD_CHARS`]
/// characters (cut on a character boundary), `…` and how many bytes were left
/// out. Formats without allocating.
pub fn short(text: &str) -> Short<'_> {
    Short {
        text,
        whole_bytes: WHOLE_BYTES,
        keep: Keep::Head,
    }
}

/// A path as the user gave it, for a message: whole up to `PATH_MAX` bytes,
/// else by its last [`TAIL_PATH_BYTES`] at most, from a `/` where one is
/// among them before the file name (so the kept directories are whole), after
/// how many bytes were left out and `…`: `(4800 bytes left out)
/// …/dir/scenario.yaml`. Why the tail: the file name is the part that says
/// which file; a head kept `/very/long/…` and lost it.
pub fn path_text(text: &str) -> Short<'_> {
    Short {
        text,
        whole_bytes: WHOLE_PATH_BYTES,
        keep: Keep::Tail,
    }
}

/// [`path_text`] of a path (shown lossily, as `Path::display` does).
pub fn path(p: &std::path::Path) -> String {
    path_text(&p.to_string_lossy()).to_string()
}

/// [`short`]'s value: displays the shortened text.
#[derive(Clone, Copy, Debug)]
pub struct Short<'a> {
    text: &'a str,
    whole_bytes: usize,
    keep: Keep,
}

/// Which end of a long text a message keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    /// A name or a value: its first characters find it.
    Head,
    /// A path: its file name tells which file.
    Tail,
}

/// Where the tail of `path` kept in a message starts: at most
/// [`TAIL_PATH_BYTES`] from its end, on a character boundary, and at a `/`
/// when one is there before the file name (whole directories, not half of
/// one).
fn tail_start(path: &str) -> usize {
    let earliest = path.len().saturating_sub(TAIL_PATH_BYTES);
    let start = (earliest..=path.len())
        .find(|&i| path.is_char_boundary(i))
        .unwrap_or(path.len());
    // The `/` before the file name, if it is in the tail: start at the
    // first `/` there (at it, or at one before it).
    let name_slash = path.trim_end_matches('/').rfind('/');
    match name_slash.filter(|&slash| slash >= start) {
        Some(_) => start + path[start..].find('/').unwrap_or(0),
        None => start,
    }
}

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text;
        if text.len() <= self.whole_bytes {
            return f.write_str(text);
        }
        if self.keep == Keep::Tail {
            let start = tail_start(text);
            return write!(f, "({start} bytes left out) …{}", &text[start..]);
        }
        let cut = text
            .char_indices()
            .nth(HEAD_CHARS)
            .map_or(text.len(), |(i, _)| i);
        if cut == text.len() {
            return f.write_str(text);
        }
        write!(f, "{}… ({} more bytes)", &text[..cut], text.len() - cut)
    }
}

/// A message from another crate (serde_json, serde_yaml, the protocol's
/// config table) that quotes the user's text whole: each stretch between a
/// pair of backticks or double quotes is shortened as [`short`] does, the
/// words around them are kept, and the whole is [`capped`] even when the text
/// is full of quote marks.
pub fn shorten_quoted(message: &str) -> String {
    shorten_between(message, &['`', '"'])
}

/// [`shorten_quoted`] with the quote marks the message uses (clap quotes
/// values in `'`).
pub fn shorten_between(message: &str, quotes: &[char]) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(quotes) {
        let width = rest[open..].chars().next().map_or(1, char::len_utf8);
        let quote = &rest[open..open + width];
        out.push_str(&rest[..open + quote.len()]);
        rest = &rest[open + quote.len()..];
        let Some(close) = rest.find(quote) else {
            break;
        };
        out.push_str(&short(&rest[..close]).to_string());
        out.push_str(quote);
        rest = &rest[close + quote.len()..];
    }
    out.push_str(rest);
    capped(&out).into_owned()
}

/// `message` cut to [`MESSAGE_BYTES`] (on a character boundary), with how
/// many bytes were left out: the last guard before a message is printed, for
/// user text quoted where no [`short`] was put.
pub fn capped(message: &str) -> std::borrow::Cow<'_, str> {
    if message.len() <= MESSAGE_BYTES {
        return message.into();
    }
    let cut = (0..=MESSAGE_BYTES)
        .rev()
        .find(|&i| message.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}… ({} more bytes)", &message[..cut], message.len() - cut).into()
}

/// The longest message printed whole: room for serde's longest list of
/// expected fields, not for a user's text.
pub const MESSAGE_BYTES: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: a long text is quoted by its first characters, cut on a
    /// character boundary, and the count of bytes left out.
    #[test]
    fn a_long_text_is_quoted_by_its_head_and_the_bytes_left_out() {
        let long = "é".repeat(250_000);
        let quoted = short(&long).to_string();
        assert_eq!(quoted, format!("{}… (499880 more bytes)", "é".repeat(60)));
        assert_eq!(short("n-01").to_string(), "n-01");
        let just_over = "x".repeat(WHOLE_BYTES + 1);
        assert!(short(&just_over)
            .to_string()
            .ends_with("… (101 more bytes)"));
        let long_path = format!("/{}", "d/".repeat(100));
        assert_eq!(path_text(&long_path).to_string(), long_path);
        let at_limit = "y".repeat(WHOLE_BYTES);
        assert_eq!(short(&at_limit).to_string(), at_limit);
    }

    /// Rule: a path too long to name a file is quoted by its tail, whole
    /// directories and its file name, after the count of bytes left out: the
    /// file name says which file (its head, `/very/long/…`, lost it).
    #[test]
    fn a_long_path_is_quoted_by_its_tail_with_the_file_name() {
        let long = format!("/{}dir/scenario.yaml", "very-long/".repeat(500));
        let quoted = path_text(&long).to_string();
        assert!(quoted.ends_with("/very-long/dir/scenario.yaml"), "{quoted}");
        let kept = quoted.split('…').nth(1).unwrap();
        assert!(
            kept.starts_with("/very-long/"),
            "whole directories: {quoted}"
        );
        assert!(kept.len() <= TAIL_PATH_BYTES, "{quoted}");
        let left_out = long.len() - kept.len();
        assert_eq!(quoted, format!("({left_out} bytes left out) …{kept}"));
        assert_eq!(path(std::path::Path::new(&long)), quoted);
        // A file name longer than the tail kept: its end, cut on a
        // character boundary (a trailing slash does not count as a name).
        let name = format!("/d/{}.log/", "é".repeat(3000));
        let quoted = path_text(&name).to_string();
        assert!(quoted.ends_with("éé.log/"), "{quoted}");
        assert!(quoted.split('…').nth(1).unwrap().len() <= TAIL_PATH_BYTES);
        // Names and values keep their head, as before.
        let value = "v".repeat(5000);
        assert!(short(&value).to_string().starts_with("vvv"));
    }

    /// Rule: another crate's message keeps its own words and loses only the
    /// length of what it quotes.
    #[test]
    fn a_foreign_message_keeps_its_words_and_shortens_what_it_quotes() {
        let name = "n".repeat(500_000);
        let m = shorten_quoted(&format!("unknown field `{name}`, expected one of `a`, `b`"));
        assert_eq!(
            m,
            format!(
                "unknown field `{}… (499940 more bytes)`, expected one of `a`, `b`",
                "n".repeat(60)
            )
        );
        let quotes = "`a".repeat(300_000);
        let m = shorten_quoted(&format!("invalid type: string {quotes}"));
        assert!(m.len() < MESSAGE_BYTES + 100, "{} bytes", m.len());
        let unclosed = format!("invalid type: string \"{name}");
        assert!(shorten_quoted(&unclosed).len() < MESSAGE_BYTES + 100);
        let prose = format!("`k` is not modelled ({}); remove it", "x".repeat(300));
        assert_eq!(shorten_quoted(&prose), prose);
    }
}
