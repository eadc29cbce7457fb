#!/usr/bin/env python3
"""Verify and decode a hoft spool file, following SPEC.md (format versions 1 to 4) alone.

An independent decoder: it shares no code with the Java implementation. It uses a stock JOSE
library (jwcrypto) for the JWS header and the JWE content key, the `cryptography` package for
AES-GCM and HKDF, and the `zstd` command-line tool for decompression. Section numbers below
("§7.3") refer to SPEC.md.

    decode-spool.py --keys back.jwks --trust front.public.jwks [--trust shared.jwks] FILE

On success it prints the decoded file as JSON (the shape of the test vectors' expected.json)
and exits 0. On any failure it prints "rejected: REASON: message (disposition)" to standard
error and exits 2, REASON being one of the reason strings of §13.2. Usage errors exit 1.

Debian 12: apt-get install python3-jwcrypto python3-cryptography zstd
"""

import argparse
import base64
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from jwcrypto import jwe as jose_jwe
    from jwcrypto import jwk as jose_jwk
    from jwcrypto import jws as jose_jws
except ImportError as missing:  # pragma: no cover - depends on the machine
    sys.stderr.write("decode-spool.py needs python3-jwcrypto and python3-cryptography: %s\n" % missing)
    sys.exit(1)

# §3 preamble
MAGIC = b"HOFT"
VERSIONS = (1, 2, 3, 4)
SESSION_VERSIONS = (2, 4)  # §10.8: files keyed by a session
FRAME_DIGEST_VERSIONS = (1, 2)  # §7.4: frames carry the SHA-256 of their plaintext
TICKET_VERSION = 2  # §10.8: the "hoft" member of a session ticket
PREAMBLE_LENGTH = 48
MAX_PADDING = 4096

# §14 default caps
MAX_HEADER_BYTES = 2 * 1024 * 1024
MAX_FRAMES = 4096
MAX_META_BYTES = 1024 * 1024
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
MAX_PLAIN_BYTES = 2 * 1024 * 1024 * 1024
MAX_FRAGMENTS = 65536
MAX_BODY_BYTES = 64 * 1024 * 1024 * 1024
MAX_JSON_DEPTH = 16
MAX_NUMBER_CHARS = 20
INT64_MAX = 2 ** 63 - 1
INT32_MAX = 2 ** 31 - 1

# §7.3
TAG_LENGTH = 16
MIN_SEGMENT = 4096
MAX_SEGMENT = 1024 * 1024
MAX_SEGMENTS = 2 ** 32
MAX_WINDOW = "8MB"  # 2^23 bytes, §7.2

MODES = ("encrypted", "signed-plaintext", "checksum-only-unauthenticated")
KINDS = ("request", "response", "ack", "nack", "heartbeat", "status")
CONTROL_KINDS = ("ack", "nack", "heartbeat")
NAME_TOKENS = {"request": "req", "response": "res", "status": "sts"}

NODE_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?\Z")
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
SHA256_HEX = re.compile(r"[0-9a-f]{64}\Z")
COMPACT = re.compile(r"[A-Za-z0-9_.-]*\Z")
BASE64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
TCHARS = set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


# --- §13.2 failures -------------------------------------------------------------------------

class Rejected(Exception):
    """A file that must not be acted on: a §13.2 reason and a message naming what failed."""

    def __init__(self, reason, message, verified=False):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.verified = verified

    def disposition(self):
        if self.reason in ("spoofed", "misaddressed", "unsupported-version"):
            return "quarantine"
        if self.reason == "incomplete":
            return "retry-later"
        if self.reason == "expired":
            return "discard"
        return "nack" if self.verified else "quarantine"


def malformed(message):
    return Rejected("malformed", message)


def too_large(message):
    return Rejected("too-large", message)


# --- §1 encodings and §5.1 strict JSON --------------------------------------------------------

B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64url_decode(text, what):
    """Unpadded base64url (RFC 4648 §5), strictly: no '=', no other alphabet, valid length,
    and canonical: the bits of the last character that encode nothing are zero (§1)."""
    if not BASE64URL.match(text) or len(text) % 4 == 1:
        raise malformed("%s is not unpadded base64url" % what)
    if len(text) % 4 and B64URL_ALPHABET.index(text[-1]) & (0x0F if len(text) % 4 == 2 else 0x03):
        raise malformed("%s is not canonical base64url: the unused bits of its last character are not zero" % what)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class _Float(float):
    """Marks a JSON number written with a fraction or an exponent: never an integer (§5.1)."""


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError("duplicate member %r" % key)
        obj[key] = value
    return obj


def _int(text):
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number longer than %d characters" % MAX_NUMBER_CHARS)
    return int(text)


def _float(text):
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError("number longer than %d characters" % MAX_NUMBER_CHARS)
    return _Float(text)


def _constant(name):
    raise ValueError("%s is not JSON" % name)


def _depth(value, level=1):
    if level > MAX_JSON_DEPTH:
        raise ValueError("nested deeper than %d levels" % MAX_JSON_DEPTH)
    if isinstance(value, dict):
        for v in value.values():
            _depth(v, level + 1)
    elif isinstance(value, list):
        for v in value:
            _depth(v, level + 1)


def strict_json(data, what):
    """§5.1: UTF-8, one value and nothing after it, no duplicate members, no NaN."""
    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_int,
                           parse_float=_float, parse_constant=_constant)
        _depth(value)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise malformed("%s is not valid JSON: %s" % (what, e))
    return value


