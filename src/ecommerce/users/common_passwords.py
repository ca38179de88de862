"""A small list of the passwords attackers try first, shipped with the code (no download).

Drawn from the most common entries of public breach corpora. A password is refused when it is
one of them, ignoring case, spaces and separators, digits or symbols at either end, simple l33t
spelling (`P@ssw0rd2024!` is `password`), or one of them said twice (`qwertyqwerty`).
"""

from __future__ import annotations

import re
import string

_LISTED = """
    123456 1234567 12345678 123456789 1234567890 12345678910 123123 123321 654321 111111
    000000 666666 121212 112233 123qwe qwe123 1q2w3e 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y
    1qaz2wsx 1qazxsw2 zaq12wsx zaq1xsw2 q1w2e3r4 q1w2e3r4t5 aa123456 abc123 abcd1234
    a1b2c3 a1b2c3d4 qwerty qwertyui qwertyuiop qwerty123 qwertz azerty asdf asdfgh
    asdfghjkl asdfasdf zxcvbn zxcvbnm qazwsx qweasd qweasdzxc 1234qwer qwer1234 asdf1234
    password passwort passw0rd p4ssword pass pass123 password1 password12 password123
    mypassword newpassword yourpassword nopassword secret secret123 topsecret changeme
    changeit letmein letmeinnow welcome welcome1 hello hellothere helloworld admin
    administrator root toor guest user username login default test testing tester demo
    master access pass1234 iloveyou loveyou iloveu lovely loveme love monkey dragon
    shadow sunshine princess football baseball basketball soccer hockey tennis golfer
    superman batman spiderman ironman starwars pokemon minecraft fortnite whatever
    freedom trustno1 ninja michael jennifer jordan jordan23 hunter hunter2 ranger buster
    killer george andrew harley pepper daniel thomas robert charlie maggie ginger
    jessica ashley michelle nicole hannah amanda joshua matthew anthony william taylor
    mustang corvette ferrari porsche mercedes yamaha harley tigger summer winter spring
    autumn flower computer internet samsung google apple iphone android microsoft
    windows linux cisco oracle qwerty1 qwerty12 abcdef abcdefg abcdefgh abcdefghijkl
    abcabc aaaaaa zzzzzz letmein1 welcome123 admin123 admin1234 root123 test123
    test1234 guest123 user123 blink182 chocolate cookie butterfly purple orange banana
    cheese biteme lovers family
    friends forever together secure security private business company office
    jesus christ heaven angel angels blessed faith trinity matrix zxcvbnm123
    correcthorsebatterystaple thequickbrownfox onetwothree
"""
COMMON_PASSWORDS = frozenset(_LISTED.split())

_SEPARATORS = re.compile(r"[\s\-_.]+")
_EDGES = string.digits + string.punctuation
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


def is_common_password(password: str) -> bool:
    folded = password.casefold()
    squashed = _SEPARATORS.sub("", folded)
    core = squashed.strip(_EDGES)
    candidates = {folded, squashed, core, core.translate(_LEET), squashed.translate(_LEET)}
    for candidate in list(candidates):
        half, odd = divmod(len(candidate), 2)
        if not odd and half and candidate[:half] == candidate[half:]:
            candidates.add(candidate[:half])
    return not candidates.isdisjoint(COMMON_PASSWORDS)
