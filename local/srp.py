"""Cognito's SRP sign-in (InitiateAuth `USER_SRP_AUTH`, then RespondToAuthChallenge
`PASSWORD_VERIFIER`), with the password checked as Cognito checks it.

moto answers `USER_SRP_AUTH` with a random `SALT` and `SRP_B` that stand for nothing and signs
in whoever answers the challenge, whatever the proof, and signs in the user the answer's
`USERNAME` names, not the one who asked: every password worked, and a stock client (pycognito,
Amplify) signing in with a wrong one got working tokens. Here the emulator plays the server's
half of SRP-6a as Cognito does, with the group, hash and key derivation of AWS's own clients
(amazon-cognito-identity-js's `AuthenticationHelper`, pycognito's `aws_srp`), from the password
moto keeps in clear:

- InitiateAuth: moto's checks (client secret, user enabled and confirmed) and session, then a
  salt `s` and a secret `b` of the server's; the verifier `v = g^x` with
  `x = H(s | H(poolName userId ":" password))`, `B = k v + g^b`. The challenge carries `SALT`,
  `SRP_B`, `USER_ID_FOR_SRP` (the user's name: what the client hashes with the password) and
  `SECRET_BLOCK`, the session made opaque (base64) as Cognito's is.
- RespondToAuthChallenge: the server's key is `HKDF(S, u)` with `u = H(A | B)` and
  `S = (A v^u)^b`; the proof must be `HMAC(key, poolName userId secretBlock timestamp)`, made
  for the user who asked. Any other answer is `NotAuthorizedException` "Incorrect username or
  password." and ends the session, as in Cognito; a right one goes on in moto (tokens, or the
  next challenge: new password, MFA).

The server's numbers are drawn from moto's generator, which the emulator seeds for each call
(local/journal.py), so a replayed InitiateAuth makes the same challenge; they are kept on moto's
backend, so a saved state keeps a challenge under way (local/persistence.py).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
from typing import Any, TypedDict

from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError
from moto.cognitoidp.models import AuthFlow, CognitoIdpBackend
from moto.moto_api._internal import mock_random

log = logging.getLogger("stint.local")

# RFC 5054's 3072-bit group, generator 2: the one Cognito's clients use.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
HKDF_INFO = b"Caldera Derived Key\x01"
WRONG_PASSWORD = "Incorrect username or password."
_CHALLENGES = "_stint_srp_challenges"  # on moto's backend: session -> Challenge
_APPLIED = "_stint_srp"


class Challenge(TypedDict):
    """A PASSWORD_VERIFIER challenge under way (a plain dict: a saved state names no class)."""

    pool_id: str
    username: str
    big_a: int
    big_b: int
    small_b: int
    verifier: int | None  # None: the user has no password, so no proof is right


def pad_hex(value: int) -> str:
    """`value` in hex as the clients hash it: an even number of digits, and a leading 00 when
    the first digit would read as a sign bit."""
    digits = f"{value:x}"
    if len(digits) % 2:
        return "0" + digits
    return "00" + digits if digits[0] in "89abcdef" else digits


def hash_hex(hex_digits: str) -> int:
    """SHA-256 of the bytes the hex digits spell, as a number."""
    return int(hashlib.sha256(bytes.fromhex(hex_digits)).hexdigest(), 16)


K = hash_hex(pad_hex(N) + pad_hex(G))


def verifier(pool_id: str, user_id: str, password: str, salt: int) -> int:
    """`v = g^x mod N`, `x = H(pad(salt) | H(poolName userId ":" password))`."""
    identity = f"{pool_name(pool_id)}{user_id}:{password}".encode()
    x = hash_hex(pad_hex(salt) + hashlib.sha256(identity).hexdigest())
    return pow(G, x, N)


def pool_name(pool_id: str) -> str:
    """What the clients hash of a pool id: the part after the region (`us-east-1_Abc` -> `Abc`)."""
    return pool_id.split("_", 1)[1]


def session_key(challenge: Challenge) -> bytes | None:
    """The 16-byte key both sides derive, or None when `u` is 0 (no key may come of it)."""
    if challenge["verifier"] is None:
        return None
    u = hash_hex(pad_hex(challenge["big_a"]) + pad_hex(challenge["big_b"]))
    if u == 0:
        return None
    base = challenge["big_a"] * pow(challenge["verifier"], u, N) % N
    s = pow(base, challenge["small_b"], N)
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
    return hmac.new(prk, HKDF_INFO, hashlib.sha256).digest()[:16]


def expected_signature(challenge: Challenge, secret_block: bytes, timestamp: str) -> bytes | None:
    key = session_key(challenge)
    if key is None:
        return None
    message = (
        pool_name(challenge["pool_id"]).encode()
        + challenge["username"].encode()
        + secret_block
        + timestamp.encode()
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def install() -> None:
    """Make moto's Cognito check the SRP proof (idempotent)."""
    if getattr(CognitoIdpBackend.initiate_auth, _APPLIED, False):
        return
    initiate_auth = CognitoIdpBackend.initiate_auth
    respond_to_auth_challenge = CognitoIdpBackend.respond_to_auth_challenge

    @functools.wraps(initiate_auth)
    def initiate(
        self: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        answer = initiate_auth(self, client_id, auth_flow, auth_parameters)
        if auth_flow != AuthFlow.USER_SRP_AUTH or "Session" not in answer:
            return answer
        return _challenge(self, answer, auth_parameters.get("SRP_A") or "")

    @functools.wraps(respond_to_auth_challenge)
    def respond(
        self: CognitoIdpBackend,
        session: str,
        client_id: str,
        challenge_name: str,
        challenge_responses: dict[str, str],
    ) -> dict[str, Any]:
        if challenge_name == "PASSWORD_VERIFIER":
            moto_session = _verified_session(self, challenge_responses)
            # moto finds the session by the secret block: hand it the session itself. The
            # answer names the user as the challenge did (the sub, in a pool that signs in by
            # email); moto would make that name the ID token's email: hand it the name the
            # user signed in with, so the tokens are those USER_PASSWORD_AUTH gives.
            challenge_responses = {
                **challenge_responses,
                "PASSWORD_CLAIM_SECRET_BLOCK": moto_session,
                "USERNAME": self.sessions[moto_session][0],
            }
        return respond_to_auth_challenge(
            self, session, client_id, challenge_name, challenge_responses
        )

    setattr(initiate, _APPLIED, True)
    CognitoIdpBackend.initiate_auth = initiate  # type: ignore[method-assign]
    CognitoIdpBackend.respond_to_auth_challenge = respond  # type: ignore[method-assign]


def _challenge(backend: CognitoIdpBackend, answer: dict[str, Any], srp_a: str) -> dict[str, Any]:
    """moto's PASSWORD_VERIFIER challenge with real SRP numbers, kept for the answer."""
    session: str = answer["Session"]
    username, pool = backend.sessions[session]
    try:
        big_a = int(srp_a, 16)
    except ValueError as error:
        log.info("USER_SRP_AUTH: SRP_A is not a hex number (%s)", error)
        big_a = 0
    if big_a % N == 0:  # A = 0 (mod N) would make the key known to anyone
        del backend.sessions[session]
        raise InvalidParameterException("SRP_A is not valid.")
    user = backend.admin_get_user(pool.id, username)
    salt = mock_random.getrandbits(128) | 1 << 127  # 16 bytes, no leading zero to pad away
    small_b = mock_random.getrandbits(1024) % N
    password = user.password
    v = None if password is None else verifier(pool.id, user.username, password, salt)
    big_b = (K * (v or 0) + pow(G, small_b, N)) % N
    _challenges(backend)[session] = Challenge(
        pool_id=pool.id,
        username=user.username,
        big_a=big_a,
        big_b=big_b,
        small_b=small_b,
        verifier=v,
    )
    parameters = {
        **answer["ChallengeParameters"],
        "SALT": f"{salt:x}",
        "SRP_B": f"{big_b:x}",
        "USERNAME": user.username,
        "USER_ID_FOR_SRP": user.username,
        "SECRET_BLOCK": base64.b64encode(session.encode()).decode(),
    }
    return {**answer, "ChallengeParameters": parameters}


def _verified_session(backend: CognitoIdpBackend, responses: dict[str, str]) -> str:
    """The moto session of a PASSWORD_VERIFIER answer whose proof is right; else the challenge
    ends and the answer is refused as Cognito refuses a wrong password."""
    block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or ""
    try:
        secret_block = base64.b64decode(block, validate=True)
        session = secret_block.decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        log.info("PASSWORD_VERIFIER: a secret block the pool did not issue (%s)", error)
        raise NotAuthorizedError("Invalid session for the user.") from error
    challenge = _challenges(backend).pop(session, None)
    if challenge is None:
        raise NotAuthorizedError("Invalid session for the user.")
    try:
        user = backend.admin_get_user(challenge["pool_id"], responses.get("USERNAME") or "")
        if user.username != challenge["username"]:
            log.info(
                "PASSWORD_VERIFIER: %s answered the challenge of %s",
                user.username,
                challenge["username"],
            )
            raise NotAuthorizedError(WRONG_PASSWORD)
        signature = _signature(responses.get("PASSWORD_CLAIM_SIGNATURE") or "")
        expected = expected_signature(challenge, secret_block, responses.get("TIMESTAMP") or "")
        if signature is None or expected is None or not hmac.compare_digest(signature, expected):
            log.info("PASSWORD_VERIFIER: a wrong proof for %s (a wrong password)", user.username)
            raise NotAuthorizedError(WRONG_PASSWORD)
    except Exception:
        backend.sessions.pop(session, None)  # one answer a challenge, as in Cognito
        raise
    return session


def _signature(encoded: str) -> bytes | None:
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        log.info("PASSWORD_VERIFIER: a signature that is not base64 (%s)", error)
        return None


def _challenges(backend: CognitoIdpBackend) -> dict[str, Challenge]:
    challenges: dict[str, Challenge] = backend.__dict__.setdefault(_CHALLENGES, {})
    return challenges