def obj(value, path, required, optional=()):
    """An object with every required member and nothing outside required + optional."""
    if not isinstance(value, dict):
        raise malformed("%s must be an object" % path)
    for key in required:
        if key not in value:
            raise malformed("%s.%s is missing" % (path, key))
    for key in value:
        if key not in required and key not in optional:
            raise malformed("%s has unknown field %r" % (path, key))
    return value


def integer(parent, key, path, low=0, high=INT64_MAX):
    value = parent.get(key)
    if type(value) is not int or value < low or value > high:  # bool is not int here
        raise malformed("%s.%s must be an integer in [%d, %d]" % (path, key, low, high))
    return value


def string(parent, key, path):
    value = parent.get(key)
    if not isinstance(value, str):
        raise malformed("%s.%s must be a string" % (path, key))
    return value


def sha256_member(parent, path):
    value = string(parent, "sha256", path)
    if not SHA256_HEX.match(value):
        raise malformed("%s.sha256 must be 64 lowercase hex digits" % path)
    return value


# --- §10 keys -------------------------------------------------------------------------------

def read_key_set(path):
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (OSError, ValueError) as e:
        raise SystemExit("cannot read key set %s: %s" % (path, e))
    node = data.get("hoft-node") if isinstance(data, dict) else None
    if not isinstance(node, str) or not NODE_ID.match(node) or not isinstance(data.get("keys"), list):
        raise SystemExit("%s is not a JWK set with a \"hoft-node\" member naming a node" % path)
    for key in data["keys"]:
        if not isinstance(key, dict) or not isinstance(key.get("kid"), str):
            raise SystemExit("%s holds a key without kid" % path)
    return node, data["keys"]


def valid_at(key, now_ms):
    """§10.5: nbf and exp are seconds; valid from nbf (inclusive) until exp (exclusive)."""
    if "nbf" in key and now_ms < key["nbf"] * 1000:
        return False
    if "exp" in key and now_ms >= key["exp"] * 1000:
        return False
    return True


def hkdf(secret, info):
    """§10.4: HKDF-SHA256, empty salt, 32 bytes."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def oct_jwk(raw):
    return jose_jwk.JWK(kty="oct", k=b64url_encode(raw))


def ec_jwk(key):
    members = {k: v for k, v in key.items() if k in ("kty", "crv", "x", "y", "d", "kid")}
    return jose_jwk.JWK(**members)


class Keys:
    """This node's own keys (§10.1) and its trust list (§10.2)."""

    def __init__(self, own_path, node, trust_paths):
        self.own = []
        self.node = node
        if own_path:
            self.node, keys = read_key_set(own_path)
            for key in keys:
                if key.get("kty") != "EC" or key.get("crv") != "P-256" or "d" not in key \
                        or key.get("use") not in ("sig", "enc"):
                    raise SystemExit("%s: key %s is not a private P-256 key with use sig or enc" % (own_path, key["kid"]))
            self.own = keys
        self.owner = {}  # kid -> (peer node, key)
        self.peers = {}
        for path in trust_paths:
            peer, keys = read_key_set(path)
            self.peers.setdefault(peer, [])
            for key in keys:
                if key.get("kty") == "oct":
                    if len(b64url_decode(key.get("k", ""), "k")) < 32:
                        raise SystemExit("%s: shared secret %s is shorter than 256 bits" % (path, key["kid"]))
                elif key.get("kty") != "EC" or key.get("crv") != "P-256" or key.get("use") not in ("sig", "enc"):
                    raise SystemExit("%s: key %s is neither a P-256 sig/enc key nor a shared secret" % (path, key["kid"]))
                elif "d" in key:
                    raise SystemExit("%s: key %s is private; a trust list takes public keys only" % (path, key["kid"]))
                previous = self.owner.get(key["kid"])
                if previous is not None and previous[0] != peer:
                    raise SystemExit("kid %s is claimed by both %s and %s" % (key["kid"], previous[0], peer))
                if previous is None:
                    self.owner[key["kid"]] = (peer, key)
                    self.peers[peer].append(key)

    def verifier(self, kid, now_ms):
        """§10.6: (signer, alg, jwcrypto key) for a kid valid now, or None."""
        found = self.owner.get(kid)
        if found is None or not valid_at(found[1], now_ms):
            return None
        peer, key = found
        if key["kty"] == "oct":
            secret = b64url_decode(key["k"], "k")
            return peer, "HS256", oct_jwk(hkdf(secret, b"hoft v1 sign"))
        if key.get("use") == "sig":
            return peer, "ES256", ec_jwk(key)
        return None  # an agreement key never verifies

    def unwrapper(self, kid, alg, sender, now_ms):
        """§10.6: the jwcrypto key that unwraps a content key, or None."""
        if alg == "A256KW":
            for key in self.peers.get(sender, []):
                if key["kty"] == "oct" and key["kid"] == kid and valid_at(key, now_ms):
                    return oct_jwk(hkdf(b64url_decode(key["k"], "k"), b"hoft v1 wrap"))
        elif alg == "ECDH-ES+A256KW":
            for key in self.own:
                if key["use"] == "enc" and key["kid"] == kid and valid_at(key, now_ms):
                    return ec_jwk(key)
        return None


# --- §3 to §6: preamble, header, claims, content key ----------------------------------------

def read_exactly(f, n, shortness, what):
    data = f.read(n)
    if len(data) < n:
        raise shortness(what)
    return data


