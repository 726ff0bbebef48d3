#!/usr/bin/env python3
"""Prover benchmark: solves each bundled network, then proves the printed
scheme with `kaplac --prove --format json` on one core, and prints a
Markdown table of the proof time, the obligation count, the verdicts, peak
memory, and the slowest obligations.

    bench/prove_bench.py [--kaplac build/kaplac] [--arch multinode]
                         [--batch 64] [--networks resnet50,alexnet]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

NETWORKS = ["alexnet", "mobilenet", "vgg16", "googlenet", "resnet50",
            "mlp-l", "lstm-gnmt"]


def pinned(cmd):
    return (["taskset", "-c", "0"] if shutil.which("taskset") else []) + cmd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kaplac", default="build/kaplac")
    parser.add_argument("--arch", default="multinode")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--networks", default=",".join(NETWORKS))
    args = parser.parse_args()

    tmp = tempfile.mkdtemp()
    print(f"Proofs of solved schemes on {args.arch}, batch {args.batch}, "
          "one core.\n")
    print("| network | obligations | proved | violated | unknown "
          "| prove s | peak MiB | slowest obligations (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for net in args.networks.split(","):
        path = os.path.join(tmp, net + ".kapla")
        solve = subprocess.run(
            [args.kaplac, "--solve", "--network", net, "--arch", args.arch,
             "--batch", str(args.batch), "-o", path],
            capture_output=True, text=True)
        if solve.returncode != 0:
            print(f"| {net} | solve failed (exit {solve.returncode}) "
                  "| | | | | | |")
            continue
        cmd = pinned(["/usr/bin/time", "-f", "%M", args.kaplac, "--prove",
                      "--format", "json", path])
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.monotonic() - start
        try:
            proof = json.loads(proc.stdout)["proofs"][0]
        except (ValueError, IndexError, KeyError) as exc:
            print(f"| {net} | no proof ({exc}) | | | | | | |")
            continue
        peak = proc.stderr.strip().splitlines()[-1]
        peak_mib = int(peak) / 1024.0 if peak.isdigit() else float("nan")
        obligations = sorted(proof["obligations"],
                             key=lambda o: -o["seconds"])
        slowest = ", ".join(
            f"{o['kind']} {o.get('layer') or ''} {o.get('level') or ''} "
            f"{o['seconds']:.3f}".replace("  ", " ")
            for o in obligations[:3])
        print(f"| {net} | {len(obligations)} | {proof['proved']} "
              f"| {proof['violated']} | {proof['unknown']} | {seconds:.2f} "
              f"| {peak_mib:.1f} | {slowest} |", flush=True)
        print(f"bench: {net} done", file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
