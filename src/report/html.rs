//! A tiny HTML builder for self-contained reports (`report.html`).
//!
//! Why hand-rolled: the reports need a handful of elements (headings, tables,
//! preformatted text, inline SVG) and must be readable offline with no
//! JavaScript and no external fetch, which is easiest to guarantee when every
//! byte is written here: no template engine, no CDN, CSS inline in `<style>`.
//! Everything given as text is escaped; only section bodies built with this
//! module and inline SVG from the chart module are inserted as markup.

use std::fmt::Write;

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The page's style sheet: readable on screen and in print, no web fonts.
pub const CSS: &str = "\
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#1e1e1e;background:#fff;\
margin:0 auto;max-width:1240px;padding:16px 24px;line-height:1.4}\
h1{font-size:1.6em;margin:.3em 0 .1em}h2{font-size:1.25em;margin:1.4em 0 .4em;\
border-bottom:1px solid #ccc;padding-bottom:.2em}h3{font-size:1.05em;margin:1em 0 .3em}\
p.sub{color:#555;margin:0 0 1em}\
nav a{margin-right:1em}\
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}\
th,td{border:1px solid #d0d0d0;padding:3px 8px;text-align:left;vertical-align:top}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
th{background:#f0f0f0}tr:nth-child(even) td{background:#fafafa}\
pre{background:#f6f6f6;border:1px solid #ddd;padding:8px;overflow-x:auto;font-size:.85em;\
white-space:pre-wrap}\
figure{margin:.5em 0 1.5em}figure svg{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#555;font-size:.9em}\
.note{color:#555;font-size:.92em}";

/// A cell of a [`Table`]: text (escaped), right-aligned when numeric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            numeric: false,
        }
    }
    pub fn num(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            numeric: true,
        }
    }
}

/// A table with a header row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(header: Vec<Cell>) -> Table {
        Table {
            header,
            rows: Vec::new(),
        }
    }
    pub fn row(mut self, cells: Vec<Cell>) -> Table {
        self.rows.push(cells);
        self
    }
    pub fn push(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub fn to_html(&self) -> String {
        let mut s = String::from("<table>\n<thead><tr>");
        let class = |c: &Cell| if c.numeric { " class=\"n\"" } else { "" };
        for c in &self.header {
            let _ = write!(s, "<th{}>{}</th>", class(c), escape(&c.text));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.rows {
            s.push_str("<tr>");
            for c in r {
                let _ = write!(s, "<td{}>{}</td>", class(c), escape(&c.text));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody></table>\n");
        s
    }
}

/// Two-column key/value table.
pub fn key_values(rows: &[(String, String)]) -> Table {
    let mut t = Table::new(vec![Cell::text("field"), Cell::text("value")]);
    for (k, v) in rows {
        t.push(vec![Cell::text(k.clone()), Cell::text(v.clone())]);
    }
    t
}

/// The "files" table of a report page: each `(name, what it holds)` of
/// `described` whose file is in the published set `present`, in `described`'s
/// order. A name ending in `*` stands for every file it begins (`chart-*`:
/// every chart, listed once as SVG and PNG).
pub fn files_table(described: &[(&str, &str)], present: &[&str]) -> Table {
    let rows: Vec<(String, String)> = described
        .iter()
        .filter(|(name, _)| match name.strip_suffix('*') {
            Some(prefix) => present.iter().any(|f| f.starts_with(prefix)),
            None => present.contains(name),
        })
        .map(|(name, what)| {
            (
                name.replace("chart-*", "chart-*.svg, chart-*.png"),
                what.to_string(),
            )
        })
        .collect();
    key_values(&rows)
}

/// A figure holding an inline SVG chart and a caption. The SVG's XML
/// declaration, if any, is dropped (not allowed inside HTML), and so is its
/// namespace attribute: HTML puts `<svg>` in the SVG namespace by itself, and
/// the page then holds no URL at all (it promises no external references).
pub fn figure(svg: &str, caption: &str) -> String {
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    let body = body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    format!(
        "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
        body.trim_end(),
        escape(caption)
    )
}

/// Preformatted text (escaped).
pub fn pre(text: &str) -> String {
    format!("<pre>{}</pre>\n", escape(text))
}

/// A paragraph of text (escaped).
pub fn para(text: &str) -> String {
    format!("<p>{}</p>\n", escape(text))
}

/// One section of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Anchor id (letters, digits, `-`).
    pub id: String,
    pub title: String,
    /// Markup (built with the functions of this module).
    pub body: String,
}

/// A self-contained page: title, subtitle, a table of contents, sections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
}

impl Page {
    pub fn new(title: impl Into<String>, subtitle: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            subtitle: subtitle.into(),
            sections: Vec::new(),
        }
    }

    /// Add a section; `body` is markup.
    pub fn section(&mut self, id: &str, title: &str, body: String) {
        self.sections.push(Section {
            id: id.to_string(),
            title: title.to_string(),
            body,
        });
    }

    /// The whole document.
    pub fn to_html(&self) -> String {
        let mut s = String::new();
        s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(s, "<title>{}</title>", escape(&self.title));
        let _ = writeln!(s, "<style>{CSS}</style>\n</head>\n<body>");
        let _ = writeln!(s, "<h1>{}</h1>", escape(&self.title));
        if !self.subtitle.is_empty() {
            let _ = writeln!(s, "<p class=\"sub\">{}</p>", escape(&self.subtitle));
        }
        if self.sections.len() > 1 {
            s.push_str("<nav>");
            for sec in &self.sections {
                let _ = write!(
                    s,
                    "<a href=\"#{}\">{}</a>",
                    escape(&sec.id),
                    escape(&sec.title)
                );
            }
            s.push_str("</nav>\n");
        }
        for sec in &self.sections {
            let _ = writeln!(
                s,
                "<section id=\"{}\">\n<h2>{}</h2>\n{}</section>",
                escape(&sec.id),
                escape(&sec.title),
                sec.body
            );
        }
        s.push_str("</body>\n</html>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn page_is_self_contained() {
        let mut p = Page::new("T <1>", "sub");
        p.section(
            "a",
            "Alpha",
            Table::new(vec![Cell::text("k"), Cell::num("v")])
                .row(vec![Cell::text("x"), Cell::num("1")])
                .to_html(),
        );
        p.section("b", "Beta", figure("<?xml version=\"1.0\"?><svg viewBox=\"0 0 1 1\" xmlns=\"http://www.w3.org/2000/svg\"></svg>", "cap"));
        let html = p.to_html();
        assert!(html.contains("T &lt;1&gt;"));
        assert!(html.contains("<section id=\"a\">") && html.contains("<section id=\"b\">"));
        assert!(!html.contains("<?xml"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
