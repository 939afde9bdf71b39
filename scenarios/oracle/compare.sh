#!/bin/sh
# Run one fault model through the real memberlist (the oracle in ../shared/oracle)
# and through flapsim, and print the oracle's figures side by side.
#
# usage: scenarios/oracle/compare.sh GENERATION SCENARIO [VARIANT]
#   GENERATION  2015 | 0.2.2
#   SCENARIO    2015:  s0-n32 | s1-delay | s3-freeze8s | s4-freeze4s
#               0.2.2: s0-n16 | s0-n32 | s1-delay | s2-loss | s2x-loss-notcpping | s3-freeze
#   VARIANT     0.2.2 only: lifeguard (default) | nolifeguard
#
# env (defaults in brackets):
#   DUR [600s]     measured time per run, on both sides (flapsim: --set duration)
#   RUNS [1]       oracle runs, started at once (each takes DUR of wall time)
#   SEEDS [10]     flapsim seeds
#   ORACLE_SEED [101]  fault seed of the first oracle run (+1 per run)
#   ORACLE [<this repo>/../shared/oracle]   the oracle folder
#   WORK [/tmp/flapsim-oracle]              binaries, source trees and runs
#   MEMBERLIST_GIT  a clone of github.com/hashicorp/memberlist for the 2015
#                  source (default: cloned into $WORK/memberlist.git)
#   NICE [0]       nice level of the oracle processes
#
# The oracle is real time and sensitive to CPU contention: short runs, or runs
# on a busy machine, are not reference numbers (see the oracle README, "Caveats").
# It needs: golang-go, golang-github-hashicorp-memberlist-dev,
# golang-github-hashicorp-go-msgpack-dev, golang-github-armon-go-metrics-dev,
# git, patch, python3 (Debian 12 packages; see the oracle README, "Setup").
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GEN=$1
SC=$2
VARIANT=$3
if [ "$1" = 0.2.2 ]; then VARIANT=${VARIANT:-lifeguard}; fi
DUR=${DUR:-600s}
RUNS=${RUNS:-1}
SEEDS=${SEEDS:-10}
ORACLE_SEED=${ORACLE_SEED:-101}
if [ -z "$ORACLE" ]; then   # ../shared/oracle from the flapsim root (or one level up)
  for d in "$ROOT/../shared/oracle" "$ROOT/../../shared/oracle"; do
    [ -d "$d" ] && ORACLE=$(cd "$d" && pwd) && break
  done
fi
WORK=${WORK:-/tmp/flapsim-oracle}
NICE=${NICE:-0}

die() { echo "compare.sh: $*" >&2; exit 2; }
[ -n "$GEN" ] && [ -n "$SC" ] || die "usage: $0 2015|0.2.2 SCENARIO [lifeguard|nolifeguard]"
[ -n "$ORACLE" ] && [ -d "$ORACLE" ] || die "no oracle folder found (set ORACLE=/path/to/shared/oracle)"
for tool in go python3; do
  command -v $tool >/dev/null 2>&1 || die "'$tool' is not installed (see the oracle README, Setup)"
done

HOLD=   # seconds held per 30 s in the freeze scenarios (wire_reach.py)
case "$SC" in
  s0-n16) N=16; ARGS="-scenario none" ;;
  s0-n32) N=32; ARGS="-scenario none" ;;
  s1-delay) N=32; ARGS="-scenario delay -delay-lo 300ms -delay-hi 900ms" ;;
  s2-loss) N=32; ARGS="-scenario loss -loss 0.3" ;;
  s2x-loss-notcpping) N=32; ARGS="-scenario loss -loss 0.3 -no-tcp-ping" ;;
  s3-freeze|s3-freeze8s) N=32; ARGS="-scenario freeze -freeze-period 30s -freeze-dur 8s"; HOLD=8 ;;
  s4-freeze4s) N=32; ARGS="-scenario freeze -freeze-period 30s -freeze-dur 4s"; HOLD=4 ;;
  *) die "unknown scenario '$SC'" ;;
esac

mkdir -p "$WORK/bin"
case "$GEN" in
  2015)
    [ -z "$VARIANT" ] || die "2015 has no variants (lifeguard/nolifeguard are 0.2.2's)"
    FILE="$HERE/ml2015-$SC.yaml"
    BIN="$WORK/bin/ml2015harness"
    # Traced, as the reference runs A-C were: the suspicion-reach rows
    # (trace_suspect_reach.py) come from trace.csv.
    ARGS="$ARGS -trace"
    if [ ! -x "$BIN" ]; then
      export ML2015_GOPATH="$WORK/gopath2015" GOCACHE="$WORK/gocache"
      if [ ! -f "$ML2015_GOPATH/src/github.com/hashicorp/memberlist/harness_net.go" ]; then
        SRC=${MEMBERLIST_GIT:-$WORK/memberlist.git}
        if [ ! -d "$SRC" ]; then
          echo "cloning hashicorp/memberlist into $SRC" >&2
          git clone --bare -q https://github.com/hashicorp/memberlist.git "$SRC"
        fi
        "$ORACLE/memberlist-2015/setup_source.sh" "$SRC" >&2
      fi
      "$ORACLE/memberlist-2015/build.sh" "$BIN" >&2
    fi
    ;;
  0.2.2)
    FILE="$HERE/ml022-$SC-$VARIANT.yaml"
    BIN="$WORK/bin/mlharness"
    case "$VARIANT" in
      lifeguard) ;;
      nolifeguard) ARGS="$ARGS -lifeguard=false" ;;
      *) die "unknown variant '$VARIANT' (lifeguard or nolifeguard)" ;;
    esac
    if [ ! -x "$BIN" ]; then
      ML_GOPATH="$WORK/gopath" GOCACHE="$WORK/gocache" "$ORACLE/memberlist-0.2.2/build.sh" "$BIN" >&2
    fi
    ;;
  *) die "unknown generation '$GEN' (2015 or 0.2.2)" ;;
