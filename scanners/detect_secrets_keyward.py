"""detect-secrets plugin for Keyward client secrets (issue 22 §1).

    detect-secrets scan --plugin scanners/detect_secrets_keyward.py <path>

A match must have Keyward's exact shape (kw_ + optional realm segment + 64 base62 characters +
6-character checksum) and a checksum that holds: CRC32 (zlib's) of the random part, in base62
with the alphabet 0-9A-Za-z, left-padded with 0 to 6 characters. So a value that merely looks
like one is not reported.
"""
import re
import zlib

from detect_secrets.plugins.base import RegexBasedDetector

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PATTERN = re.compile(r"\bkw_(?:[a-z0-9]{1,16}_)?([0-9A-Za-z]{64})([0-9A-Za-z]{6})\b")


def checksum(random_part: str) -> str:
    n = zlib.crc32(random_part.encode("ascii"))
    digits = []
    for _ in range(6):
        n, r = divmod(n, 62)
        digits.append(ALPHABET[r])
    return "".join(reversed(digits))


class KeywardSecretDetector(RegexBasedDetector):
    """Scans for Keyward client secrets whose checksum holds."""

    secret_type = "Keyward client secret"
    denylist = (PATTERN,)

    def analyze_string(self, string: str):
        for match in PATTERN.finditer(string):
            random_part, check = match.group(1), match.group(2)
            if checksum(random_part) == check:
                yield match.group(0)
