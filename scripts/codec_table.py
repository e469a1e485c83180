#!/usr/bin/env python
"""Write smsc_soap/_codec_table.py again from zeep's reading of the vendored WSDL (wsdl/soap.wsdl).

Run it after the vendored WSDL changed::

    python scripts/codec_table.py

Until then clients see that the WSDL's digest is not the table's and read the WSDL with zeep at
start-up (slower, same results); tests/test_codec.py fails, naming this command. ``--check``
only says whether the table is current (exit status 1 if not).
"""
from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from smsc_soap import _codec_table  # noqa: E402
from smsc_soap._codec import table_source  # noqa: E402
from smsc_soap._files import whole_or_nothing  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the table is current")
    args = parser.parse_args()
    path = _codec_table.__file__
    source = table_source()
    with open(path, encoding="utf-8") as current:
        fresh = current.read() == source
    if args.check or fresh:
        print(f"{path}: {'current' if fresh else 'stale: run python scripts/codec_table.py'}")
        return 0 if fresh else 1
    with whole_or_nothing(path) as out:  # whole or not at all
        out.write(source.encode("utf-8"))
    print(f"{path}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