esac
[ -f "$FILE" ] || die "no flapsim scenario $FILE for $GEN $SC"

(cd "$ROOT" && cargo build --release -q)   # before the oracle starts: no compile next to it
RUNDIR="$WORK/runs/$GEN-$SC${VARIANT:+-$VARIANT}-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUNDIR"
echo "oracle: $RUNS run(s) of $DUR, $GEN $SC${VARIANT:+ ($VARIANT)} -> $RUNDIR" >&2
i=0
while [ $i -lt "$RUNS" ]; do
  seed=$((ORACLE_SEED + i))
  nice -n "$NICE" "$BIN" -n $N $ARGS -dur "$DUR" -warmup 10s -seed $seed \
    -out "$RUNDIR/run$seed" > "$RUNDIR/run$seed.log" 2>&1 &
  i=$((i + 1))
done

echo "flapsim: $SEEDS seeds of $FILE (duration $DUR)" >&2
"$ROOT/target/release/flapsim" oracle "$FILE" --seeds "$SEEDS" --set "duration=$DUR" -q \
  > "$RUNDIR/flapsim.md"
wait
if [ "$GEN" = 2015 ] && [ -n "$HOLD" ]; then
  # The same seeds' wire, for wire_reach.py below (after the oracle: it is
  # sensitive to CPU contention, and these write ~10 MB each).
  s=1
  while [ $s -le "$SEEDS" ]; do
    "$ROOT/target/release/flapsim" run "$FILE" --seed $s --set "duration=$DUR" -q \
      --outputs summary,wire --out "$RUNDIR/flapsim-wire/seed$s" > /dev/null
    s=$((s + 1))
  done
fi
for log in "$RUNDIR"/run*.log; do tail -n 1 "$log" >&2; done

python3 - "$RUNDIR" "$N" <<'EOF'
import csv, glob, json, os, statistics, sys
rundir, n = sys.argv[1], int(sys.argv[2])