def parse_jws(header_bytes, version):
    """§4: the compact JWS; returns (protected header, claims bytes, compact string)."""
    if not COMPACT.match(header_bytes.decode("latin-1")):
        raise malformed("header has a byte that cannot be in a compact JWS")
    compact = header_bytes.decode("ascii")
    parts = compact.split(".")
    if len(parts) == 5:
        raise malformed("header is a JWE, not a JWS")
    if len(parts) != 3:
        raise malformed("header is not a compact JWS: %d parts" % len(parts))
    protected = strict_json(b64url_decode(parts[0], "JWS protected header"), "JWS protected header")
    if not isinstance(protected, dict):
        raise malformed("JWS protected header must be an object")
    claims = b64url_decode(parts[1], "JWS payload")
    signature = b64url_decode(parts[2], "JWS signature")
    alg = protected.get("alg")
    allowed = ("alg", "typ") if alg == "none" else ("alg", "kid", "typ", "hoft-session")
    for member in protected:
        if member not in allowed or (member == "hoft-session" and version not in SESSION_VERSIONS):
            raise malformed("JWS header has unexpected parameter %r" % member)
    if version in SESSION_VERSIONS and "hoft-session" not in protected:
        raise malformed("a version %d header has no hoft-session member" % version)
    if "hoft-session" in protected and not isinstance(protected["hoft-session"], str):
        raise malformed("header member hoft-session must be a string")
    if not isinstance(alg, str):
        raise malformed("JWS header has no alg")
    if alg == "none" and signature:
        raise malformed("unsecured header has a signature part")
    if protected.get("typ") != "hoft-header":
        raise malformed('header typ must be "hoft-header"')
    return protected, claims, compact


def verify_signature(protected, compact, keys, now_ms):
    """§13.1 step 12; returns the signer's node id."""
    alg = protected["alg"]
    if alg not in ("ES256", "HS256"):
        raise Rejected("spoofed", "signature algorithm %s is not accepted" % alg)
    kid = protected.get("kid")
    if not isinstance(kid, str):
        raise Rejected("spoofed", "header is signed without a kid")
    found = keys.verifier(kid, now_ms)
    if found is None:
        raise Rejected("spoofed", "signed with kid %r, which is not a valid trusted key" % kid)
    signer, key_alg, key = found
    if key_alg != alg:
        raise Rejected("spoofed", "kid %s is a %s key, not %s" % (kid, key_alg, alg))
    jws = jose_jws.JWS()
    try:
        jws.deserialize(compact)
        jws.verify(key, alg=alg)
    except Exception as e:  # jwcrypto raises several types for a bad signature
        raise Rejected("spoofed", "signature does not verify with key %s (%s)" % (kid, type(e).__name__))
    return signer


SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Session:
    """A verified session (§10.8): its sender, id and the keys derived from its secret."""

    def __init__(self, sender, sid, secret):
        self.sender = sender
        self.sid = sid
        self.sign_key = oct_jwk(hkdf(secret, b"hoft v2 session sign"))
        self.wrap_key = oct_jwk(hkdf(secret, b"hoft v2 session wrap"))


