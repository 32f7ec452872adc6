#!/usr/bin/env python3
"""Checks, on what Chromium made of a report.html, that its episodes show.

Usage: check_episodes.py DOM PNG CONTROL_PNG

DOM is the browser's serialized DOM of a report whose run had episodes (the
retry storm's), PNG its screenshot, CONTROL_PNG the screenshot of a report
without episodes. Fails (exit 1) unless:
  - the DOM has episode bands (<rect class="episode-band">), each of
    nonzero width inside its chart's plot area (the chart's clip rectangle);
  - the retries chart ("Retries sent per second, per calling service") is
    there with a drawn line (a series path of many segments);
  - the screenshot shows the first band: at least half of its rows hold
    half its width in pixels of its colour (its fill at its opacity over
    white), while no row of the control screenshot (of as many rows) holds
    a quarter of its width in that colour.
Standard library only: the PNG is decoded here.
"""

import re
import struct
import sys
import zlib
from itertools import accumulate

RETRIES_CHART = "Retries sent per second, per calling service"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def attributes(tag):
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def unfilter(kind, line, previous, channels):
    """Undoes a PNG row filter (None, Sub, Up, Average, Paeth) in place."""
    if kind == 1:
        for c in range(channels):
            line[c::channels] = bytes(accumulate(line[c::channels], lambda a, b: (a + b) & 255))
    elif kind == 2:
        line[:] = bytes((a + b) & 255 for a, b in zip(line, previous))
    elif kind in (3, 4):
        for i in range(len(line)):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            if kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
                continue
            c = previous[i - channels] if i >= channels else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255


def read_png(path, most_rows=None):
    """(width, channels, rows) of an 8-bit RGB or RGBA PNG, each row a bytearray:
    its first `most_rows` rows, or all."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    at, idat = 8, []
    width = height = channels = 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                fail(f"{path}: PNG kind not handled (depth {depth}, colour {colour})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        at += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(min(height, most_rows or height)):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        unfilter(raw[start], line, previous, channels)
        rows.append(line)
        previous = line
    return width, channels, rows


def matching_per_row(path, colour, tolerance=4, most_rows=None):
    """How many pixels of each row of the PNG (of its first `most_rows`) are
    within `tolerance` of `colour`."""
    _, channels, rows = read_png(path, most_rows)
    ranges = b"".join(
        b"[" + re.escape(bytes([max(0, v - tolerance)])) + b"-" +
        re.escape(bytes([min(255, v + tolerance)])) + b"]"
        for v in colour
    )
    pixel = re.compile(b"(?=" + ranges + b")", re.S)
    return [sum(1 for m in pixel.finditer(line) if m.start() % channels == 0) for line in rows]


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    dom_path, png_path, control_path = sys.argv[1:]
    with open(dom_path, encoding="utf-8") as f:
        dom = f.read()

    # (a) The bands in the DOM, inside their charts' plot areas.
    charts = re.findall(r'<svg class="chart".*?</svg>', dom, re.S)
    bands = []
    for svg in charts:
        clip = re.search(r"<clipPath [^>]*><rect ([^>]*)>", svg)
        for tag in re.findall(r'<rect class="episode-band"[^>]*>', svg):
            band = attributes(tag)
            x, w = float(band["x"]), float(band["width"])
            y, h = float(band["y"]), float(band["height"])
            plot = {k: float(attributes(clip.group(1))[k]) for k in ("x", "y", "width", "height")}
            inside = (
                x >= plot["x"] - 0.05
                and x + w <= plot["x"] + plot["width"] + 0.1
                and y >= plot["y"] - 0.05
                and y + h <= plot["y"] + plot["height"] + 0.1
            )
            if not (w > 0 and h > 0 and inside):
                fail(f"an episode band outside its plot area or empty: {tag}")
            bands.append(band)
    if not bands:
        fail(f"{dom_path}: no episode band in the browser's DOM")
    print(f"{len(bands)} episode bands in {len(charts)} charts, each inside its plot area")

    # (b) The retries chart and its line.
    figure = re.search(
        r"<figcaption>" + re.escape(RETRIES_CHART) + r"</figcaption>(<svg .*?</svg>)", dom, re.S
    )
    if not figure:
        fail(f"{dom_path}: no chart '{RETRIES_CHART}'")
    segments = [d.count("L") for d in re.findall(r'<path class="series" d="([^"]*)"', figure.group(1))]
    if not segments or max(segments) < 10:
        fail(f"'{RETRIES_CHART}' has no drawn line (segments per series: {segments})")
    print(f"'{RETRIES_CHART}': {len(segments)} lines, up to {max(segments)} segments")

    # (c) The first band on the screenshot, in its colour over white.
    first = bands[0]
    fill = first["fill"].lstrip("#")
    opacity = float(first["fill-opacity"])
    colour = [round(255 - opacity * (255 - int(fill[i : i + 2], 16))) for i in (0, 2, 4)]
    width, height = float(first["width"]), float(first["height"])
    rows = matching_per_row(png_path, colour)
    band_rows = sum(1 for n in rows if n >= 0.5 * width)
    if band_rows < 0.5 * height:
        fail(
            f"{png_path}: the episode band (colour {colour}, {width:.0f} x {height:.0f} px) "
            f"does not show: {band_rows} rows hold half its width in its colour"
        )
    control = max(matching_per_row(control_path, colour, most_rows=len(rows)))
    if control >= 0.25 * width:
        fail(f"{control_path}, without episodes, has a row of {control} pixels in {colour}")
    print(
        f"the band shows: {band_rows} rows of at least {0.5 * width:.0f} px in {colour}; "
        f"without episodes, at most {control} such pixels in a row"
    )


if __name__ == "__main__":
    main()
