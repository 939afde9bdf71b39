#!/usr/bin/env python3
"""How a healthy node's refutation reaches the sick node S (n01) that accused
it, from the wire: the real memberlist's trace (an oracle run directory with
trace.csv, `mlharness -trace`) or flapsim's wire.csv (`flapsim run …
--outputs summary,wire`). For every suspicion S raises about a healthy X
(S's first send of suspect(X, inc) with itself as accuser): how long until S
first receives alive(X, newer), and how many copies of alive(X, inc + 1) it
receives. One row per run, then the pooled figures. If S's suspicion timer
(6.02 s in the 0.2.2 scenarios without Lifeguard) fires first, S declares X
dead: the rows count those (> 6 s) and the suspicions never answered, and
the last line is the histogram of how many copies of a newer alive S received
within those 6.02 s (the tail that decides whether S declares X dead).

usage: refute_reach.py DIR...   (each DIR holds trace.csv or wire.csv)"""
import csv, os, sys, statistics
S = "n01"
TIMER = 6.02  # S's suspicion timeout (s) in the 0.2.2 scenarios without Lifeguard
def rows(d):
    if os.path.exists(os.path.join(d, "trace.csv")):
        for r in csv.DictReader(open(os.path.join(d, "trace.csv"))):
            if r["dropped"] == "true": continue
            t = float(r["t"]); inc = int(r["inc"]) if r["inc"] else None
            yield ("sent", t, r["from"], r["to"], r["type"], r["node"], inc, r["susp_from"])
            yield ("recv", t + float(r["delay"]), r["from"], r["to"], r["type"], r["node"], inc, r["susp_from"])
    else:
        for r in csv.DictReader(open(os.path.join(d, "wire.csv"))):
            inc = int(r["incarnation"]) if r["incarnation"] else None
            ev = "sent" if r["event"] == "sent" else "recv"
            yield (ev, float(r["t"]), r["from"], r["to"], r["message"], r["subject"], inc, r["accuser"])
in_time = []; allL = []; total = 0; late = 0; never = 0; copies = []
for d in sys.argv[1:]:
    start = {}   # (X, inc) -> first send by S of suspect(X, inc) accused by S
    alive_recv = {}  # X -> sorted list of (time, inc) alive(X) received by S
    for ev, t, f, to, typ, node, inc, acc in rows(d):
        if t < 0: continue
        if ev == "sent" and f == S and typ == "suspect" and acc == S and node != S:
            start.setdefault((node, inc), t)
        if ev == "recv" and to == S and typ == "alive" and node != S:
            alive_recv.setdefault(node, []).append((t, inc))
    for v in alive_recv.values(): v.sort()
    Ls = []
    for (x, inc), t0 in start.items():
        cand = [t for (t, i) in alive_recv.get(x, []) if i is not None and i > inc and t >= t0]
        total += 1
        if not cand: never += 1; continue
        L = cand[0] - t0; Ls.append(L)
        copies.append(sum(1 for (t, i) in alive_recv.get(x, []) if i == inc + 1 and t >= t0))
        in_time.append(sum(1 for (t, i) in alive_recv.get(x, []) if i is not None and i > inc and t0 <= t <= t0 + TIMER))
        if L > 6.0: late += 1
    allL += Ls
    Ls.sort()
    q = lambda p: Ls[min(len(Ls)-1, int(p*len(Ls)))] if Ls else float('nan')
    print(f"{d}: {len(start)} suspicions by S; alive(X, newer) reached S: median {q(0.5):.2f} s, p90 {q(0.9):.2f}, p99 {q(0.99):.2f}, max {max(Ls) if Ls else float('nan'):.2f}; > 6 s: {sum(1 for L in Ls if L > 6)}; never: {len(start)-len(Ls)}")
if not allL:
    sys.exit(f"no answered suspicion by {S} in {' '.join(sys.argv[1:]) or '(no directory given)'}")
allL.sort()
q = lambda p: allL[min(len(allL)-1, int(p*len(allL)))]
copies.sort()
print("copies of alive(X, inc+1) S received per episode: median", copies[len(copies)//2], "p10", copies[len(copies)//10], "p1", copies[len(copies)//100], "min", copies[0], "mean %.2f" % (sum(copies)/len(copies)))
print(f"ALL: {total} suspicions; median {q(0.5):.2f} s, p90 {q(0.9):.2f}, p99 {q(0.99):.2f}, p99.9 {q(0.999):.2f}; > 3 s: {sum(1 for L in allL if L > 3)}; > 4 s: {sum(1 for L in allL if L > 4)}; > 6 s: {late}; never: {never}")
hist = {}
for n in in_time:
    hist[min(n, 12)] = hist.get(min(n, 12), 0) + 1
print(f"copies of alive(X, newer) S received within {TIMER} s (12: 12 or more):",
      ", ".join(f"{k}: {hist[k]}" for k in sorted(hist)), f"(of {len(in_time)} answered)")
