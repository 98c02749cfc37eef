"""Expressions that give the same answer on every engine, where Ibis's own do not.

Each helper names the engine bug it avoids, so it can go when Ibis fixes it.
"""

from __future__ import annotations

import ibis.expr.types as ir

# Lazy so that "  a  b  " keeps its inner spaces; [\s\S] because "." stops at newlines.
_TRIM = r"^\s*([\s\S]*?)\s*$"


def strip(text: ir.StringValue) -> ir.StringValue:
    """``text`` without surrounding whitespace; null stays null.

    Ibis 12 compiles ``.strip()`` for Spark as ``TRIM(' \\t\\n\\r\\v\\f' FROM x)``, and Spark reads
    ``\\v`` and ``\\f`` as the letters v and f: "facebook" would become "acebook".
    """
    return text.re_extract(_TRIM, 1)
