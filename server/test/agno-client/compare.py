"""Compares the JSON shapes two servers answered to the same agno client calls (drive.py --record).

For each call (and each SSE event type) the shape is the union over the bodies received: object
keys with the shape of their values, array items merged, scalars by JSON type. Values are not
compared (they depend on the model, the clock and ids). Prints one line per difference:

    call | path | ours | agno

    python compare.py ours.json agno.json [--ignore-calls 'knowledge,eval']
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Tuple

Shape = Dict[str, Any]


def shape_of(value: Any) -> Shape:
    if isinstance(value, dict):
        return {"object": {k: shape_of(v) for k, v in value.items()}}
    if isinstance(value, list):
        items: Shape = {}
        for v in value:
            items = merge(items, shape_of(v))
        return {"array": items}
    if value is None:
        return {"null": True}
    if isinstance(value, bool):
        return {"boolean": True}
    if isinstance(value, (int, float)):
        return {"number": True}
    return {"string": True}


def merge(a: Shape, b: Shape) -> Shape:
    out = dict(a)
    for kind, sub in b.items():
        if kind == "object":
            fields = dict(out.get("object", {}))
            for k, v in sub.items():
                fields[k] = merge(fields.get(k, {}), v)
            out["object"] = fields
        elif kind == "array":
            out["array"] = merge(out.get("array", {}), sub)
        else:
            out[kind] = True
    return out


def kinds(s: Shape) -> str:
    return "|".join(sorted(s)) or "absent"


def diff(path: str, ours: Shape, theirs: Shape, out: List[Tuple[str, str, str]]) -> None:
    # null where the other side has a value is a difference of its own (agno omits, or sends null).
    if set(ours) != set(theirs):
        out.append((path or "/", kinds(ours), kinds(theirs)))
    if "object" in ours and "object" in theirs:
        a, b = ours["object"], theirs["object"]
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append((f"{path}/{k}", kinds(a[k]), "absent"))
            elif k not in a:
                out.append((f"{path}/{k}", "absent", kinds(b[k])))
            else:
                diff(f"{path}/{k}", a[k], b[k], out)
    if "array" in ours and "array" in theirs and ours["array"] and theirs["array"]:
        diff(f"{path}[]", ours["array"], theirs["array"], out)


def shapes(records: List[Dict[str, Any]]) -> Dict[str, Shape]:
    by: Dict[str, Shape] = {}
    for r in records:
        key = r["call"] if r["method"] != "SSE" else f"{r['call']} event {r['endpoint']}"
        if r["body"] is None:
            continue
        by[key] = merge(by.get(key, {}), shape_of(r["body"]))
    return by


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ours")
    parser.add_argument("agno")
    args = parser.parse_args()
    with open(args.ours) as f:
        ours = shapes(json.load(f))
    with open(args.agno) as f:
        theirs = shapes(json.load(f))
    count = 0
    for key in sorted(set(ours) & set(theirs)):
        out: List[Tuple[str, str, str]] = []
        diff("", ours[key], theirs[key], out)
        for path, a, b in out:
            print(f"{key} | {path} | {a} | {b}")
            count += 1
    for key in sorted(set(ours) ^ set(theirs)):
        print(f"{key} | (only {'ours' if key in ours else 'agno'}) | |")
    print(f"{count} differences", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
