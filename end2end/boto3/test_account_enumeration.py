"""Wrong passwords for an account and for a name that has none: the answers are
the same at every count, and so are the times (no significant difference, by a
Mann-Whitney U test on interleaved attempts; no absolute timing is asserted)."""

import math
import random
import statistics
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import PASSWORD, PUBLIC_CLIENT

ACCOUNTS = 25
# Below the lockout (after the fifth failure), so that every attempt is timed
# on the same path: the decoy or real Argon2 verification and the counter write.
TIMED_ATTEMPTS = 4


def refusal(cognito, username):
    """The refusal of a wrong password, and how long it took (seconds)."""
    start = time.perf_counter()
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(
            ClientId=PUBLIC_CLIENT,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "not the password"},
        )
    elapsed = time.perf_counter() - start
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return (status, error["Code"], error["Message"]), elapsed


def mann_whitney_p(xs, ys):
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, with
    average ranks for ties): whether one sample tends to be larger."""
    pooled = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys])
    ranks = [0.0] * len(pooled)
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    n1, n2 = len(xs), len(ys)
    r1 = sum(rank for rank, (_, group) in zip(ranks, pooled) if group == 0)
    u = r1 - n1 * (n1 + 1) / 2
    z = (u - n1 * n2 / 2) / math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    return math.erfc(abs(z) / math.sqrt(2))


def test_unknown_names_answer_like_accounts_at_every_count_and_in_time(cognito, outbox):
    run = uuid.uuid4().hex[:8]
    known = [f"known{n}-{run}@example.com" for n in range(ACCOUNTS)]
    unknown = [f"unknown{n}-{run}@example.com" for n in range(ACCOUNTS)]
    for email in known:
        cognito.sign_up(ClientId=PUBLIC_CLIENT, Username=email, Password=PASSWORD)
        cognito.confirm_sign_up(
            ClientId=PUBLIC_CLIENT, Username=email, ConfirmationCode=outbox(email)
        )
    # A warm-up, so that neither side pays for first connections.
    refusal(cognito, f"warm-up-{run}@example.com")

    times = {"known": [], "unknown": []}
    shuffle = random.Random(13)
    for attempt in range(1, TIMED_ATTEMPTS + 2):
        for pair in zip(known, unknown):
            # Which goes first is drawn per pair, so order favours neither.
            order = list(zip(("known", "unknown"), pair))
            shuffle.shuffle(order)
            answers = {}
            for side, username in order:
                answers[side], elapsed = refusal(cognito, username)
                if attempt <= TIMED_ATTEMPTS:
                    times[side].append(elapsed)
            assert answers["known"] == answers["unknown"], (attempt, answers)
            expected = (
                "Incorrect username or password."
                if attempt < 5
                else "Password attempts exceeded"
            )
            assert answers["known"] == (400, "NotAuthorizedException", expected)

    known_ms = [t * 1000 for t in times["known"]]
    unknown_ms = [t * 1000 for t in times["unknown"]]
    p = mann_whitney_p(known_ms, unknown_ms)
    print(
        f"\nwrong passwords, {len(known_ms)} attempts each: median "
        f"{statistics.median(known_ms):.2f} ms for accounts, "
        f"{statistics.median(unknown_ms):.2f} ms for unknown names "
        f"(Mann-Whitney U two-sided p = {p:.3f})"
    )
    # Interleaved, the machine's own noise falls on both sides alike; only a
    # systematic difference gives p this small (about one run in a thousand by chance).
    assert p > 0.001, f"accounts and unknown names take different times (p = {p:.2g})"