def verify_session(protected, compact, keys, now_ms):
    """§10.8 and §13.1 step 12 for versions 2 and 4: the ticket, then the header's HS256 under the session."""
    if protected["alg"] != "HS256":
        raise Rejected("spoofed", "a session-keyed header must be signed HS256 under its session, not %s" % protected["alg"])
    kid = protected.get("kid")
    if not isinstance(kid, str):
        raise Rejected("spoofed", "header is signed without a kid")
    ticket = protected["hoft-session"]
    # the ticket: a compact JWS signed ES256 by the sender
    if not COMPACT.match(ticket):
        raise malformed("the session ticket has a character that cannot be in a compact JWS")
    parts = ticket.split(".")
    if len(parts) != 3:
        raise malformed("the session ticket is not a compact JWS")
    t_protected = strict_json(b64url_decode(parts[0], "session ticket protected header"), "session ticket protected header")
    if not isinstance(t_protected, dict):
        raise malformed("the session ticket's protected header must be an object")
    for member in t_protected:
        if member not in ("alg", "kid", "typ"):
            raise malformed("session ticket header has unexpected parameter %r" % member)
    if t_protected.get("typ") != "hoft-session":
        raise malformed('session ticket typ must be "hoft-session"')
    t_claims_bytes = b64url_decode(parts[1], "session ticket payload")
    b64url_decode(parts[2], "session ticket signature")
    if t_protected.get("alg") != "ES256":
        raise Rejected("spoofed", "the session ticket is signed with %s, not ES256" % t_protected.get("alg"))
    t_kid = t_protected.get("kid")
    if not isinstance(t_kid, str):
        raise Rejected("spoofed", "the session ticket is signed without a kid")
    found = keys.verifier(t_kid, now_ms)
    if found is None or found[1] != "ES256":
        raise Rejected("spoofed", "the session ticket is signed with kid %r, which is not a valid trusted signing key" % t_kid)
    signer, _, key = found
    jws = jose_jws.JWS()
    try:
        jws.deserialize(ticket)
        jws.verify(key, alg="ES256")
    except Exception as e:  # jwcrypto raises several types for a bad signature
        raise Rejected("spoofed", "the session ticket's signature does not verify with key %s (%s)" % (t_kid, type(e).__name__))
    t = obj(strict_json(t_claims_bytes, "session ticket claims"), "ticket",
            ("hoft", "sender", "recipient", "sid", "created", "expires", "key"))
    if integer(t, "hoft", "ticket", 0, INT32_MAX) != TICKET_VERSION:
        raise malformed("ticket.hoft must be 2")
    for member in ("sender", "recipient"):
        if not NODE_ID.match(string(t, member, "ticket")):
            raise malformed("ticket.%s is not a valid node id" % member)
    if not SESSION_ID.match(string(t, "sid", "ticket")):
        raise malformed("ticket.sid must be 16 to 64 characters of [A-Za-z0-9_-]")
    created, expires = integer(t, "created", "ticket"), integer(t, "expires", "ticket")
    if created > expires:
        raise malformed("ticket.created is after ticket.expires")
    if not string(t, "key", "ticket"):
        raise malformed("ticket.key is empty")
    if t["sender"] != signer:
        raise Rejected("spoofed", "the session ticket is signed by a key of %s but names %s as its sender" % (signer, t["sender"]))
    if t["recipient"] != keys.node:
        raise Rejected("spoofed", "the session ticket is for %s, not %s" % (t["recipient"], keys.node))
    # the secret: a compact JWE (ECDH-ES+A256KW) for this node's agreement key
    wrapped = t["key"]
    if not COMPACT.match(wrapped) or len(wrapped.split(".")) != 5:
        raise malformed("ticket.key is not a compact JWE")
    w_parts = wrapped.split(".")
    w_protected = strict_json(b64url_decode(w_parts[0], "ticket.key protected header"), "ticket.key protected header")
    if not isinstance(w_protected, dict):
        raise malformed("ticket.key protected header must be an object")
    for index in range(1, 5):
        b64url_decode(w_parts[index], "ticket.key part %d" % (index + 1))
    for member in w_protected:
        if member not in ("alg", "enc", "kid", "epk"):
            raise malformed("ticket.key header has unexpected parameter %r" % member)
    if w_protected.get("alg") not in ("ECDH-ES+A256KW", "A256KW"):
        raise malformed("ticket.key alg %r is not ECDH-ES+A256KW or A256KW" % w_protected.get("alg"))
    if w_protected.get("enc") != "A256GCM":
        raise malformed("ticket.key enc must be A256GCM")
    w_kid = w_protected.get("kid")
    if not isinstance(w_kid, str):
        raise malformed("ticket.key JWE has no kid")
    if w_protected["alg"] != "ECDH-ES+A256KW":
        raise malformed("the session secret must be wrapped with ECDH-ES+A256KW, not %s" % w_protected["alg"])
    unwrap_key = keys.unwrapper(w_kid, "ECDH-ES+A256KW", t["sender"], now_ms)
    if unwrap_key is None:
        raise Rejected("spoofed", "the session secret is wrapped for kid %r, which this node does not hold" % w_kid)
    jwe = jose_jwe.JWE()
    try:
        jwe.deserialize(wrapped, key=unwrap_key)
        secret = jwe.payload
    except Exception as e:  # jwcrypto raises several types for a failed decryption
        raise Rejected("spoofed", "the session secret does not decrypt (%s)" % type(e).__name__)
    if len(secret) != 32:
        raise malformed("the session secret is %d bytes, not 32" % len(secret))
    if now_ms > expires:
        raise Rejected("spoofed", "session %s expired at %d" % (t["sid"], expires))
    if t["sid"] != kid:
        raise Rejected("spoofed", "the header's kid %r is not the session %s its ticket opens" % (kid, t["sid"]))
    session = Session(t["sender"], t["sid"], secret)
    outer = jose_jws.JWS()
    try:
        outer.deserialize(compact)
        outer.verify(session.sign_key, alg="HS256")
    except Exception as e:
        raise Rejected("spoofed", "signature does not verify with the keys of session %s (%s)" % (kid, type(e).__name__))
    return session


def check_claims(claims):
    """§5.2 in the order of §5.3."""
    top = ("hoft", "mode", "sender", "recipient", "epoch", "seq", "created", "expires", "frames", "payload")
    obj(claims, "claims", top, ("encryption",))
    version = integer(claims, "hoft", "claims", 0, INT32_MAX)
    mode = string(claims, "mode", "claims")
    if mode not in MODES:
        raise malformed("claims.mode is not a known mode")
    for key in ("sender", "recipient"):
        if not NODE_ID.match(string(claims, key, "claims")):
            raise malformed("claims.%s is not a valid node id" % key)
    integer(claims, "epoch", "claims")
    seq = integer(claims, "seq", "claims")
    created = integer(claims, "created", "claims")
    expires = integer(claims, "expires", "claims")
    frames = claims["frames"]
    if not isinstance(frames, list) or not frames:
        raise malformed("claims.frames must be a non-empty array")
    if len(frames) > MAX_FRAMES:
        raise too_large("file has %d frames, more than the cap of %d" % (len(frames), MAX_FRAMES))
    ids = set()
    plain_total = 0
    latest = 0
    fragments = 0
    for i, frame in enumerate(frames):
        path = "claims.frames[%d]" % i
        check_frame(frame, path, version in FRAME_DIGEST_VERSIONS)
        if frame["id"] in ids:
            raise malformed("%s.id repeats an earlier frame's id" % path)
        ids.add(frame["id"])
        if "fragment" in frame:
            fragments += 1
            if fragments > 1:
                raise malformed("%s is a second fragment; a file carries at most one" % path)
        plain_total += frame["metaLength"] + frame["bodyLength"]
        if plain_total > MAX_PLAIN_BYTES:
            raise too_large("frames declare more than the cap of %d decompressed bytes" % MAX_PLAIN_BYTES)
        latest = max(latest, frame["expires"])
    if seq < 1 and any(f["kind"] not in CONTROL_KINDS for f in frames):
        raise malformed("claims.seq must be at least 1 in a file with data frames")
    if created > expires:
        raise malformed("claims.created is after claims.expires")
    if expires != latest:
        raise malformed("claims.expires must equal the latest expires of its frames")
    payload = obj(claims["payload"], "claims.payload", ("length", "sha256", "compression"))
    if integer(payload, "length", "claims.payload") > MAX_FILE_BYTES:
        raise too_large("payload of %d bytes is over the cap of %d" % (payload["length"], MAX_FILE_BYTES))
    sha256_member(payload, "claims.payload")
    if string(payload, "compression", "claims.payload") != "zstd":
        raise malformed('claims.payload.compression must be "zstd"')
    encryption = claims.get("encryption")
    if (mode == "encrypted") != (encryption is not None):
        raise malformed('claims.encryption must be present exactly when mode is "encrypted"')
    if encryption is not None:
        obj(encryption, "claims.encryption", ("algorithm", "segmentSize", "key"))
        if string(encryption, "algorithm", "claims.encryption") != "A256GCM-STREAM":
            raise malformed('claims.encryption.algorithm must be "A256GCM-STREAM"')
        size = integer(encryption, "segmentSize", "claims.encryption", MIN_SEGMENT, MAX_SEGMENT)
        if size & (size - 1):
            raise malformed("claims.encryption.segmentSize must be a power of two")
        if not string(encryption, "key", "claims.encryption"):
            raise malformed("claims.encryption.key is empty")


