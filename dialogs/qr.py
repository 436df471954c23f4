"""QR codes of links, for posters: PNG for chats, SVG for print (pure: bytes in memory)."""

from __future__ import annotations

import io

import segno

SCALE = 10  # pixels per module: about 450 px for a t.me link, sharp on a phone and on paper
BORDER = 4  # the quiet zone the QR standard asks for


def _save(data: str, kind: str, **options: object) -> bytes:
    # Error correction "Q" (25 %): a poster survives a fold, a stain or a logo pasted over it.
    buf = io.BytesIO()
    segno.make(data, error="q", micro=False).save(buf, kind=kind, scale=SCALE, border=BORDER, **options)
    return buf.getvalue()


def qr_png(data: str) -> bytes:
    return _save(data, "png")


def qr_svg(data: str) -> bytes:
    return _save(data, "svg", xmldecl=True, title=data)