def q(v, p):
    v = sorted(v)
    if not v:
        return None
    i = p * (len(v) - 1)
    lo, hi = int(i), min(int(i) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (i - lo)

def figures(s):
    sick = s["sick"]
    inc = s.get("incidents") or []
    hi = [i for i in inc if i["subj"] != sick]
    si = [i for i in inc if i["subj"] == sick]
    size = lambda l, lo, up: len([i for i in l if lo <= len(i["observers"]) <= up])
    big = 10 ** 9
    med = lambda k: s[k]["median"] if s[k]["n"] else None
    return {
        "healthy-subject NotifyLeave (sum over observers)": s["leaves_healthy_subject"],
        "of which observer = S": s["leaves_healthy_subject_observer_s"],
        "healthy-subject incidents": s["incidents_healthy"],
        "healthy-subject incidents seen by a healthy observer": s["incidents_healthy_seen_by_healthy_observer"],
        "distinct healthy subjects": len({i["subj"] for i in hi}),
        "S NotifyLeave": s["leaves_s_subject"],
        "S incidents": s["incidents_s"],
        "S incidents declared by all N-1 healthy observers": s["incidents_s_declared_by_all_healthy"],
        "refutes by S": s["refute_suspect_by_s"],
        "refutes by healthy from S": s["refute_suspect_by_healthy_from_s"],
        "refutes by healthy from healthy": s["refute_suspect_by_healthy_from_healthy"],
        "'Suspect X has failed' S->healthy": s["suspect_log_prober_s_subject_healthy"],
        "'Suspect X has failed' healthy->S": s["suspect_log_prober_healthy_subject_s"],
        "'Suspect' healthy->healthy": s["suspect_log_prober_healthy_subject_healthy"],
        "'Marking X as failed' by S (X healthy)": s["mark_failed_log_by_s"],
        "'Marking X as failed' of S (by healthy)": s["mark_failed_log_of_s"],
        "'Marking X as failed' healthy of healthy": s["mark_failed_log_healthy_of_healthy"],
        "'Refuting a dead message' (all)": s["refute_dead_total"],
        "'Refuting a dead message' by S": s["refute_dead_by_s"],
        "NotifyLeave without rejoin by end of run": s.get("leaves_without_rejoin"),
        "healthy-subject dead observer-seconds": round(s["healthy_dead_observer_seconds"]) if "healthy_dead_observer_seconds" in s else None,
        "healthy incidents with 1 observer": size(hi, 1, 1),
        "healthy incidents with 2-(N-3) observers": size(hi, 2, n - 3),
        "healthy incidents with >=N-2 observers (cluster-wide)": size(hi, n - 2, big),
        "S incidents with 1 observer": size(si, 1, 1),
        "S incidents with 2-(N-3) observers": size(si, 2, n - 3),
        "S incidents with >=N-2 observers": size(si, n - 2, big),
        "S dead fraction of (N-1) x duration": s["s_dead_fraction_of_healthy_observer_time"],
        "median flap healthy (s, per run)": med("flap_healthy_subject_s"),
        "median flap S (s, per run)": med("flap_s_subject_s"),
    }

def reach(path, sick):
    """trace_suspect_reach.py's figures for one traced run (2015), else none."""
    if not os.path.exists(path):
        return {}
    first, arrived = {}, {}
    with open(path) as f:
        for r in csv.DictReader(f):
            t = float(r["t"])
            if r["type"] != "suspect" or t < 0:
                continue
            key = (r["node"], int(r["inc"]))
            first.setdefault(key, t)
            if r["to"] == r["node"] and r["dropped"] == "false":
                a = t + float(r["delay"])
                arrived[key] = min(a, arrived.get(key, a))
    out = {}
    for label, sel in (("S as subject", lambda x: x == sick), ("healthy X", lambda x: x != sick)):
        keys = [k for k in first if sel(k[0])]
        lat = sorted(arrived[k] - first[k] for k in keys if k in arrived)
        who = "S" if label == "S as subject" else "X"
        out[f"{label}: share of suspect(X,inc) episodes that reached {who}"] = len(lat) / len(keys) if keys else None
        out[f"{label}: median reach latency (s)"] = lat[len(lat) // 2] if lat else None
    return out

def fmt(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    counts = all(float(v).is_integer() for v in vals)
    nd = 0 if counts else (4 if max(vals) < 1 else 2)
    f = lambda v: f"{v:.{nd}f}"
    if min(vals) == max(vals):
        return f(vals[0])
    return f"{statistics.mean(vals):.{1 if counts else nd}f} [{f(min(vals))}..{f(max(vals))}]"

runs, flaps_h, flaps_s = [], [], []
for sp in sorted(glob.glob(os.path.join(rundir, "run*", "summary.json"))):
    s = json.load(open(sp))
    seq = {}
    with open(os.path.join(os.path.dirname(sp), "events.csv")) as f:
        for r in csv.DictReader(f):
            if r["kind"] in ("leave", "join"):
                seq.setdefault((r["observer"], r["subject"]), []).append((float(r["t"]), r["kind"]))
    for (o, subj), es in seq.items():
        es.sort(key=lambda e: e[0])
        for i, (t, k) in enumerate(es):
            if k == "leave":
                nxt = next((t2 for t2, k2 in es[i + 1:] if k2 == "join"), None)
                if nxt is not None:
                    (flaps_s if subj == s["sick"] else flaps_h).append(nxt - t)
    f = figures(s)
    f.update(reach(os.path.join(os.path.dirname(sp), "trace.csv"), s["sick"]))
    runs.append(f)
    warm = s.get("warmup_leaves", 0)
    if warm:
        print(f"WARNING: {sp}: {warm} NotifyLeave during warm-up (a starved machine?)", file=sys.stderr)

flap = {}
for line in open(os.path.join(rundir, "flapsim.md")):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 2 and not cells[0].startswith(("figure", "---")):
        flap[cells[0]] = cells[1]
title = open(os.path.join(rundir, "flapsim.md")).readline().split("|")[2].strip()
pooled = lambda v: "-" if not v else f"{len(v)} / {q(v, .5):.2f} / {q(v, .9):.2f} / {max(v):.2f}"
print(f"| figure | real memberlist ({len(runs)} run(s)) | {title} |")
print("|---|---|---|")
labels = []
for r in runs:
    labels += [k for k in r if k not in labels]
for label in labels:
    print(f"| {label} | {fmt([r.get(label) for r in runs])} | {flap.get(label, '-')} |")
print(f"| flap healthy subject: n / median / p90 / max (s, pooled) | {pooled(flaps_h)} | {flap.get('flap healthy subject: n / median / p90 / max (s, pooled)', '-')} |")
print(f"| flap S: n / median / p90 / max (s, pooled) | {pooled(flaps_s)} | {flap.get('flap S: n / median / p90 / max (s, pooled)', '-')} |")
EOF
if [ "$GEN" = 2015 ] && [ -n "$HOLD" ]; then
  echo
  echo "Suspicions of healthy nodes on the wire (wire_reach.py), real memberlist:"
  python3 "$HERE/wire_reach.py" --hold "$HOLD" "$RUNDIR"/run*/
  echo
  echo "flapsim, the same figures from wire.csv:"
  python3 "$HERE/wire_reach.py" --hold "$HOLD" "$RUNDIR"/flapsim-wire/seed*/
fi