def check_frame(frame, path, with_digest):
    """§5.2.1 and §5.2.2; with_digest: versions 1 and 2 require sha256, later versions refuse it."""
    members = ("id", "kind", "created", "expires", "metaLength", "bodyLength")
    obj(frame, path, members + ("sha256",) if with_digest else members, ("fragment",))
    if not MESSAGE_ID.match(string(frame, "id", path)):
        raise malformed("%s.id is not a valid message id" % path)
    if string(frame, "kind", path) not in KINDS:
        raise malformed("%s.kind is not a known message kind" % path)
    created = integer(frame, "created", path)
    if created > integer(frame, "expires", path):
        raise malformed("%s.created is after its expires" % path)
    if integer(frame, "metaLength", path) > MAX_META_BYTES:
        raise too_large("%s has %d bytes of meta, over the cap" % (path, frame["metaLength"]))
    if integer(frame, "bodyLength", path) > MAX_BODY_BYTES:
        raise too_large("%s has a body of %d bytes, over the cap" % (path, frame["bodyLength"]))
    if with_digest:
        sha256_member(frame, path)
    if "fragment" in frame:
        fpath = path + ".fragment"
        fragment = obj(frame["fragment"], fpath, ("index", "count", "offset", "totalLength"))
        count = integer(fragment, "count", fpath, 2, INT32_MAX)
        if count > MAX_FRAGMENTS:
            raise too_large("%s.count %d is over the cap of %d" % (fpath, count, MAX_FRAGMENTS))
        integer(fragment, "index", fpath, 0, count - 1)
        offset = integer(fragment, "offset", fpath)
        total = integer(fragment, "totalLength", fpath)
        if total > MAX_BODY_BYTES:
            raise too_large("%s.totalLength %d is over the cap" % (fpath, total))
        if offset > total or frame["bodyLength"] > total - offset:
            raise malformed("%s covers bytes beyond totalLength" % fpath)
        if frame["kind"] not in ("request", "response"):
            raise malformed("%s is a fragment of a %s; only bodies are fragmented" % (path, frame["kind"]))
        index = fragment["index"]
        length = frame["bodyLength"]
        last = index == count - 1
        size = offset // index if last else length
        consistent = (size > 0 and length > 0 and offset == index * size
                      and (offset + length == total and length <= size if last else length == size)
                      and (count - 1) * size < total <= count * size)
        if not consistent:
            raise malformed("%s does not fit one fragment size: fragment %d of %d covers %d bytes at %d of %d"
                            % (fpath, index, count, length, offset, total))
    if frame["kind"] in CONTROL_KINDS and frame["bodyLength"] != 0:
        raise malformed("%s is a %s with a body; control messages have none" % (path, frame["kind"]))


def canonical_name(claims):
    """§11.1: the name a file with these claims is published under."""
    token = None
    part = ""
    for frame in claims["frames"]:
        if "fragment" in frame:
            part = "-p%dof%d" % (frame["fragment"]["index"] + 1, frame["fragment"]["count"])
        if frame["kind"] in CONTROL_KINDS:
            continue
        mine = NAME_TOKENS[frame["kind"]]
        token = mine if token in (None, mine) else "mix"
    return "%s_%s_%013d_%012d_%s%s.hoft" % (claims["sender"], claims["recipient"], claims["epoch"],
                                            claims["seq"], token or "ctl", part)


def unwrap_content_key(claims, keys, now_ms, session=None):
    """§6 (and §10.8 for a session-keyed file's session); returns (payload key, JWE protected header)."""
    compact = claims["encryption"]["key"]
    if not COMPACT.match(compact):
        raise malformed("claims.encryption.key has a character that cannot be in a compact JWE")
    parts = compact.split(".")
    if len(parts) != 5:
        raise malformed("claims.encryption.key is not a compact JWE")
    protected = strict_json(b64url_decode(parts[0], "JWE protected header"), "JWE protected header")
    if not isinstance(protected, dict):
        raise malformed("JWE protected header must be an object")
    for index in range(1, 5):
        b64url_decode(parts[index], "JWE part %d" % (index + 1))
    for member in protected:
        if member not in ("alg", "enc", "kid", "epk"):
            raise malformed("JWE header has unexpected parameter %r" % member)
    alg = protected.get("alg")
    if alg not in ("ECDH-ES+A256KW", "A256KW"):
        raise malformed("content key alg %r is not ECDH-ES+A256KW or A256KW" % alg)
    if protected.get("enc") != "A256GCM":
        raise malformed("content key enc must be A256GCM")
    kid = protected.get("kid")
    if not isinstance(kid, str):
        raise malformed("content key JWE has no kid")
    if session is not None:
        if alg != "A256KW" or kid != session.sid:
            raise malformed("the content key of a session-keyed file must be wrapped with A256KW under its session %s"
                            % session.sid)
        key = session.wrap_key
    else:
        key = keys.unwrapper(kid, alg, claims["sender"], now_ms)
    if key is None:
        raise malformed("content key is wrapped for kid %r, which this node does not hold" % kid)
    jwe = jose_jwe.JWE()
    try:
        jwe.deserialize(compact, key=key)
        payload_key = jwe.payload
    except Exception as e:  # jwcrypto raises several types for a failed decryption
        raise Rejected("corrupt", "content key does not decrypt (%s)" % type(e).__name__)
    if len(payload_key) != 32:
        raise malformed("content key is %d bytes, not 32" % len(payload_key))
    return payload_key, protected


