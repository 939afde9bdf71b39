//! `flapsim diagnose LOG… [--out DIR] [--since T] [--until T]`: flags → options,
//! the diagnosis, its files published as one set, the text printed.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::args::DiagnoseArgs;
use super::Failure;
use crate::diagnose::{self, report, suggest, time, Options};
use crate::report::{files, Content, Publisher};
use crate::units::parse_duration;

/// Largest --max-nodes (the collector keeps a nodes × nodes bit matrix).
const MAX_NODES: usize = 100_000;

fn options(args: &DiagnoseArgs) -> Result<Options, Failure> {
    let bad = |m: String| Failure::bad_input(m);
    let (zone, file_zones) = zones(args)?;
    let instant = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|s| time::parse_instant(s, zone).map_err(|e| bad(format!("{flag}: {e}"))))
            .transpose()
    };
    let since = instant("--since", &args.since)?;
    let until = instant("--until", &args.until)?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(bad("--since must be before --until".into()));
        }
    }
    let flap_timeout =
        parse_duration(&args.flap_timeout).map_err(|e| bad(format!("--flap-timeout: {e}")))?;
    if flap_timeout == 0 {
        return Err(bad("--flap-timeout must be more than 0".into()));
    }
    if args.max_nodes == 0 || args.max_nodes > MAX_NODES {
        return Err(bad(format!("--max-nodes: expected 1 to {MAX_NODES}")));
    }
    if args.max_gzip_ratio == 0 {
        return Err(bad("--max-gzip-ratio: expected 1 or more".into()));
    }
    let mut observers = Vec::new();
    for o in &args.observers {
        let (file, name) = match o.rsplit_once('=') {
            Some((f, n)) => (Some(f.to_string()), n),
            None => (None, o.as_str()),
        };
        let shown = flag_value(o);
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(bad(format!(
                "--observer `{shown}`: expected NAME or FILE=NAME"
            )));
        }
        if file.is_none() && args.logs.len() != 1 {
            return Err(bad(format!(
                "--observer `{shown}`: with several inputs, say which file: --observer FILE=NAME"
            )));
        }
        if let Some(f) = &file {
            if !args.logs.iter().any(|l| l.display().to_string() == *f) {
                return Err(bad(format!(
                    "--observer `{shown}`: `{}` is not one of the inputs given",
                    crate::quote::path_text(f)
                )));
            }
        }
        observers.push((file, name.to_string()));
    }
    Ok(Options {
        zone,
        file_zones,
        since,
        until,
        observers,
        flap_timeout,
        max_nodes: args.max_nodes,
        max_gzip_ratio: args.max_gzip_ratio,
    })
}

/// A `[FILE=]VALUE` flag's value for a message: FILE as a path
/// ([`crate::quote::path_text`]), VALUE shortened ([`crate::quote::short`]).
/// Why: a 100 KB value came back whole in the message refusing it.
fn flag_value(v: &str) -> String {
    match v.rsplit_once('=') {
        Some((file, value)) => format!(
            "{}={}",
            crate::quote::path_text(file),
            crate::quote::short(value)
        ),
        None => crate::quote::short(v).to_string(),
    }
}

/// `--log-zone [FILE=]ZONE`…: the zone of every file (one ZONE at most,
/// UTC when none), and each FILE=ZONE (FILE is checked against the files read).
fn zones(args: &DiagnoseArgs) -> Result<(i64, Vec<(String, i64)>), Failure> {
    let bad = |m: String| Failure::bad_input(m);
    let mut global: Option<(&str, i64)> = None;
    let mut per_file: Vec<(String, i64)> = Vec::new();
    for z in &args.log_zone {
        let shown = flag_value(z);
        // A zone never holds `=`: what is before the last one is a file.
        match z.rsplit_once('=') {
            Some((file, zone)) => {
                if file.is_empty() {
                    return Err(bad(format!(
                        "--log-zone `{shown}`: expected OFFSET or FILE=OFFSET (no file before `=`)"
                    )));
                }
                let zone = time::parse_zone(zone)
                    .map_err(|e| bad(format!("--log-zone `{shown}`: {e}")))?;
                if let Some((_, other)) = per_file.iter().find(|(f, o)| f == file && *o != zone) {
                    return Err(bad(format!(
                        "--log-zone `{shown}`: {} was given {} already",
                        crate::quote::path_text(file),
                        time::format_zone(*other)
                    )));
                }
                per_file.push((file.to_string(), zone));
            }
            None => {
                let zone =
                    time::parse_zone(z).map_err(|e| bad(format!("--log-zone `{shown}`: {e}")))?;
                if let Some((first, _)) = global.filter(|g| g.1 != zone) {
                    return Err(bad(format!(
                        "--log-zone given twice for every file (`{}` and `{shown}`): give one, and FILE=OFFSET for the files in another zone",
                        crate::quote::short(first)
                    )));
                }
                global = Some((z, zone));
            }
        }
    }
    Ok((global.map_or(0, |g| g.1), per_file))
}

pub fn diagnose_cmd(args: &DiagnoseArgs) -> Result<(), Failure> {
    let opt = options(args)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join("diagnose"));
    // An existing --out holding anything flapsim did not write (the logs'
    // own directory, say) is refused here, untouched: publishing replaces it.
    let stop = Arc::new(AtomicBool::new(false));
    let mut publisher = Publisher::begin(&out_dir, stop)
        .map_err(|e| Failure::bad_input(crate::report::publish::out_refusal(&out_dir, &e)))?;
    let d = diagnose::diagnose(&args.logs, opt).map_err(|e| Failure::bad_input(e.0))?;
    let text = report::text(&d);
    let yaml = suggest::diagnosed_yaml(&d);
    let charts = if args.no_charts {
        Vec::new()
    } else {
        report::charts(&d).map_err(|e| Failure::failed(format!("drawing the charts: {e}")))?
    };
    let summary = report::summary_json(&d);
    let mut names = vec!["diagnosis.txt", "diagnosed.yaml"];
    names.extend(charts.iter().map(|(n, _)| n.as_str()));
    names.extend([files::REPORT.name, files::SUMMARY.name]);
    let html = diagnose::page::html(&summary, &charts, &yaml, &names);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("diagnosis.txt".into(), text.clone().into_bytes()),
        ("diagnosed.yaml".into(), yaml.into_bytes()),
    ];
    files.extend(charts);
    files.push((files::REPORT.name.into(), html.into_bytes()));
    // summary.json last: it marks the set complete, as for a run.
    files.push((files::SUMMARY.name.into(), summary));
    let io = |e: std::io::Error| {
        Failure::failed(format!("writing {}: {e}", crate::quote::path(&out_dir)))
    };
    for (name, bytes) in files {
        publisher.add(&name, Content::Bytes(bytes)).map_err(io)?;
    }
    publisher.commit().map_err(io)?;
    if !args.quiet {
        say!("{text}\noutputs in {}", crate::quote::path(&out_dir));
    }
    Ok(())
}
