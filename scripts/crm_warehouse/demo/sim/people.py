"""People's details as typed into a CRM: company names, emails (some invalid,
some in odd case) and phone numbers (regional formats, junk, blanks)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_warehouse.demo import config, text, vocab
from crm_warehouse.demo.text import concat, pick, where


def company_names(rng: np.random.Generator, n: int) -> pa.Array:
    """n random company names."""
    first = pick(vocab.COMPANY_FIRST, rng.integers(0, len(vocab.COMPANY_FIRST), n))
    second = pick(vocab.COMPANY_SECOND, rng.integers(0, len(vocab.COMPANY_SECOND), n))
    suffix = pick(vocab.COMPANY_SUFFIX, rng.integers(0, len(vocab.COMPANY_SUFFIX), n))
    out = concat(first, " ", second, " ", suffix)
    return pc.utf8_rtrim_whitespace(out)


def invalid_emails(
    rng: np.random.Generator, email: pa.Array, local: pa.Array, domain: pa.Array
) -> pa.Array:
    """INVALID_EMAIL_RATE of the emails broken: no @, a double @ or a space."""
    n = len(email)
    bad = rng.random(n) < config.INVALID_EMAIL_RATE
    kind = rng.integers(0, 3, n)
    no_at = concat(local, ".", domain)
    double = concat(local, "@@", domain)
    space = concat(pc.replace_substring(local, ".", " ", max_replacements=1), "@", domain)
    out = where(bad & (kind == 0), no_at, email)
    out = where(bad & (kind == 1), double, out)
    # a local part without a dot has no space to gain: put one before the @
    space = where(pc.match_substring(local, "."), space, concat(local, " @", domain))
    return where(bad & (kind == 2), space, out)


def email_case(rng: np.random.Generator, email: pa.Array) -> pa.Array:
    """Emails as typed: some Capitalised, UPPER or with spaces around."""
    n = len(email)
    r = rng.random(n)
    out = where(r < 0.08, pc.utf8_capitalize(email), email)
    out = where((r >= 0.08) & (r < 0.1), pc.utf8_upper(email), out)
    out = where((r >= 0.1) & (r < 0.13), concat(" ", out, " "), out)
    return out


def phones(rng: np.random.Generator, region: np.ndarray) -> pa.Array:
    """Phones in the formats of each region (0 NA, 1 EMEA, 2 APAC), some junk, some blank."""
    n = len(region)
    a = text.num(rng.integers(200, 1000, n))
    b = text.num(rng.integers(0, 1000, n), 3)
    c = text.num(rng.integers(0, 10000, n), 4)
    d = text.num(rng.integers(1000000, 9999999, n))
    fmt = rng.integers(0, 3, n)
    na = where(
        fmt == 0,
        concat("+1 ", a, " ", b, " ", c),
        where(fmt == 1, concat("(", a, ") ", b, "-", c), concat(a, ".", b, ".", c)),
    )
    emea = where(
        fmt == 0,
        concat("+44 20 ", b, " ", c),
        where(fmt == 1, concat("+49 30 ", d), concat("0", a, " ", d)),
    )
    apac = where(fmt == 0, concat("+61 2 ", c, " ", c), concat("+65 ", c, " ", c))
    out = where(region == 0, na, where(region == 1, emea, apac))
    bad = rng.random(n) < config.INVALID_PHONE_RATE
    junk = pick(
        ("n/a", "tbd", "call me", "555-12", "12345", "+1 415 CALL NOW", "0049 30 12x45"),
        rng.integers(0, 7, n),
    )
    out = where(bad, junk, out)
    missing = rng.random(n) < 0.12
    return where(missing & ~bad, pa.nulls(n, pa.string()), out)