# --- §9 frame meta --------------------------------------------------------------------------

def latin1(value, path):
    for i, ch in enumerate(value):
        if ord(ch) > 0xFF:
            raise malformed("%s has a character above U+00FF at %d" % (path, i))
    return value


def check_headers(meta):
    if not isinstance(meta["headers"], list):
        raise malformed("meta.headers must be an array")
    for i, pair in enumerate(meta["headers"]):
        at = "meta.headers[%d]" % i
        if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise malformed("%s must be a [name, value] pair of strings" % at)
        name, value = pair
        if not name or any(ord(c) <= 0x20 or ord(c) >= 0x7F or c == ":" for c in name):
            raise malformed("%s: header name is empty or has a forbidden character" % at)
        latin1(value, at)
        if any(c in "\r\n\0" for c in value):
            raise malformed("%s: header value has CR, LF or NUL" % at)


def check_ranges(meta, up_to=None, non_empty=False):
    if not isinstance(meta["ranges"], list):
        raise malformed("meta.ranges must be an array")
    floor = None if up_to is None else up_to + 1
    for i, pair in enumerate(meta["ranges"]):
        at = "meta.ranges[%d]" % i
        if not isinstance(pair, list) or len(pair) != 2 or not all(type(x) is int for x in pair):
            raise malformed("%s must be a [first, last] pair of integers" % at)
        first, last = pair
        if first < 1 or last < first or last > INT64_MAX:
            raise malformed("%s: bad sequence range [%d, %d]" % (at, first, last))
        if floor is not None:
            if first <= floor:
                raise malformed("%s: ack ranges must be sorted, disjoint and above upTo + 1" % at)
            floor = last + 1
    if non_empty and not meta["ranges"]:
        raise malformed("meta.ranges: a nack names at least one range")


def check_meta(kind, meta):
    """§9.1 to §9.6."""
    if kind == "request":
        obj(meta, "meta", ("method", "target", "upstream", "headers"))
        method = string(meta, "method", "meta")
        if not method or any(c not in TCHARS for c in method):
            raise malformed("meta.method is not an HTTP token")
        target = latin1(string(meta, "target", "meta"), "meta.target")
        if not target or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
            raise malformed("meta.target is empty or has a space or control character")
        string(meta, "upstream", "meta")
        check_headers(meta)
    elif kind == "response":
        obj(meta, "meta", ("requestId", "status", "reason", "headers"), ("error",))
        if not MESSAGE_ID.match(string(meta, "requestId", "meta")):
            raise malformed("meta.requestId is not a valid message id")
        integer(meta, "status", "meta", 100, 999)
        reason = latin1(string(meta, "reason", "meta"), "meta.reason")
        if any(c in "\r\n\0" for c in reason):
            raise malformed("meta.reason has a line break")
        check_headers(meta)
        if "error" in meta:
            string(meta, "error", "meta")
    elif kind == "ack":
        obj(meta, "meta", ("epoch", "upTo", "ranges"))
        integer(meta, "epoch", "meta")
        check_ranges(meta, up_to=integer(meta, "upTo", "meta"))
    elif kind == "nack":
        obj(meta, "meta", ("epoch", "ranges", "reason"))
        integer(meta, "epoch", "meta")
        check_ranges(meta, non_empty=True)
        string(meta, "reason", "meta")
    elif kind == "heartbeat":
        obj(meta, "meta", ("intervalMillis", "lastSeq", "floor"))
        integer(meta, "intervalMillis", "meta", 1)
        last_seq = integer(meta, "lastSeq", "meta")
        floor = integer(meta, "floor", "meta", 1)
        if floor > last_seq + 1:
            raise malformed("meta of a heartbeat: heartbeat floor must be in [1, lastSeq + 1]")
    elif kind == "status":
        obj(meta, "meta", ("requestId", "status", "at"), ("detail",))
        if not MESSAGE_ID.match(string(meta, "requestId", "meta")):
            raise malformed("meta.requestId is not a valid message id")
        string(meta, "status", "meta")
        integer(meta, "at", "meta")
        if "detail" in meta:
            string(meta, "detail", "meta")


# --- §7 payload -----------------------------------------------------------------------------

