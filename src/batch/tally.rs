//! A whole sweep's rows aggregated as its result files take them: the
//! finished rows a resume recovers, as they are checked, then each row as it
//! is appended.
//!
//! Why: finishing read `results.jsonl` back once every run was in, and a
//! resume had already read all of it to learn which runs were finished, so
//! `sweep --resume` read and parsed every finished row twice (the second
//! pass: about a tenth of the CPU time of resuming a finished sweep, 4 s of
//! 43 s sampled at 10⁶ points). An appended row is aggregated as its line reads back, not as the
//! [`Row`] in memory, so the numbers are those a reader of the file gets (a
//! non-finite value is written `null`), byte for byte what finishing from the
//! file gave.
//!
//! What is kept is what finishing kept ([`Aggregator`]: the point being
//! aggregated, about 200 bytes per point done, the `points.csv` lines in an
//! unlinked scratch file), now held while the runs left are run.

use std::path::{Path, PathBuf};

use super::finish::{Aggregated, Aggregator};
use super::manifest::Manifest;
use super::row::Row;
use super::store::{io_error, refuse, StoreError, MANIFEST, RESULTS_JSONL};

/// The rows of a whole sweep's result files so far, aggregated.
pub struct Tally {
    dir: PathBuf,
    agg: Aggregator<Manifest>,
    /// Rows taken: the next must be this run.
    rows: usize,
}

impl Tally {
    /// Aggregate the rows of the sweep whose manifest `dir` holds, by that
    /// manifest as it reads back (what finishing has always aggregated and
    /// drawn by), with a scratch file in `dir`.
    pub fn open(dir: &Path) -> Result<Tally, StoreError> {
        let m = Manifest::read(dir).map_err(io_error)?.ok_or_else(|| {
            io_error(format!(
                "{}: vanished after it was written",
                dir.join(MANIFEST).display()
            ))
        })?;
        let agg =
            Aggregator::new(m, dir).map_err(|e| io_error(format!("{}: {e}", dir.display())))?;
        Ok(Tally {
            dir: dir.to_path_buf(),
            agg,
            rows: 0,
        })
    }

    /// Take the files' next row, which must be the next run (row `i` is run
    /// `i`, with its point and seed): a row taken twice or skipped is
    /// refused, never counted.
    pub fn push(&mut self, row: &Row) -> Result<(), StoreError> {
        self.agg
            .manifest()
            .check_row(row, self.rows)
            .map_err(|e| refuse(format!("{}: {e}", self.results().display())))?;
        self.agg
            .push(row)
            .map_err(|e| io_error(format!("{}: {e}", self.dir.display())))?;
        self.rows += 1;
        Ok(())
    }

    /// Take the row whose JSON line (with or without its newline) was just
    /// appended, as that line reads.
    pub fn push_line(&mut self, line: &str) -> Result<(), StoreError> {
        let row = Row::parse_json(line.trim_end_matches('\n')).ok_or_else(|| {
            io_error(format!(
                "{}:{}: BUG! a row as written does not read back as a result row",
                self.results().display(),
                self.rows + 1
            ))
        })?;
        self.push(&row)
    }

    /// Rows taken so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Every run's row taken: the manifest and the aggregate. Fewer rows than
    /// the sweep has runs is refused, as finishing from the file refused it.
    pub fn finish(self) -> Result<(Manifest, Aggregated), StoreError> {
        let runs = self.agg.manifest().runs;
        if self.rows != runs {
            return Err(refuse(format!(
                "{}: {} of {} runs finished; run the sweep again with --resume",
                self.dir.display(),
                self.rows,
                runs
            )));
        }
        self.agg
            .finish()
            .map_err(|e| io_error(format!("{}: {e}", self.dir.display())))
    }

