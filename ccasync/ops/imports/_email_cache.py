"""Email syntax for imports: email-validator decides, with per-domain and per-character caches.

:func:`normalize_email` is the reference: the address as email-validator normalizes it, or
``EmailNotValidError``. :class:`EmailCache` answers the same thing faster for the common shape
(dot-atom local part, plain domain) and says None when it cannot answer, so that the caller
falls back to :func:`normalize_email` (which then also produces the error message).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT_INTL
from email_validator.syntax import check_unsafe_chars, validate_email_local_part

from ccasync.models.contacts import EMAIL_MAX

_MAX_CACHED = 10_000
_LOCAL = operator.itemgetter(0)
_DOMAIN = operator.itemgetter(2)
_JOIN = "{}@{}".format


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str:
    # Domain checks are ~70% of email-validator's cost and domains repeat a lot: cache them.
    return validate_email("x@" + domain, check_deliverability=False).domain


def normalize_email(address: str) -> str:
    """The address as email-validator normalizes it; raises ``EmailNotValidError``.

    Plain addresses take a fast path (local part checked by email-validator's own local-part
    validator, domain result cached); quoted local parts and domain literals take the full path.
    """
    local, at, domain = address.rpartition("@")
    if not at or '"' in address or "[" in domain:
        return validate_email(address, check_deliverability=False).normalized
    checked = validate_email_local_part(local, allow_smtputf8=True, allow_empty_local=False)
    return f"{checked['local_part']}@{_domain(domain)}"


def _char_is_safe(char: str) -> bool:
    # email-validator's own per-character verdict, taken at position 0 (the strictest one:
    # a combining mark is refused only there), plus the UTF-8 encodability it also checks.
    try:
        check_unsafe_chars(char)
        char.encode("utf8")
    except (EmailNotValidError, ValueError):
        return False
    return True


def positions(values: list[Any], target: object) -> list[int]:
    """Every index of ``target`` in ``values``, in order (list.index: the search runs in C)."""
    found: list[int] = []
    at = -1
    while True:
        try:
            at = values.index(target, at + 1)
        except ValueError:
            return found
        found.append(at)


# email-validator's dot-atom pattern, repeated over lines: one match vouches for a whole
# column of local parts (its characters never include "\n", so lines cannot run together).
assert DOT_ATOM_TEXT_INTL.pattern.endswith(r"\Z")
_DOT_ATOM_LINES = re.compile(
    "(?:" + DOT_ATOM_TEXT_INTL.pattern.removesuffix(r"\Z") + "\n)*", DOT_ATOM_TEXT_INTL.flags
)


def _not_dot_atoms(locals_: list[str]) -> list[int]:
    """Positions of the local parts email-validator's dot-atom pattern does not match."""
    text = "\n".join(locals_)
    if text.count("\n") == len(locals_) - 1 and _DOT_ATOM_LINES.fullmatch(text + "\n"):
        return []
    return positions(list(map(DOT_ATOM_TEXT_INTL.match, locals_)), None)


class EmailCache:
    """Answers :func:`normalize_email` for plain addresses without re-validating known parts.

    A local part is accepted here exactly when email-validator's local-part validator accepts
    it unchanged: it matches email-validator's dot-atom pattern (ASCII or internationalized) and,
    for a non-ASCII one, every character passed email-validator's unsafe-character check (the
    validator runs that check on non-ASCII local parts only; :meth:`normalize` also applies it
    to ASCII ones, which only costs a fallback). The check is per character and strictest at
    position 0, where each cached character was tested. Domains are validated by
    email-validator once and cached. Both caches are bounded.
    """

    def __init__(self) -> None:
        self._domains: dict[str, str] = {}
        self._safe_chars: set[str] = set()

    def normalize(self, address: str) -> str | None:
        """The normalized address, or None when :func:`normalize_email` must decide."""
        local, _, domain = address.rpartition("@")
        if not DOT_ATOM_TEXT_INTL.match(local):
            return None
        if not self._safe_chars.issuperset(local) and not self._learn_chars(local):
            return None
        normalized = self._domains.get(domain)
        if normalized is None:
            normalized = self._learn_domain(domain)
            if normalized is None:
                return None
        return address if normalized == domain else local + "@" + normalized

    def normalize_column(self, addresses: list[str]) -> list[str | None]:
        """:meth:`normalize` for each address; "" stays "".

        An address normalization changes and makes longer than ``EMAIL_MAX`` gives None; one it
        leaves unchanged is returned as is (its length is the caller's check).

        Same verdicts as :meth:`normalize`, computed column-wise: each step is one C-level
        pass (split, email-validator's pattern, known characters, known domain), and only the
        addresses those passes cannot vouch for go through :meth:`normalize` one by one.
        """
        parts = list(map(str.rpartition, addresses, itertools.repeat("@")))
        locals_ = list(map(_LOCAL, parts))
        domains = list(map(_DOMAIN, parts))
        # "" marks an unknown domain: str-to-str comparisons are cheaper than looking for None.
        known = list(map(self._domains.get, domains, itertools.repeat("")))
        unproven = {*_not_dot_atoms(locals_), *positions(known, ""), *self._odd(locals_)}
        # Rows not proven get their own answer below, whatever this made of them.
        out: list[str | None] = (
            list(addresses) if known == domains else list(map(_JOIN, locals_, known))
        )
        for at in unproven:
            address = addresses[at]
            out[at] = self._one(address) if address else address
        return out

    def _odd(self, locals_: list[str]) -> list[int]:
        # Positions of non-ASCII local parts with a character not known to be safe. An ASCII
        # local part matching the pattern is accepted by email-validator without that check.
        if "".join(locals_).isascii():
            return []
        ascii_flags = list(map(str.isascii, locals_))
        if False not in ascii_flags:
            return []
        others = itertools.compress(locals_, map(operator.not_, ascii_flags))
        if self._safe_chars.issuperset("".join(others)):
            return []
        return [
            at
            for at, local in enumerate(locals_)
            if not local.isascii() and not self._safe_chars.issuperset(local)
        ]

    def _one(self, address: str) -> str | None:
        normalized = self.normalize(address)
        if normalized is not None and len(normalized) > EMAIL_MAX:
            return None
        return normalized

    def _learn_chars(self, local: str) -> bool:
        new = set(local).difference(self._safe_chars)
        if not all(map(_char_is_safe, new)):
            return False
        if len(self._safe_chars) < _MAX_CACHED:
            self._safe_chars.update(new)
        return True

    def _learn_domain(self, domain: str) -> str | None:
        # The reference path sends quoted and bracketed forms to the full validator: never cache.
        if '"' in domain or "[" in domain or not domain:
            return None
        try:
            normalized = _domain(domain)
        except EmailNotValidError:
            return None
        if len(self._domains) < _MAX_CACHED:
            self._domains[domain] = normalized
        return normalized