def segment_layout(length, segment_size):
    """§7.3: (segment count, sealed length of the last segment) from the signed length."""
    sealed = segment_size + TAG_LENGTH
    if length < TAG_LENGTH:
        raise Rejected("malformed", "encrypted payload of %d bytes is shorter than one tag" % length, True)
    count = -(-length // sealed)
    last = length - (count - 1) * sealed
    if last < TAG_LENGTH or (count > 1 and last == TAG_LENGTH) or count > MAX_SEGMENTS:
        raise Rejected("malformed", "encrypted payload length %d is not a valid segment layout" % length, True)
    return count, last


def nonce(index, last):
    """§7.3: 7 zero bytes, the segment index as u32 big-endian, the last flag."""
    return b"\0" * 7 + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


class PayloadPump(threading.Thread):
    """Reads the stored payload, hashes it (§7.4), opens the segments (§7.3) and feeds zstd."""

    CHUNK = 256 * 1024

    def __init__(self, f, length, payload_key, segment_size, sink):
        super().__init__(daemon=True)
        self.f = f
        self.length = length
        self.key = payload_key
        self.segment_size = segment_size
        self.sink = sink
        self.digest = hashlib.sha256()
        self.error = None

    def read(self, n, what):
        data = self.f.read(n)
        if len(data) < n:
            raise Rejected("truncated", "payload ends inside %s" % what, True)
        self.digest.update(data)
        return data

    def run(self):
        try:
            if self.key is None:
                left = self.length
                while left:
                    data = self.read(min(self.CHUNK, left), "the payload")
                    left -= len(data)
                    self.sink.write(data)
            else:
                count, last_length = segment_layout(self.length, self.segment_size)
                aead = AESGCM(self.key)
                for i in range(count):
                    last = i == count - 1
                    sealed = self.read(last_length if last else self.segment_size + TAG_LENGTH, "segment %d" % i)
                    try:
                        plain = aead.decrypt(nonce(i, last), sealed, None)
                    except InvalidTag:
                        raise Rejected("corrupt", "segment %d of %d fails authentication" % (i, count), True)
                    self.sink.write(plain)
        except BrokenPipeError:
            pass  # zstd stopped reading: the main thread reports why
        except Rejected as e:
            self.error = e
        except Exception as e:  # pragma: no cover - unexpected I/O trouble
            self.error = e
        finally:
            try:
                self.sink.close()
            except OSError:
                pass


def decode_payload(f, claims, payload_key):
    """§7 and §13.1 steps 20 to 26; returns the frames as (meta object, body bytes)."""
    length = claims["payload"]["length"]
    segment_size = claims["encryption"]["segmentSize"] if payload_key is not None else 0
    if payload_key is not None:
        segment_layout(length, segment_size)  # step 20, before reading anything
    zstd = subprocess.Popen(["zstd", "-d", "-c", "-q", "--no-progress", "--memory=" + MAX_WINDOW],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pump = PayloadPump(f, length, payload_key, segment_size, zstd.stdin)
    pump.start()
    frames = []
    failure = None
    try:
        for i, frame in enumerate(claims["frames"]):
            meta_bytes = zstd.stdout.read(frame["metaLength"])
            if len(meta_bytes) < frame["metaLength"]:
                raise Rejected("corrupt", "payload ends inside the meta of frame %d" % i, True)
            digest = hashlib.sha256(meta_bytes)
            try:
                meta = strict_json(meta_bytes, "frame meta")
                check_meta(frame["kind"], meta)
            except Rejected as e:
                raise Rejected("malformed", "frame %d (%s): %s" % (i, frame["id"], e.message), True)
            body = zstd.stdout.read(frame["bodyLength"])
            if len(body) < frame["bodyLength"]:
                raise Rejected("corrupt", "payload ends inside the body of frame %d" % i, True)
            digest.update(body)
            if "sha256" in frame and digest.hexdigest() != frame["sha256"]:
                raise Rejected("corrupt", "frame %d (%s) does not match its sha256" % (i, frame["id"]), True)
            frames.append((meta, body))
        if zstd.stdout.read(1):
            raise Rejected("malformed", "payload decompresses to more bytes than its frames declare", True)
    except Rejected as e:
        failure = e
    finally:
        # Closing its output stops zstd (SIGPIPE on its next write), which unblocks the pump.
        zstd.stdout.close()
        pump.join()
        errors = zstd.stderr.read().decode("utf-8", "replace").strip()
        zstd.stderr.close()
        try:
            status = zstd.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a zstd that hangs
            zstd.kill()
            status = zstd.wait()
    # A failure upstream (reading, authenticating) explains whatever zstd made of it.
    if pump.error is not None:
        raise pump.error
    if failure is not None:
        if status > 0 and "ends inside" in failure.message:
            raise Rejected("corrupt", "payload does not decompress: %s" % errors, True)
        raise failure
    if status != 0:
        raise Rejected("corrupt", "payload does not decompress: %s" % errors, True)
    if pump.digest.hexdigest() != claims["payload"]["sha256"]:
        raise Rejected("corrupt", "payload does not match its sha256", True)
    return frames


# --- §13.1 the whole file -------------------------------------------------------------------

def decode(path, keys, now_ms, settle_ms, checksum_only_peers, check_name):
    size = os.stat(path).st_size
    if size > MAX_FILE_BYTES:
        raise too_large("file of %d bytes is over the cap of %d" % (size, MAX_FILE_BYTES))
    young = now_ms - os.stat(path).st_mtime * 1000 < settle_ms
    verified = []  # set once the header verified, so shortness carries it

    def short(what):
        if young:
            return Rejected("incomplete", what + " (the file may still be arriving)", bool(verified))
        return Rejected("truncated", what, bool(verified))

    with open(path, "rb") as f:
        # §3, steps 1 to 9
        preamble = f.read(PREAMBLE_LENGTH)
        if len(preamble) < PREAMBLE_LENGTH:
            raise short("file is empty" if not preamble else "file ends inside the 48-byte preamble")
        magic, version, reserved, header_length, payload_offset, header_digest = struct.unpack(">4sB3sII32s", preamble)
        if magic != MAGIC:
            raise malformed("not a hoft spool file: bad magic")
        if version not in VERSIONS:
            raise Rejected("unsupported-version", "format version %d is not supported" % version)
        if reserved != b"\0\0\0":
            raise malformed("reserved preamble bytes are not zero")
        if header_length == 0:
            raise malformed("header length is zero")
        if header_length > MAX_HEADER_BYTES:
            raise too_large("header of %d bytes is over the cap of %d" % (header_length, MAX_HEADER_BYTES))
        padding = payload_offset - PREAMBLE_LENGTH - header_length
        if padding < 0 or padding > MAX_PADDING:
            raise malformed("payload offset %d does not fit header length %d" % (payload_offset, header_length))
        header = read_exactly(f, header_length, short, "file ends inside the header")
        if hashlib.sha256(header).digest() != header_digest:
            raise Rejected("corrupt", "header does not match the digest in the preamble")
        if read_exactly(f, padding, short, "file ends inside the header padding").strip(b"\0"):
            raise malformed("header padding is not zero")

        # §4, steps 10 to 12
        protected, claims_bytes, compact = parse_jws(header, version)
        unsecured = protected["alg"] == "none"
        session = None
        if version in SESSION_VERSIONS:
            if unsecured:
                raise Rejected("spoofed", "a version %d header must be signed HS256 under its session, not none" % version)
            session = verify_session(protected, compact, keys, now_ms)
            signer = session.sender
        else:
            signer = None if unsecured else verify_signature(protected, compact, keys, now_ms)

        # §5, steps 13 to 15
        claims = strict_json(claims_bytes, "header claims")
        check_claims(claims)
        if claims["hoft"] != version:
            raise malformed("claims.hoft %d differs from the preamble's version" % claims["hoft"])
        mode, sender = claims["mode"], claims["sender"]
        if unsecured:
            if mode != "checksum-only-unauthenticated":
                raise Rejected("spoofed", "header is unsigned but claims mode %s" % mode)
            if sender not in checksum_only_peers:
                raise Rejected("spoofed", "unsigned file claiming to be from %s, which is not allowed to send "
                                          "checksum-only files" % sender)
        else:
            if signer != sender:
                raise Rejected("spoofed", "signed by a key of %s but claims to be from %s" % (signer, sender))
            if mode == "checksum-only-unauthenticated":
                raise malformed("signed header claims mode %s" % mode)
        verified.append(True)

        # steps 16 to 18
        if claims["recipient"] != keys.node:
            raise Rejected("misaddressed", "addressed to %s, not to %s" % (claims["recipient"], keys.node), True)
        if now_ms > claims["expires"]:
            raise Rejected("expired", "expired at %d" % claims["expires"], True)
        declared = payload_offset + claims["payload"]["length"]
        if size < declared:
            raise short("file has %d of its %d bytes" % (size, declared))
        if size > declared:
            raise Rejected("malformed", "%d bytes follow the declared end of the file" % (size - declared), True)
        name = os.path.basename(path)
        if check_name and name != canonical_name(claims):
            raise Rejected("malformed", "file name %s does not agree with the verified header (%s)"
                           % (name, canonical_name(claims)), True)

        # §6, step 19
        payload_key, jwe_header = None, None
        if mode == "encrypted":
            try:
                payload_key, jwe_header = unwrap_content_key(claims, keys, now_ms, session)
            except Rejected as e:
                e.verified = True
                raise

        # §7, steps 20 to 26
        frames = decode_payload(f, claims, payload_key)

    with open(path, "rb") as f:
        whole = f.read()
    return {
        "file": os.path.basename(path),
        "fileLength": len(whole),
        "fileSha256": hashlib.sha256(whole).hexdigest(),
        "protectedHeader": protected,
        "claims": claims,
        "contentKeyHeader": jwe_header,
        "frames": [{"meta": meta, "bodyHex": body.hex()} for meta, body in frames],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify and decode a hoft spool file (SPEC.md, versions 1 to 4).")
    parser.add_argument("file", help="the spool file")
    parser.add_argument("--keys", help="this node's private JWK set (names the node; holds its agreement keys)")
    parser.add_argument("--node", help="this node's id, if --keys is not given (unencrypted files only)")
    parser.add_argument("--trust", action="append", default=[], help="a peer's JWK set (public keys or a shared secret); repeatable")
    parser.add_argument("--now", type=int, help="the time to judge expiry and key validity by, ms since the epoch (default: now)")
    parser.add_argument("--settle", type=float, default=0.0,
                        help="seconds: a short file modified more recently than this is 'incomplete', not 'truncated'")
    parser.add_argument("--allow-checksum-only", action="append", default=[], metavar="PEER",
                        help="accept checksum-only-unauthenticated files claiming to be from PEER; repeatable")
    parser.add_argument("--ignore-name", action="store_true", help="do not compare the file name with the header")
    args = parser.parse_args(argv)
    if not args.keys and not args.node:
        parser.error("--keys or --node is required")
    keys = Keys(args.keys, args.node, args.trust)
    now_ms = args.now if args.now is not None else int(time.time() * 1000)
    try:
        decoded = decode(args.file, keys, now_ms, args.settle * 1000, set(args.allow_checksum_only),
                         not args.ignore_name)
    except Rejected as e:
        sys.stderr.write("rejected: %s: %s (%s)\n" % (e.reason, e.message, e.disposition()))
        return 2
    except FileNotFoundError as e:
        sys.stderr.write("decode-spool.py: %s\n" % e)
        return 1
    json.dump(decoded, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
