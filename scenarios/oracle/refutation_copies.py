#!/usr/bin/env python3
"""How many copies of S's refutations arrived, from the wire: the real
memberlist's trace (an oracle run directory with trace.csv, `mlharness -trace`)
or flapsim's wire.csv (`flapsim run … --outputs summary,wire`), side by side.

usage: refutation_copies.py [--sick n01] [--loss 0.3] PATH...
  PATH: an oracle run directory (holding trace.csv), a flapsim output directory
  (holding wire.csv), or either file. Real and flapsim paths are counted apart.

A refutation is alive(S, inc) sent by S about itself with inc >= 2 (the join's
alive(S, 1) is not one). memberlist sends each at most RetransmitMult x
ceil(log10(N + 1)) times (8 at N = 32), and under a loss p on S's links the
copies that arrive among those 8 follow Binomial(8, 1 - p) if the losses are
independent. It prints, per source: the refutations by copies sent; for those
sent 8 times, how many copies arrived, next to the binomial's share; and each
refutation none of whose copies arrived (the S2x cell "S declared dead by all":
nobody learns S's new incarnation, so every suspicion timer fires). A copy
arrived when the trace's `dropped` is false, or when flapsim's wire.csv has a
`handled` row for it.
"""
import argparse, collections, csv, math, os, sys


def trace_file(path):
    for name in ("trace.csv", "wire.csv"):
        if os.path.isdir(path) and os.path.exists(os.path.join(path, name)):
            return os.path.join(path, name)
    return path


def refutations(path, sick):
    """{inc: [sent, arrived, first send time]} of one run, and which source it is."""
    out = collections.defaultdict(lambda: [0, 0, None])
    with open(path) as f:
        rows = csv.DictReader(f)
        real = "dropped" in rows.fieldnames
        for r in rows:
            if real:
                if r["from"] != sick or r["type"] != "alive" or r["node"] != sick:
                    continue
                inc, t = int(r["inc"]), float(r["t"])
                if inc < 2 or t < 0:
                    continue
                e = out[inc]
                e[0] += 1
                e[1] += r["dropped"] == "false"
                e[2] = t if e[2] is None else e[2]
            else:
                if r["from"] != sick or r["message"] != "alive" or r["subject"] != sick:
                    continue
                inc = int(r["incarnation"])
                if inc < 2:
                    continue
                e = out[inc]
                if r["event"] == "sent":
                    e[0] += 1
                    e[2] = float(r["t"]) if e[2] is None else e[2]
                elif r["event"] == "handled":
                    e[1] += 1
    return ("real" if real else "flapsim"), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sick", default="n01")
    ap.add_argument("--loss", type=float, default=0.3,
                    help="the loss on S's links, for the binomial column (S2x: 0.3)")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    stats = {}
    for p in a.paths:
        src, refs = refutations(trace_file(p), a.sick)
        s = stats.setdefault(src, {"runs": 0, "sent": collections.Counter(),
                                   "arrived": collections.Counter(), "lost": []})
        s["runs"] += 1
        for inc, (sent, arrived, t) in sorted(refs.items()):
            s["sent"][sent] += 1
            if sent == 8:
                s["arrived"][arrived] += 1
            if arrived == 0:
                s["lost"].append((p, inc, sent, t))
    if not stats:
        sys.exit("no runs")
    for src, s in sorted(stats.items()):
        total = sum(s["sent"].values())
        print(f"## {src}: {s['runs']} runs, {total} refutations by {a.sick}")
        print("copies sent: " + ", ".join(f"{k}: {v}" for k, v in sorted(s["sent"].items())))
        n8 = sum(s["arrived"].values())
        keep = 1 - a.loss
        print(f"\n| arrived of 8 | refutations ({n8} sent 8 times) | Binomial(8, {keep:g}) |")
        print("|---|---|---|")
        for k in range(9):
            v = s["arrived"][k]
            share = 100 * v / n8 if n8 else 0.0
            binom = 100 * math.comb(8, k) * keep ** k * a.loss ** (8 - k)
            print(f"| {k} | {v} ({share:.2f} %) | {binom:.2f} % |")
        print("\nnone arrived (path, incarnation, copies sent, first send s):")
        for p, inc, sent, t in s["lost"]:
            print(f"  {p} {inc} {sent} {t:.3f}")
        print()


if __name__ == "__main__":
    main()
