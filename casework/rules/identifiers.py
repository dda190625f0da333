"""National identifiers casework holds for a person, and their check characters.

Pure functions: a value in, the canonical value out or ValueError naming the problem.

- NHS number: 10 digits; the tenth is a check digit by modulus 11 (weights 10 down to 2 on the
  first nine; 11 - remainder, 11 meaning 0, 10 meaning the number is not valid).
- Unique pupil number (DfE): 13 characters; the first is a check letter computed from the other
  twelve (each multiplied by its position, 2 to 13, summed, modulo 23, read as a letter of
  ABCDEFGHJKLMNPQRTUVWXYZ); the last may itself be such a letter for a temporary UPN.
"""

from __future__ import annotations

import re
from operator import mul

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
_NHS = re.compile(r"[0-9]{10}")
_UPN = re.compile(rf"[{UPN_LETTERS}][0-9]{{11}}[0-9{UPN_LETTERS}]")


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit of an NHS number's first nine digits, or None when there is none
    (a remainder giving 10: no NHS number is issued with those nine digits)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else None if check == 10 else check


def nhs_number(value: str) -> str:
    """An NHS number as its 10 digits (spaces allowed between the groups)."""
    digits = value.replace(" ", "")
    if not _NHS.fullmatch(digits):
        raise ValueError(f"{value!r} is not an NHS number: use 10 digits")
    if nhs_check_digit(digits[:9]) != int(digits[9]):
        raise ValueError(f"{value!r} is not a valid NHS number: its check digit is wrong")
    return digits


def upn_check_letter(last_twelve: str) -> str:
    """The check letter for a UPN's characters 2 to 13."""
    total = 0
    for position, char in enumerate(last_twelve, start=2):
        total += position * (int(char) if char.isdigit() else UPN_LETTERS.index(char))
    return UPN_LETTERS[total % 23]


def upn(value: str) -> str:
    """A unique pupil number as 13 capital letters and digits."""
    text = value.strip().upper()
    if not _UPN.fullmatch(text):
        raise ValueError(f"{value!r} is not a unique pupil number: use a letter, 11 digits "
                         "and a digit or letter (13 characters)")
    if upn_check_letter(text[1:]) != text[0]:
        raise ValueError(f"{value!r} is not a valid unique pupil number: its check letter "
                         "is wrong")
    return text


# The column forms below check a whole column of a partner file as the functions above check
# one value (the importer's quick path, which goes back to the one-value forms to name a
# problem): each value's characters summed as their ASCII codes, in C, less the codes'
# offset, instead of a Python step a character.
_NHS_WEIGHTS = range(10, 1, -1)
_NHS_OFFSET = ord("0") * sum(_NHS_WEIGHTS)
_UPN_WEIGHTS = range(2, 13)  # characters 2 to 12, digits; the 13th is weighed apart
_UPN_OFFSET = ord("0") * sum(_UPN_WEIGHTS)
_UPN_LAST = {ord(c): v for v, c in enumerate(UPN_LETTERS)} | {ord(str(d)): d for d in range(10)}


def nhs_numbers(values: list[str]) -> list[str]:
    """nhs_number of each value, or ValueError (naming nothing) if any is not one."""
    out = [value.replace(" ", "") for value in values]
    for digits in out:
        if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
            raise ValueError
        codes = digits.encode()
        check = 11 - (sum(map(mul, codes[:9], _NHS_WEIGHTS)) - _NHS_OFFSET) % 11
        if (0 if check == 11 else check) != codes[9] - 48:  # 10: no such number
            raise ValueError
    return out


def upns(values: list[str]) -> list[str]:
    """upn of each value, or ValueError (naming nothing) if any is not one."""
    out = [value.strip().upper() for value in values]
    fullmatch = _UPN.fullmatch
    for text in out:
        if not fullmatch(text):
            raise ValueError
        codes = text.encode()
        total = (sum(map(mul, codes[1:12], _UPN_WEIGHTS)) - _UPN_OFFSET
                 + 13 * _UPN_LAST[codes[12]])
        if UPN_LETTERS[total % 23] != text[0]:
            raise ValueError
    return out
