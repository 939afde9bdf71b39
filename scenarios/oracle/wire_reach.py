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
  primary message was (a ping to X, a prober's or a relay's; an ack to X; or
  gossip, with none); later (after that, at the same incarnation); never;
- holders at +5 ms and +90 ms: healthy nodes other than X holding it 5 ms after
  the release (the nodes S itself gossiped it to, plus what relays passed on)
  and 90 ms after it (before the next probe tick at early ticker phases);
- sends in the first 90 ms: how many times healthy nodes sent it in the 90 ms
  after the release (each send spends one of the sender's retransmissions);
- acks in the first 20 ms after a release that X received, and how many carried
  X's own suspicion.
Arrival is the socket arrival in the oracle's trace (send + delay, lost ones
left out) and the handling by the receiver's protocol in flapsim's wire.csv.
"""
import argparse, collections, csv, os, sys

PRIMARY = {"ping": "ping", "ack": "ack", "indirect": "indirect_ping",
           "indirect_ping": "indirect_ping", "nack": "nack", "push_pull": "push_pull"}


def fail(message):
    """Bad input: say so and exit 2, as flapsim does."""
    print(f"wire_reach.py: {message}", file=sys.stderr)
    sys.exit(2)


def messages(path):
    """(arrival, send, from, to, message, subject, inc, lost) per message."""
    if not os.path.exists(path):
        fail(f"{path}: no such file or directory")
    if os.path.isdir(path):
        for name in ("trace.csv", "wire.csv"):
            if os.path.exists(os.path.join(path, name)):
                path = os.path.join(path, name)
                break
        else:
            fail(f"{path}: holds neither trace.csv nor wire.csv")
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        cols = set(rows.fieldnames or [])
        wire = {"t", "event", "from", "to", "transport", "message", "subject", "incarnation"}
        trace = {"t", "from", "to", "type", "node", "inc", "delay", "dropped"}
        if not (wire <= cols or trace <= cols):
            fail(f"{path}: not a flapsim wire.csv nor an oracle trace.csv (columns: {', '.join(sorted(cols))})")
        for r in rows:
            try:
                m = message(r, "event" in cols)
            except (ValueError, TypeError) as e:
                fail(f"{path}: line {rows.line_num}: {e}")
            if m is not None:
                yield m


def message(r, wire):
    """One row as (arrival, send, from, to, message, subject, inc, lost), or None."""
    t = float(r["t"])
    if wire:  # flapsim wire.csv
        if r["transport"] != "udp":
            return None
        sent = r["event"] == "sent"
        m = (None if sent else t, t if sent else None, r["from"], r["to"],
             r["message"], r["subject"], r["incarnation"], False)
    else:  # oracle trace.csv (UDP only)
        if t < 0:
            return None
        lost = r["dropped"] == "true"
        arr = None if lost else t + float(r["delay"])
        m = (arr, t, r["from"], r["to"], r["type"], r["node"], r["inc"], lost)
    if m[4] == "suspect":
        int(m[6])
    return m


def analyze(path, sick, period, hold):
    first = {}                                  # (X, inc) -> first send
    got = collections.defaultdict(dict)         # (X, inc) -> node -> first arrival
    packets = collections.defaultdict(list)     # (arrival, from, to) -> messages
    sends = collections.defaultdict(list)       # (X, inc) -> healthy senders' send times
    for arr, snd, frm, to, msg, subj, inc, lost in messages(path):
        if msg == "suspect" and subj != sick:
            key = (subj, int(inc))
            if snd is not None and key not in first:
                first[key] = snd
            if snd is not None and frm != sick:
                sends[key].append(snd)
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
        held = [a for n, a in got[key].items() if n not in (x, sick)]
        holders.append((sum(1 for a in held if a <= release + 0.005),
                        sum(1 for a in held if a <= release + 0.09),
                        sum(1 for t in sends[key] if release <= t < release + 0.09)))
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
        p = os.path.normpath(p)
        label = p if os.path.isdir(p) else os.path.dirname(p)
        rows.append((os.path.basename(label) or p, c, h))
        total.update(c)
        all_holders += h
    kinds = ["reached by ping", "reached by ack", "reached by gossip", "later", "never"]
    print("| run | episodes | " + " | ".join(kinds)
          + " | holders at +5 / +90 ms | sends in the first 90 ms | acks at release carrying it |")
    print("|---" * (len(kinds) + 5) + "|")
    for p, c, h in rows + [("pooled", total, all_holders)]:
        n = c["episodes"] or 1
        cells = [f"{c[k]} ({100 * c[k] / n:.0f} %)" for k in kinds]
        mean = lambda i: sum(e[i] for e in h) / len(h)
        hold = f"{mean(0):.1f} / {mean(1):.1f}" if h else "-"
        early = f"{mean(2):.1f}" if h else "-"
        acks = f"{c['of them carrying the receiver' + chr(39) + 's suspicion']} / {c['acks at release']}"
        print(f"| {p} | {c['episodes']} | " + " | ".join(cells) + f" | {hold} | {early} | {acks} |")


if __name__ == "__main__":
    main()
