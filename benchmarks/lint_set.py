#!/usr/bin/env python3
"""Writes a definition set with many badges for timing `merkisto lint` beside `xmllint --schema`: the
shipped set, with its badges copied under new ids (`<id>-gNNNN`) until there are COUNT of them.

Usage: python3 benchmarks/lint_set.py OUT [--count 2000]
"""
import argparse
import os
import re
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "BadgeDefinitions"), args.out)
    badges = os.path.join(args.out, "badges")
    shipped = sorted(name for name in os.listdir(badges) if name.endswith(".xml"))
    texts = {name: open(os.path.join(badges, name), encoding="utf-8").read() for name in shipped}
    number = 0
    while len(os.listdir(badges)) < args.count:
        name = shipped[number % len(shipped)]
        ident = name[:-4]
        copy = f"{ident}-g{number:04d}"
        text = re.sub(r'(<badge [^>]*\bid=")' + re.escape(ident) + '"', r"\g<1>" + copy + '"', texts[name], count=1)
        with open(os.path.join(badges, copy + ".xml"), "w", encoding="utf-8") as file:
            file.write(text)
        number += 1


if __name__ == "__main__":
    main()
