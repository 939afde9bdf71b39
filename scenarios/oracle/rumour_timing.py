#!/usr/bin/env python3
"""How fast suspicions of healthy nodes move between healthy nodes, from the
wire: the real memberlist's trace (an oracle run directory with trace.csv,
`ml2015harness -trace` / `mlharness -trace`) or flapsim's wire.csv (`flapsim
run … --outputs summary,wire`), side by side, one row per run and a pooled row.

usage: rumour_timing.py [--sick n01] PATH...
  PATH: an oracle run directory (holding trace.csv), a flapsim output directory
  (holding wire.csv), or either file.

For each episode suspect(X, inc) of a healthy X, and each healthy node H other
than X that held it:
- forward delay: from H's first receipt of it to H's first send of it (the
  median; with locked gossip ticks it says whether H usually forwards a rumour
  in the same 0.2 s round it heard it, or waits for the next);
- full: the share of holders that sent it the full retransmission limit (the
  most common count of sends per holder), the rest having had it replaced by
  X's refutation first.
And for each episode suspect(S, inc) of the sick node S, raised by a healthy
prober, and each suspect(X, inc) raised by S:
- same-tick gossip: the share of episodes whose accuser gossiped the new
  suspicion within 5 ms of its first send (its gossip tick falls due at the
  same instant as the probe's expiry that raises it; otherwise it waits 0.2 s).
Send and receipt times are the trace's (receipt = send + fault delay) or
flapsim's sent/handled rows.
"""
import argparse, collections, os, statistics

from wire_reach import PRIMARY, messages


def analyze(path, sick):
    """Per-run figures: forward delays, sends per holder, same-tick shares."""
    recv, first_send = {}, {}
    sends = collections.defaultdict(collections.Counter)   # (X, inc) -> holder -> sends
    packets = collections.defaultdict(list)                 # (send, from, to) -> messages
    for arr, snd, frm, to, msg, subj, inc, lost in messages(path):
        if snd is not None:
            packets[(round(snd, 6), frm, to)].append((msg, subj, inc))
        if msg != "suspect":
            continue
        if subj != sick:
            if arr is not None and to not in (subj, sick):
                recv.setdefault((subj, inc, to), arr)
            if snd is not None and frm not in (subj, sick):
                first_send.setdefault((subj, inc, frm), snd)
                sends[(subj, inc)][frm] += 1
    delays = [first_send[k] - t for k, t in recv.items() if k in first_send and first_send[k] >= t - 1e-6]
    per_holder = [n for c in sends.values() for n in c.values()]
    # Same-tick gossip: the accuser's first gossip (a packet with no primary
    # message) carrying the suspicion, relative to the suspicion's first send.
    first, gossip = {}, {}
    for (snd, frm, to), msgs in sorted(packets.items()):
        is_gossip = not any(m in PRIMARY for m, _, _ in msgs)
        for m, subj, inc in msgs:
            if m != "suspect":
                continue
            key = (subj, inc)
            first.setdefault(key, (snd, frm))
            if is_gossip and frm == first[key][1]:
                gossip.setdefault(key, snd)
    same = {"S": [0, 0], "H": [0, 0]}
    for key, (t0, accuser) in first.items():
        if key[0] == sick and accuser != sick:
            who = "S"
        elif key[0] != sick and accuser == sick:
            who = "H"
        else:
            continue
        same[who][1] += 1
        same[who][0] += key in gossip and gossip[key] - t0 < 0.005
    return delays, per_holder, same


def share(part, whole):
    return f"{100 * part / whole:.0f} % ({part} of {whole})" if whole else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sick", default="n01")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    print("| run | forward delay, median (s) | holders sending the full limit | "
          "same-tick gossip of S's suspicion by its prober | same-tick gossip of S's accusations |")
    print("|---|---|---|---|---|")
    pooled = ([], [], {"S": [0, 0], "H": [0, 0]})
    for p in a.paths:
        d, h, s = analyze(p, a.sick)
        pooled[0].extend(d)
        pooled[1].extend(h)
        for k in s:
            pooled[2][k][0] += s[k][0]
            pooled[2][k][1] += s[k][1]
        label = os.path.basename(os.path.normpath(p if os.path.isdir(p) else os.path.dirname(p) or "."))
        row(label, d, h, s)
    row("pooled", *pooled)


def row(label, delays, per_holder, same):
    median = f"{statistics.median(delays):.3f}" if delays else "-"
    if per_holder:
        limit = collections.Counter(per_holder).most_common(1)[0][0]
        full = share(sum(1 for n in per_holder if n == limit), len(per_holder)) + f", limit {limit}"
    else:
        full = "-"
    print(f"| {label} | {median} | {full} | {share(*same['S'])} | {share(*same['H'])} |")


if __name__ == "__main__":
    main()
