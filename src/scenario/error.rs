//! One error type for everything a scenario can get wrong.
//!
//! Why one shape: an SRE fixing a file wants `file:line:col: field: what is wrong`,
//! the same shape compilers use, so editors can jump to it. serde_yaml's own errors
//! are reshaped into it; semantic errors get their line from [`super::locate`].

use std::fmt;

/// A bad scenario: where it is and what is wrong. Nothing was run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// File label (path as given), or `command line` for a bad flag.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Field path (`timeline[3].nodes`), or the flag (`--set seed=x`); may be empty.
    pub field: String,
    /// What is wrong, and where possible what is expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    /// The file and the field are the user's text (a path as given, a
    /// field path holding a node's name, a `--set` flag): quoted shortened.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::quote::path_text(&self.file))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.field.is_empty() {
            write!(f, ": {}", crate::quote::short(&self.field))?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    /// An error with no position (whole-file problems, unreadable files).
    pub fn whole_file(file: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_string(),
            line: None,
            column: None,
            field: String::new(),
            message: message.into(),
        }
    }

    /// A bad command-line flag (`--preset`, `--set k=v`, `--seed`).
    pub fn flag(flag: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            file: "command line".to_string(),
            line: None,
            column: None,
            field: flag.into(),
            message: message.into(),
        }
    }

    /// [`Self::from_yaml`] for an error in `text`: where serde_yaml gives no
    /// position (a file of several documents), the line is found in the text.
    pub fn from_yaml_in(file: &str, text: &str, e: &serde_yaml::Error) -> Self {
        let mut err = Self::from_yaml(file, e);
        if err.line.is_none() && err.message.contains("more than one document") {
            if let Some(line) = super::locate::second_document_line(text) {
                err.line = Some(line);
                err.message =
                    "a second YAML document starts here (`---` or `...`); the file must hold one"
                        .into();
            }
        }
        err
    }

    /// Reshape a serde_yaml error (`path: message at line L column C`).
    pub fn from_yaml(file: &str, e: &serde_yaml::Error) -> Self {
        let text = e.to_string();
        // serde_yaml appends " at line L column C" when it knows the location.
        let body = match text.rfind(" at line ") {
            Some(i) if e.location().is_some() => &text[..i],
            _ => text.as_str(),
        };
        let (field, message) = split_path(body);
        let (line, column) = match e.location() {
            Some(l) => (Some(l.line()), Some(l.column())),
            None => (None, None),
        };
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            field: field.to_string(),
            // serde_yaml quotes the user's key or value whole.
            message: crate::quote::shorten_quoted(&polish(message)),
        }
    }
}

/// serde_yaml prefixes a field path (`network.default.loss: …`); split it off. A
/// prefix counts as a path only if it looks like one (no spaces), so messages such
/// as `invalid type: string …` stay whole.
fn split_path(body: &str) -> (&str, &str) {
    if let Some(i) = body.find(": ") {
        let head = &body[..i];
        let looks_like_path = !head.is_empty()
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c));
        if looks_like_path {
            return (head, &body[i + 2..]);
        }
    }
    ("", body)
}

/// Small rewordings of serde's messages for a reader who does not know serde.
fn polish(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // "unknown field `x`, expected one of `a`, `b`" → keep, but say what to do.
        return format!("unknown field {rest} (check the spelling; see the README)");
    }
    let mut m = message.to_string();
    for (rust, human) in [
        ("expected u64", "expected a whole number >= 0"),
        ("expected u32", "expected a whole number >= 0"),
        ("expected u16", "expected a whole number >= 0"),
        ("expected f64", "expected a number"),
    ] {
        m = m.replace(rust, human);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_the_compiler_shape() {
        let e = ScenarioError {
            file: "scenarios/x.yaml".into(),
            line: Some(14),
            column: Some(5),
            field: "network.default.loss".into(),
            message: "1.5 is not a probability (expected 0..1)".into(),
        };
        assert_eq!(
            e.to_string(),
            "scenarios/x.yaml:14:5: network.default.loss: 1.5 is not a probability (expected 0..1)"
        );
        let f = ScenarioError::flag("--preset", "unknown preset");
        assert_eq!(f.to_string(), "command line: --preset: unknown preset");
    }

    #[test]
    fn serde_paths_are_split_but_messages_with_colons_are_not() {
        assert_eq!(split_path("a.b[2].c: bad"), ("a.b[2].c", "bad"));
        assert_eq!(
            split_path("invalid type: string, expected u32"),
            ("", "invalid type: string, expected u32")
        );
    }
}
