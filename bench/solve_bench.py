#!/usr/bin/env python3
"""Solver benchmark: solve time, energy and time estimate of kaplac's solver
for the bundled networks, inference and training, on the multinode preset
at batch 64 and the edge preset at batch 1; optionally the exhaustive
search of the same space and the solver's energy overhead against it.

    bench/solve_bench.py [--kaplac build/kaplac] [--exhaustive]
                         [--networks alexnet,mlp-l] [--timeout 1800]
                         [--setups multinode:64,edge:1] [--modes
                         inference,training] [--ex-threads 2]
                         [--ex-limit SECONDS] [--ex-setups edge:1]
                         [--exhaustive-from TABLE.md]

Prints a Markdown table.  Every KAPLA solve is pinned to one core (taskset)
when taskset exists; the exhaustive one runs on --ex-threads threads (two
cores by default) under --ex-limit seconds, and a row whose exhaustive
search hit that limit marks its figures with '*' (best found so far, so
the overhead is then only a bound); peak memory is the child's maximum resident set.  Each
printed scheme is linted again, and a row whose scheme does not lint clean
says so.  Figures go to standard output, progress to standard error.

--exhaustive-from takes the exhaustive columns from a table this script
printed before, for the rows it has, instead of running the search again:
the exhaustive search's result does not depend on the KAPLA solve (only
its speed does, through its first incumbent), so after a change to the
descent alone the KAPLA columns can be measured again against it.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

NETWORKS = ["alexnet", "mobilenet", "vgg16", "googlenet", "resnet50",
            "mlp-l", "lstm-gnmt"]
SETUPS = [("multinode", 64), ("edge", 1)]
UNITS = {"pJ": 1e-12, "nJ": 1e-9, "uJ": 1e-6, "mJ": 1e-3, "J": 1.0}


def run(cmd, timeout):
    """Runs cmd; returns (exit code or None on timeout, stderr, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return None, err, time.monotonic() - start
    return proc.returncode, err, time.monotonic() - start


FIRST_CORE = 0


def solve(kaplac, net, arch, batch, training, exhaustive, timeout, path,
          threads=1, limit=0):
    cmd = [kaplac, "--solve", "--network", net, "--arch", arch,
           "--batch", str(batch), "-o", path]
    if training:
        cmd.append("--training")
    if exhaustive:
        cmd += ["--exhaustive", "--threads", str(threads)]
        if limit > 0:
            cmd += ["--time-limit", str(int(limit))]
    if shutil.which("taskset"):
        cores = ",".join(str(FIRST_CORE + i)
                         for i in range(max(threads, 1)))
        cmd = ["taskset", "-c", cores] + cmd
    wrapper = ["/usr/bin/time", "-f", "%M"] if os.path.exists(
        "/usr/bin/time") else []
    code, err, seconds = run(wrapper + cmd, timeout)
    peak = None
    if wrapper and err.strip():
        last = err.strip().splitlines()[-1]
        if last.isdigit():
            peak = int(last)
    energy = cycles = None
    m = re.search(r"^energy ([0-9.]+) (pJ|nJ|uJ|mJ|J)$", err, re.M)
    if m:
        energy = float(m.group(1)) * UNITS[m.group(2)]
    m = re.search(r"^time ([0-9]+) cycles", err, re.M)
    if m:
        cycles = int(m.group(1))
    return {"code": code, "seconds": seconds, "energy": energy,
            "cycles": cycles, "peak": peak, "err": err}


def lint_clean(kaplac, path):
    proc = subprocess.run([kaplac, "-q", path], capture_output=True,
                          text=True)
    return proc.returncode == 0


def earlier_exhaustive(path):
    """Exhaustive columns of an earlier table, by (net, mode, arch, batch)."""
    rows = {}
    with open(path, encoding="utf-8") as table:
        for line in table:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 11 or not cells[3].isdigit():
                continue
            energy, seconds = cells[8], cells[10]
            limited = energy.endswith("*")
            try:
                rows[(cells[0], cells[1], cells[2], int(cells[3]))] = {
                    "energy": float(energy.rstrip("*")),
                    "seconds": float(seconds.rstrip("*")),
                    "limited": limited}
            except ValueError:
                continue
    return rows


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kaplac", default="build/kaplac")
    parser.add_argument("--exhaustive", action="store_true")
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--setups",
                        default=",".join(f"{a}:{b}" for a, b in SETUPS))
    parser.add_argument("--modes", default="inference,training")
    parser.add_argument("--ex-threads", type=int, default=2)
    parser.add_argument("--ex-limit", type=float, default=0)
    parser.add_argument("--ex-setups", default="",
                        help="presets (arch:batch) to run exhaustively; "
                        "default: all of --setups")
    parser.add_argument("--exhaustive-from", default="",
                        help="take the exhaustive columns from this earlier "
                        "table instead of running the search")
    parser.add_argument("--first-core", type=int, default=0,
                        help="pin runs to cores from this one on, so that "
                        "two benches can share a machine")
    args = parser.parse_args()
    global FIRST_CORE
    FIRST_CORE = args.first_core
    setups = [(a, int(b)) for a, b in
              (x.split(":") for x in args.setups.split(","))]
    ex_setups = set(args.ex_setups.split(",")) if args.ex_setups else None
    modes = args.modes.split(",")
    earlier = (earlier_exhaustive(args.exhaustive_from)
               if args.exhaustive_from else {})

    print("| network | mode | preset | batch | solve s | energy J | cycles "
          "| peak MiB | exhaustive J | overhead | exhaustive s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    tmp = tempfile.mkdtemp()
    for net in args.networks.split(","):
        for mode in modes:
            training = mode == "training"
            for arch, batch in setups:
                print(f"bench: {net} {mode} {arch} {batch}",
                      file=sys.stderr)
                path = os.path.join(tmp, "s.kapla")
                r = solve(args.kaplac, net, arch, batch, training, False,
                          args.timeout, path)
                status = ""
                if r["code"] != 0:
                    status = f" (failed: exit {r['code']})"
                elif not lint_clean(args.kaplac, path):
                    status = " (does not lint clean)"
                ex = {"energy": None, "seconds": None}
                wanted = ex_setups is None or f"{arch}:{batch}" in ex_setups
                key = (net, mode, arch, batch)
                if key in earlier:
                    ex = earlier[key]
                elif args.exhaustive and r["code"] == 0 and wanted:
                    ex = solve(args.kaplac, net, arch, batch, training, True,
                               args.timeout, path, args.ex_threads,
                               args.ex_limit)
                limited = ex.get("limited") or (
                    args.ex_limit > 0 and ex["seconds"] is not None
                    and ex["seconds"] >= args.ex_limit)
                mark = "*" if limited else ""
                over = None
                if r["energy"] and ex["energy"] and not limited:
                    over = 100.0 * (r["energy"] / ex["energy"] - 1.0)
                peak = r["peak"] / 1024.0 if r["peak"] else None
                print(f"| {net}{status} | {mode} | {arch} | {batch} "
                      f"| {r['seconds']:.3f} | {fmt(r['energy'], '.5g')} "
                      f"| {fmt(r['cycles'], 'd')} | {fmt(peak, '.1f')} "
                      f"| {fmt(ex['energy'], '.5g')}{mark} "
                      f"| {fmt(over, '+.2f', 'unfinished' if limited else '-')}"
                      f"{'%' if over is not None else ''}"
                      f" | {fmt(ex['seconds'], '.1f')}{mark} |",
                      flush=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
