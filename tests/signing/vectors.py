"""Published signature vectors shared by the signing tests."""

from __future__ import annotations

# The vector Standard Webhooks' own library tests use (Go, Python, JavaScript, ...).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

# The v1a vector from Standard Webhooks' Go library (webhook_asymmetric_test.go): a 32-byte seed.
ED25519_SEED_B64 = "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
V1A_SIGNATURE = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="


def vector_headers(signature: str = SIGNATURE, *, family: str = "webhook") -> dict[str, str]:
    """Headers of the known vector in one family."""
    return {
        f"{family}-id": MSG_ID,
        f"{family}-timestamp": str(TIMESTAMP),
        f"{family}-signature": signature,
    }
