//! The files of a run's output set: one row each, its name and what it holds.
//!
//! Why one table: each name used to be written out wherever it was needed
//! (its writer, the publisher's list of the names it may replace, the
//! report's table of files, `chart` and the batch commands reading a run's
//! directory back), so renaming a file or changing what the report says of it
//! meant finding every copy. A comparison's directory shares two of these
//! names (its chart data and its page), and `chart` reads both kinds by them.

/// One file of a run's output set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunFile {
    /// Its name in the output directory; a name ending in `*` stands for
    /// every file it begins.
    pub name: &'static str,
    /// What it holds, as the report's table of files says.
    pub holds: &'static str,
}

pub const SUMMARY: RunFile = RunFile {
    name: "summary.json",
    holds: "every number, the digest, every effective parameter",
};

pub const EVENTS: RunFile = RunFile {
    name: "events.jsonl",
    holds: "protocol events and ground-truth changes (per-probe debug kinds only with `--events debug`)",
};

pub const LOG: RunFile = RunFile {
    name: "memberlist.log",
    holds: "log lines of the log observers, Consul 0.5 format",
};

pub const TIMESERIES: RunFile = RunFile {
    name: "timeseries.csv",
    holds: "one row per timeseries bin",
};

pub const WIRE: RunFile = RunFile {
    name: "wire.csv",
    holds:
        "every message as it is sent and as its receiver handles it (only with `--outputs …,wire`)",
};

pub const CHART_DATA: RunFile = RunFile {
    name: "chart-data.json",
    holds:
        "the aggregated data every chart and this page draw from (`flapsim chart DIR` redraws them)",
};

/// Every chart, as SVG and PNG (`chart-NAME.svg`, `chart-NAME.png`).
pub const CHARTS: RunFile = RunFile {
    name: "chart-*",
    holds: "the charts above",
};

/// The page itself (a diagnosis's page is named and described alike).
pub const REPORT: RunFile = RunFile {
    name: "report.html",
    holds: "this page",
};

/// The files the report's table lists, in its order (not the report itself:
/// the reader is looking at it).
pub const LISTED: [RunFile; 7] = [SUMMARY, EVENTS, LOG, TIMESERIES, WIRE, CHART_DATA, CHARTS];

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: the table names each file once, and only the charts' row is a
    /// pattern (the publisher matches chart images apart, by their prefix).
    #[test]
    fn each_run_file_is_named_once_and_only_the_charts_by_a_pattern() {
        let all = [LISTED.as_slice(), &[REPORT]].concat();
        for (i, f) in all.iter().enumerate() {
            assert!(
                all[..i].iter().all(|g| g.name != f.name),
                "{} twice",
                f.name
            );
            assert_eq!(f.name.ends_with('*'), *f == CHARTS, "{}", f.name);
        }
    }
}
