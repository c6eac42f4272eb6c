#!/usr/bin/env python3
"""Regenerate `definitions-v1.35.json.gz` from the upstream JSON schema.

Usage (from the repository root):

    python3 schema/data/generate.py ../shared/data/kubernetes-schema-v1.35/definitions.json

The input is `_definitions.json` of the v1.35.0 "local" schema set of the PyPI package
`kubernetes-validate` 1.37.0 (Apache-2.0, see LICENSE next to this script). The output keeps
everything except the human `description` texts (they are 90% of the bytes and the crate does
not need them; a property that is itself named `description`, as in PriorityClass or a CRD's
JSONSchemaProps, is a schema object, not a text, and stays), is written compactly with sorted keys and a zero gzip mtime, so the same input
always gives the same bytes.
"""
import gzip
import json
import pathlib
import sys


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items()
                if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                       "../shared/data/kubernetes-schema-v1.35/definitions.json")
    out = pathlib.Path(__file__).with_name("definitions-v1.35.json.gz")
    data = strip(json.loads(src.read_text()))
    text = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with open(out, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(text)
    print(f"wrote {out} ({out.stat().st_size} bytes from {len(text)})")


if __name__ == "__main__":
    main()
