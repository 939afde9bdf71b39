#!/usr/bin/env python3
"""How suspicions of healthy nodes reach their subject under a periodic hold of
S's links, from the wire: the real memberlist's trace (an oracle run directory
with trace.csv, `ml2015harness -trace`) or flapsim's wire.csv
(`flapsim run … --outputs summary,wire`), side by side.

usage: wire_reach.py [--sick n01] [--period 30] [--hold 8] PATH...
  PATH: an oracle run directory (holding trace.csv), a flapsim output directory
  (holding wire.csv), or either file.

For each episode suspect(X, inc) of a healthy X first sent inside a hold window
(S's accusations, released at the window's end), it reports:
- reached: X received it within 10 s of the release, by what the packet's
  primary message was (a ping to X, an ack to X, a relay's ping, or gossip with
  none); later (after that, at the same incarnation); never;
- holders at +5 ms: healthy nodes other than X holding it 5 ms after the release
  (the nodes S itself gossiped it to, plus what relays passed on);
- acks in the first 20 ms after a release that X received, and how many carried
  X's own suspicion.
Arrival is the socket arrival in the oracle's trace (send + delay, lost ones
left out) and the handling by the receiver's protocol in flapsim's wire.csv.
"""
import argparse, collections, csv, os, sys

PRIMARY = {"ping": "ping", "ack": "ack", "indirect": "indirect_ping",
           "indirect_ping": "indirect_ping", "nack": "nack", "push_pull": "push_pull"}


def messages(path):
    """(arrival, send, from, to, message, subject, inc, lost) per message."""
    if os.path.isdir(path):
        for name in ("trace.csv", "wire.csv"):
            if os.path.exists(os.path.join(path, name)):
                path = os.path.join(path, name)
                break
        else:
            sys.exit(f"{path}: neither trace.csv nor wire.csv")
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        if "event" in rows.fieldnames:  # flapsim wire.csv
            for r in rows:
                if r["transport"] != "udp":
                    continue
                t = float(r["t"])
                sent = r["event"] == "sent"
                yield (None if sent else t, t if sent else None, r["from"], r["to"],
                       r["message"], r["subject"], r["incarnation"], False)
        else:  # oracle trace.csv (UDP only)
            for r in rows:
                t = float(r["t"])
                if t < 0:
                    continue
                lost = r["dropped"] == "true"
                arr = None if lost else t + float(r["delay"])
                yield (arr, t, r["from"], r["to"], r["type"], r["node"], r["inc"], lost)


def analyze(path, sick, period, hold):
    first = {}                                  # (X, inc) -> first send
    got = collections.defaultdict(dict)         # (X, inc) -> node -> first arrival
    packets = collections.defaultdict(list)     # (arrival, from, to) -> messages
    for arr, snd, frm, to, msg, subj, inc, lost in messages(path):
        if msg == "suspect" and subj != sick:
            key = (subj, int(inc))
            if snd is not None and key not in first:
                first[key] = snd
            if arr is not None and to not in got[key]:
                got[key][to] = arr
        if arr is not None:
            packets[(round(arr, 6), frm, to)].append((msg, subj, inc))
    carrier = {}
    for (arr, frm, to), msgs in packets.items():
        kind = next((PRIMARY[m] for m, _, _ in msgs if m in PRIMARY), "gossip")
        for m, subj, inc in msgs:
            if m == "suspect" and subj == to:
                key = (subj, int(inc))
                if key not in carrier or arr < carrier[key][0]:
                    carrier[key] = (arr, kind)
    out = collections.Counter()
    holders = []
    for key, t0 in first.items():
        k, within = divmod(t0, period)
        if within >= hold:
            continue
        release = k * period + hold
        out["episodes"] += 1
        x = key[0]
        holders.append(sum(1 for n, a in got[key].items()
                           if n not in (x, sick) and a <= release + 0.005))
        if key in carrier:
            arr, kind = carrier[key]
            out["reached by " + kind if arr <= release + 10 else "later"] += 1
        else:
            out["never"] += 1
    for (arr, frm, to), msgs in packets.items():
        if frm == sick or to == sick or not any(m == "ack" for m, _, _ in msgs):
            continue
        k, within = divmod(arr, period)
        if hold <= within < hold + 0.02:
            out["acks at release"] += 1
            out["of them carrying the receiver's suspicion"] += any(
                m == "suspect" and s == to for m, s, _ in msgs)
    return out, holders


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sick", default="n01")
    ap.add_argument("--period", type=float, default=30.0)
    ap.add_argument("--hold", type=float, default=8.0)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    rows, total, all_holders = [], collections.Counter(), []
    for p in a.paths:
        c, h = analyze(p, a.sick, a.period, a.hold)
        rows.append((os.path.basename(os.path.normpath(p)), c, h))
        total.update(c)
        all_holders += h
    kinds = ["reached by ping", "reached by ack", "reached by indirect_ping",
             "reached by gossip", "later", "never"]
    print("| run | episodes | " + " | ".join(kinds) + " | holders at +5 ms | acks at release carrying it |")
    print("|---" * (len(kinds) + 4) + "|")
    for p, c, h in rows + [("pooled", total, all_holders)]:
        n = c["episodes"] or 1
        cells = [f"{c[k]} ({100 * c[k] / n:.0f} %)" for k in kinds]
        hold = f"{sum(h) / len(h):.1f}" if h else "-"
        acks = f"{c['of them carrying the receiver' + chr(39) + 's suspicion']} / {c['acks at release']}"
        print(f"| {p} | {c['episodes']} | " + " | ".join(cells) + f" | {hold} | {acks} |")


if __name__ == "__main__":
    main()
