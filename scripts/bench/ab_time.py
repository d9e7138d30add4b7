#!/usr/bin/python3
"""Times whole commands against each other, alternating, and prints a table (not a test).

Each variant is NAME=COMMAND (NAME without "="; COMMAND a shell command line, run in --cwd). Rounds alternate the
variants (A B C A B C ...) so that a noisy machine hits them alike; the table gives every
round's wall clock, the median, user and system CPU, minor page faults and peak RSS
(from wait4's rusage), and each median against the first variant's.

  /usr/bin/python3 scripts/bench/ab_time.py --rounds 3 --cwd /tmp/speed1/photos \\
      base="/tmp/base/build/smartcrop --from /tmp/list.txt -o /tmp/o --overwrite -q ..." \\
      new="$PWD/build/smartcrop --from /tmp/list.txt -o /tmp/o --overwrite -q ..."
"""
import argparse
import os
import statistics
import subprocess
import time


def run_once(command, cwd):
    start = time.perf_counter()
    process = subprocess.Popen(command, shell=True, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"exit {code}: {command}")
    return {"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime, "faults": usage.ru_minflt,
            "rss_mb": usage.ru_maxrss / 1024}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="NAME=COMMAND")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cwd", default=".")
    args = parser.parse_args()
    variants = [v.split("=", 1) for v in args.variants]
    results = {name: [] for name, _ in variants}
    print(f"load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for _ in range(args.rounds):
        for name, command in variants:
            results[name].append(run_once(command, args.cwd))
    base = statistics.median(r["wall"] for r in results[variants[0][0]])
    print("| variant | wall s per round | median wall s | vs first | user s | sys s | minor faults | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _ in variants:
        rows = results[name]
        med = lambda key: statistics.median(r[key] for r in rows)  # noqa: E731
        walls = ", ".join(f"{r['wall']:.2f}" for r in rows)
        print(f"| {name} | {walls} | {med('wall'):.2f} | {med('wall') / base:.2f} | {med('user'):.2f} | "
              f"{med('sys'):.2f} | {med('faults'):.0f} | {med('rss_mb'):.0f} |")
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
