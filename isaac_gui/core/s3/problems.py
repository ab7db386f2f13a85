"""What went wrong with an upload, in three kinds, each handled its own way by the uploader:

- "setup": the bucket, the credentials, the region or the profile is wrong. Nothing will upload
  until a person fixes it, so they are told once, in words that name the bucket and the fix; the
  uploads wait and are tried again now and then (the credentials are looked up again each time).
- "outage": the endpoint cannot be reached or is overloaded (after botocore's own retries). No one
  needs to act: a quiet status, and the queue retries with a growing delay.
- "object": a problem with one object only (refused by the service, or an annotated photo that
  cannot be drawn); that object is given up for this session, the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore import exceptions as bce

from isaac_gui.core.s3.target import S3Target

SETUP, OUTAGE, OBJECT = "setup", "outage", "object"

_WHERE = "in Settings (--s3 on the command line)"
_CREDENTIALS = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile's credentials "
    "(aws configure), or sign in again (aws sso login)"
)

# Error codes S3 answers when the destination or the credentials are wrong, and what to say.
_SETUP_CODES: dict[str, str] = {
    "NoSuchBucket": "S3 bucket '{bucket}' does not exist (NoSuchBucket): create it or fix the bucket name "
    + _WHERE
    + ".",
    "InvalidBucketName": "'{bucket}' is not a valid S3 bucket name (InvalidBucketName): fix it "
    + _WHERE
    + ".",
    "AccessDenied": "S3 denied access to bucket '{bucket}' (AccessDenied): give these credentials permission "
    "to write (s3:PutObject) under '{prefix}', or use other credentials.",
    "AllAccessDisabled": "All access to S3 bucket '{bucket}' is disabled (AllAccessDisabled): choose another "
    "bucket " + _WHERE + ".",
    "AccountProblem": "S3 refused bucket '{bucket}' because of a problem with the AWS account (AccountProblem): "
    "check the account.",
    "InvalidAccessKeyId": "S3 does not know the access key used for bucket '{bucket}' (InvalidAccessKeyId): "
    + _CREDENTIALS
    + ".",
    "SignatureDoesNotMatch": "S3 rejected the secret key used for bucket '{bucket}' (SignatureDoesNotMatch): "
    + _CREDENTIALS
    + ".",
    "InvalidToken": "The AWS session token used for S3 bucket '{bucket}' is invalid (InvalidToken): "
    + _CREDENTIALS
    + ".",
    "ExpiredToken": "The AWS credentials for S3 bucket '{bucket}' have expired (ExpiredToken): "
    + _CREDENTIALS
    + ".",
    "TokenRefreshRequired": "The AWS credentials for S3 bucket '{bucket}' have expired (TokenRefreshRequired): "
    + _CREDENTIALS
    + ".",
    "PermanentRedirect": "S3 bucket '{bucket}' is in another region (PermanentRedirect): set the bucket's "
    "region " + _WHERE + ".",
    "AuthorizationHeaderMalformed": "S3 bucket '{bucket}' is in another region (AuthorizationHeaderMalformed): "
    "set the bucket's region " + _WHERE + ".",
    "IllegalLocationConstraintException": "S3 bucket '{bucket}' is in another region "
    "(IllegalLocationConstraintException): set the bucket's region " + _WHERE + ".",
    "RequestTimeTooSkewed": "S3 refused the uploads to bucket '{bucket}' because this computer's clock is wrong "
    "(RequestTimeTooSkewed): set the clock right.",
}

_OUTAGE_CODES = frozenset(
    {
        "RequestTimeout",
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "BadDigest",  # the body was damaged on its way: send it again
        "XAmzContentSHA256Mismatch",
        "IncompleteBody",
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # SETUP, OUTAGE or OBJECT
    code: str  # the service's error code or the exception's name: what makes two problems the same
    message: str  # for people


def _format(template: str, target: S3Target) -> str:
    return template.format(bucket=target.bucket, prefix=target.prefix + "/" if target.prefix else "")


def classify(exc: BaseException, target: S3Target) -> Problem:
    """The kind of problem `exc` (raised by creating the client or by a request) is."""
    bucket = target.bucket
    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
        meta = exc.response.get("ResponseMetadata", {}) if isinstance(exc.response, dict) else {}
        code = str(error.get("Code") or "")
        status = int(meta.get("HTTPStatusCode") or 0)
        text = str(error.get("Message") or exc)
        if code in _SETUP_CODES:
            return Problem(SETUP, code, _format(_SETUP_CODES[code], target))
        if code in _OUTAGE_CODES or status >= 500 or status in (408, 429):
            return Problem(OUTAGE, code or str(status), f"S3 answered {code or status}: {text}")
        if status in (401, 403):
            return Problem(
                SETUP,
                code or str(status),
                f"S3 refused access to bucket '{bucket}' ({code or status}: {text}): check the credentials "
                "and their permission to write to it.",
            )
        if status == 404:
            return Problem(
                SETUP,
                code or str(status),
                f"S3 bucket '{bucket}' was not found at {target.endpoint_url or 'AWS'} ({code or status}: "
                f"{text}): check the bucket name and the endpoint URL " + _WHERE + ".",
            )
        if status in (301, 307):
            return Problem(
                SETUP,
                code or str(status),
                f"S3 bucket '{bucket}' is answered from elsewhere ({code or status}): set the bucket's region "
                "or endpoint URL " + _WHERE + ".",
            )
        return Problem(OBJECT, code or str(status), f"S3 refused the object ({code or status}): {text}")
    if isinstance(exc, bce.NoCredentialsError):
        return Problem(
            SETUP, "NoCredentials", f"No AWS credentials were found for S3 bucket '{bucket}': {_CREDENTIALS}."
        )
    if isinstance(exc, bce.ProfileNotFound):
        return Problem(
            SETUP,
            "ProfileNotFound",
            f"The AWS profile '{target.profile}' chosen for S3 bucket '{bucket}' does not exist: fix the profile "
            f"name {_WHERE} or create it (aws configure --profile {target.profile}).",
        )
    if isinstance(
        exc,
        bce.PartialCredentialsError
        | bce.CredentialRetrievalError
        | bce.SSOError
        | bce.TokenRetrievalError
        | bce.UnknownCredentialError
        | bce.RefreshWithMFAUnsupportedError,
    ):
        return Problem(
            SETUP,
            type(exc).__name__,
            f"The AWS credentials for S3 bucket '{bucket}' could not be used ({exc}): {_CREDENTIALS}.",
        )
    if isinstance(
        exc,
        bce.InvalidConfigError
        | bce.ConfigParseError
        | bce.NoRegionError
        | bce.InvalidRegionError
        | bce.InvalidEndpointConfigurationError
        | bce.UnknownSignatureVersionError
        | bce.UnsupportedSignatureVersionError,
    ):
        return Problem(
            SETUP,
            type(exc).__name__,
            f"The S3 settings for bucket '{bucket}' cannot be used ({exc}): fix the region, profile or "
            f"endpoint URL {_WHERE}.",
        )
    if isinstance(exc, bce.ParamValidationError):
        return Problem(OBJECT, "ParamValidationError", f"upload refused before sending: {exc}")
    if isinstance(exc, bce.BotoCoreError | OSError):  # connection refused, timeouts, resets, DNS, ...
        where = target.endpoint_url or "AWS"
        return Problem(OUTAGE, type(exc).__name__, f"S3 unreachable at {where}: {exc}")
    return Problem(OBJECT, type(exc).__name__, f"upload failed: {exc!r}")
