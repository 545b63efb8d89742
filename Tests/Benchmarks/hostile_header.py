#!/usr/bin/env python3
"""Writes a valid Weft checkpoint whose header holds many small extra metadata keys, for timing
the JSON reader on a large but well-formed hostile header (issue "Reliability under hostile files").

    python3 Tests/Benchmarks/hostile_header.py CHECKPOINT OUT --keys 160000
    python3 Tests/Benchmarks/hostile_header.py CHECKPOINT OUT --bytes 67000000

The tensors, config and state are CHECKPOINT's; both CRC-32s are valid (the data's is unchanged,
the header's recomputed as Weft does: over the header with the field's digits zeroed), so
`weft inspect OUT` reads the whole header and verifies it. Then time the readers:

    time weft inspect OUT
    python3 -c 'import json,struct,sys,time; b=open(sys.argv[1],"rb").read(); n=struct.unpack("<Q",b[:8])[0]; \
t=time.perf_counter(); json.loads(b[8:8+n]); print(f"{time.perf_counter()-t:.3f} s")' OUT
"""
import argparse
import json
import struct
import zlib


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--keys", type=int, help="how many extra metadata keys")
    size.add_argument("--bytes", type=int, help="add keys until the header has about this many bytes (at most 64 MiB)")
    arguments = parser.parse_args()

    with open(arguments.checkpoint, "rb") as handle:
        data = handle.read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + length])
    payload = data[8 + length:]
    metadata = header["__metadata__"]
    crcs = {key: metadata.pop(key) for key in ("dataCrc32", "headerCrc32")}

    base = len(json.dumps(header)) + 64
    count = arguments.keys if arguments.keys is not None else 0
    if arguments.bytes is not None:
        count, total = 0, base
        while total + len(format(count, "x")) + 8 <= min(arguments.bytes, 64 << 20):
            total += len(format(count, "x")) + 8  # "KEY": "", 
            count += 1
    for index in range(count):
        metadata[format(index, "x")] = ""
    metadata["dataCrc32"] = crcs["dataCrc32"]
    metadata["headerCrc32"] = "00000000"
    text = json.dumps(header, ensure_ascii=False)
    text += " " * (-len(text.encode()) % 8)
    crc = format(zlib.crc32(text.encode()) & 0xFFFFFFFF, "08x")
    text = text.replace('"headerCrc32": "00000000"', f'"headerCrc32": "{crc}"')
    encoded = text.encode()
    assert len(encoded) <= 64 << 20, "the header is over Weft's 64 MiB cap"
    with open(arguments.out, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)) + encoded + payload)
    print(f"{arguments.out}: {count} extra keys, header {len(encoded)} bytes")


if __name__ == "__main__":
    main()