    fn results(&self) -> PathBuf {
        self.dir.join(RESULTS_JSONL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::finish::conclude;
    use crate::batch::plan::{Plan, Windows};
    use crate::batch::row::{metric_index, rate_as_written, METRICS, RATES};
    use crate::batch::store::{
        read_rows, Aggregate, Existing, Results, Shard, POINTS_CSV, RESULTS_CSV, SUMMARY_TXT,
    };
    use crate::scenario::Limits;

    fn scratch_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("flapsim-tally-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// 3 x 2 points, 3 seeds: 18 runs, a point every 3 rows.
    fn plan() -> Plan {
        let text = "name: t\nscenario:\n  duration: 2m\n  cluster:\n    groups:\n      g: {count: 4, name: \"n-{}\"}\n  timeline:\n    - {at: 1m, crash: n-2}\naxes:\n  - path: suspicion_mult\n    values: [2, 3, 4]\n  - path: preset\n    values: [memberlist-2015, memberlist]\nseeds: 3\n";
        crate::batch::sweepfile::parse(text, "t.yaml", "t", Path::new("."), &Limits::default())
            .unwrap()
            .plan
    }

    /// Run `run`'s made-up row: values out of seed order, some runs without a
    /// detection, each rate what its (whole) count makes it, as a resume
    /// checks.
    fn row(plan: &Plan, run: usize) -> Row {
        let (point, seed) = plan.run_ref(run);
        let mut values: Vec<Option<f64>> = (0..METRICS.len())
            .map(|i| match METRICS[i].name {
                n if n.starts_with("detect_") && run % 4 == 1 => None,
                _ => Some(((run * 7 + i * 3) % 11) as f64 / 4.0 + point as f64),
            })
            .collect();
        let measured = Windows::new(plan).of(point).unwrap().measured();
        for (rate, count) in RATES {
            let [r, c] = [rate, count].map(|m| metric_index(m).unwrap());
            let n = values[c].unwrap().floor();
            values[c] = Some(n);
            values[r] = rate_as_written(rate, n as u64, measured);
        }
        Row {
            run,
            point,
            seed,
            digest: format!("{run:016x}"),
            values,
        }
    }

    /// Write the first `k` rows of the sweep into `dir` with no aggregation,
    /// as a sweep stopped after `k` rows leaves it.
    fn write_first(dir: &Path, plan: &Plan, k: usize) {
        write_rows(dir, plan, (0..k).map(|run| row(plan, run)));
    }

    fn write_rows(dir: &Path, plan: &Plan, rows: impl Iterator<Item = Row>) {
        let mut r = Results::open(dir, plan, Shard::WHOLE, Existing::Fresh, Aggregate::No).unwrap();
        for row in rows {
            r.append(&row).unwrap();
        }
        r.sync().unwrap();
        assert!(r.aggregated().unwrap().is_none());
    }

    /// `points.csv` and `summary.txt` concluded in `dir` from `agg`.
    fn concluded(dir: &Path, m: &Manifest, agg: Aggregated) -> (String, String) {
        conclude(dir, m, None, agg, &mut std::io::sink()).unwrap();
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        (read(POINTS_CSV), read(SUMMARY_TXT))
    }

    /// What finishing from the file gives: every row of `dir`'s finished
    /// `results.jsonl`, as it reads, aggregated.
    fn from_the_file(dir: &Path) -> (String, String) {
        let m = Manifest::read(dir).unwrap().unwrap();
        let mut agg = Aggregator::new(&m, dir).unwrap();
        for r in read_rows(dir, m.line_cap()).unwrap() {
            agg.push(&r).unwrap();
        }
        let (_, agg) = agg.finish().unwrap();
        concluded(dir, &m, agg)
    }

    /// Rule: a sweep stopped after any row (a point's first, middle or last
    /// seed; none; all; with a torn line after it) and resumed aggregates
    /// every run exactly once: its `points.csv` (each point's count of runs,
    /// medians and intervals) and `summary.txt` are those of its finished
    /// `results.jsonl` read whole, and so are its result files. A row
    /// recovered and aggregated twice, or recovered and not aggregated,
    /// changes a count and fails this.
    #[test]
    fn a_sweep_resumed_after_any_row_aggregates_every_run_once() {
        let plan = plan();
        let runs = plan.runs();
        let whole = scratch_dir("whole");
        write_first(&whole, &plan, runs);
        let want = from_the_file(&whole);
        assert!(want.0.lines().nth(1).unwrap().contains(",3,"), "{}", want.0);
        let files =
            |d: &Path| [RESULTS_CSV, RESULTS_JSONL].map(|f| std::fs::read(d.join(f)).unwrap());
        for k in 0..=runs {
            for torn in [false, true] {
                let d = scratch_dir(&format!("cut-{k}-{torn}"));
                write_first(&d, &plan, k);
                if torn {
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .open(d.join(RESULTS_JSONL))
                        .unwrap();
                    std::io::Write::write_all(&mut f, b"{\"run\":").unwrap();
                }
                let mut r = Results::open(
                    &d,
                    &plan,
                    Shard::WHOLE,
                    Existing::Resume,
                    Aggregate::AsWritten,
                )
                .unwrap();
                assert_eq!(r.done, k, "cut after {k} rows (torn: {torn})");
                for run in std::mem::take(&mut r.todo) {
                    r.append(&row(&plan, run)).unwrap();
                }
                r.sync().unwrap();
                let (m, agg) = r
                    .aggregated()
                    .unwrap()
                    .expect("a whole sweep is aggregated");
                let got = concluded(&d, &m, agg);
                assert_eq!(got, want, "cut after {k} rows (torn: {torn})");
                assert!(
                    files(&d) == files(&whole),
                    "cut after {k} rows (torn: {torn})"
                );
                std::fs::remove_dir_all(&d).unwrap();
            }
        }
        std::fs::remove_dir_all(&whole).unwrap();
    }

    /// Rule: an appended row is aggregated as its JSON line reads, not as the
    /// row in memory: a value that is not finite is written `null`, and
    /// finishing from the file never saw it.
    #[test]
    fn an_appended_row_is_aggregated_as_its_line_reads() {
        let plan = plan();
        let with_nan = |run: usize| {
            let mut r = row(&plan, run);
            if run == 7 {
                r.values[0] = Some(f64::NAN);
            }
            r
        };
        let file = scratch_dir("nan-file");
        write_rows(&file, &plan, (0..plan.runs()).map(with_nan));
        let d = scratch_dir("nan");
        let mut r = Results::open(
            &d,
            &plan,
            Shard::WHOLE,
            Existing::Fresh,
            Aggregate::AsWritten,
        )
        .unwrap();
        for run in std::mem::take(&mut r.todo) {
            r.append(&with_nan(run)).unwrap();
        }
        let (m, agg) = r.aggregated().unwrap().unwrap();
        assert_eq!(concluded(&d, &m, agg), from_the_file(&file));
        std::fs::remove_dir_all(&d).unwrap();
        std::fs::remove_dir_all(&file).unwrap();
    }

    /// Rule: a metric that is not a finite number is written as no value in
    /// both result files (empty in the CSV, `null` in the JSON), so a resume
    /// counts its row finished. It was `NaN` in the CSV against `null` in the
    /// JSON: the files disagreed, and every resume cut that row and every
    /// row after it, and ran them all again.
    #[test]
    fn a_row_with_a_value_that_is_not_finite_counts_as_finished_on_resume() {
        let plan = plan();
        let d = scratch_dir("nan-resume");
        let rows = (0..plan.runs()).map(|run| {
            let mut r = row(&plan, run);
            if run == 4 {
                r.values[0] = Some(f64::NAN);
                r.values[1] = Some(f64::INFINITY);
            }
            r
        });
        write_rows(&d, &plan, rows);
        let csv = std::fs::read_to_string(d.join(RESULTS_CSV)).unwrap();
        assert!(!csv.contains("NaN") && !csv.contains("inf"), "{csv}");
        let r = Results::open(&d, &plan, Shard::WHOLE, Existing::Resume, Aggregate::No).unwrap();
        assert_eq!((r.done, r.todo.len()), (plan.runs(), 0));
        drop(r);
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// Rule: the tally takes the files' rows in run order, each once: a row
    /// given again, or after a skipped one, is refused (bad input naming
    /// results.jsonl) and not counted, and fewer rows than runs is refused
    /// when finishing.
    #[test]
    fn a_row_taken_twice_or_skipped_is_refused_not_counted() {
        let plan = plan();
        let d = scratch_dir("refused");
        write_first(&d, &plan, 0);
        let mut t = Tally::open(&d).unwrap();
        t.push(&row(&plan, 0)).unwrap();
        let again = t.push(&row(&plan, 0)).unwrap_err();
        assert!(again.bad_input);
        assert!(
            again.message.contains("results.jsonl: row 2 is run 0"),
            "{}",
            again.message
        );
        let skipped = t.push(&row(&plan, 2)).unwrap_err();
        assert!(skipped.message.contains("not run 1"), "{}", skipped.message);
        assert_eq!(t.rows(), 1);
        let short = t.finish().err().unwrap();
        assert!(
            short.message.contains("1 of 18 runs finished"),
            "{}",
            short.message
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
