"""Configuration classes, chosen by the CASEWORK_ENV environment variable."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

SESSION_IDLE_MINUTES = 30
SESSION_ABSOLUTE_HOURS = 12
UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024


def default_database_url() -> str:
    return "sqlite:///" + str(INSTANCE_DIR / "casework.db")


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("CASEWORK_SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or default_database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # A PostgreSQL streaming replica of DATABASE_URL: the returns (SSD tables, list 2, the
    # quarterly return) and the Partnership Board report read from it (casework/replica.py, docs/several-machines.md);
    # every other read, and every write, goes to DATABASE_URL.
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL") or None
    # Further behind the primary than this (seconds), or unreachable, the replica is passed
    # over and the primary read instead.
    REPLICA_MAX_LAG_SECONDS = 30
    MAX_CONTENT_LENGTH = UPLOAD_LIMIT_BYTES
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the session's own lifetime bounds the token
    COUNCIL_NAME = os.environ.get("CASEWORK_COUNCIL_NAME", "Maidstone Borough Council")
    SERVICE_NAME = "Troubled Families casework"
    RULESET = os.environ.get("CASEWORK_RULESET", "phase1")
    # Overrides of ruleset parameters, e.g. {"asb_reduction": "0.6"}; set in instance config.
    RULESET_OVERRIDES: dict = {}
    # The later programme the council claims under (phase2 or supporting_families): the
    # family page shows each need under it, by the Outcome Plan loaded on the Outcome Plans
    # page or with `casework plans load` (until then the worked example shipped with casework).
    OUTCOME_RULESET = os.environ.get("CASEWORK_OUTCOME_RULESET") or None
    # The programme new sign-ups join (phase1, phase2, supporting_families) whenever it takes
    # families on the sign-up date; unset, the programme whose attachment dates hold the date
    # (docs/episodes.md).
    SIGN_UP_PROGRAMME = os.environ.get("CASEWORK_SIGN_UP_PROGRAMME") or None
    FAMILIES_PER_PAGE = 25
    # How many proxies (the council's TLS proxy, a load balancer) stand in front of the app
    # servers and add X-Forwarded-For and X-Forwarded-Proto: only that many are believed.
    PROXIES = os.environ.get("CASEWORK_PROXIES", "0")
    # Matching partner rows without references (docs/matching.md): linked automatically at
    # or above the first match probability, sent for review at or above the second. 0.9,
    # not 0.99: measured on the harder benchmark, FEBRL's public dataset 4 and the first
    # benchmark, the model is under-confident where errors come together in one row, and
    # links at 0.9 stayed at least 99.89% right (bench/README.md).
    MATCH_LINK_PROBABILITY = 0.9
    MATCH_REVIEW_PROBABILITY = 0.5
    # The job queue: a SQLite file in instance/ (one machine) or redis://HOST:6379/0.
    JOBS_QUEUE_URL = os.environ.get("CASEWORK_JOBS_QUEUE_URL")
    # Uploads this size or larger (some 20,000 rows) are imported by a job, not the request.
    IMPORT_JOB_BYTES = 1024 * 1024
    # An upload to match (rows without references) of more rows than this is matched by a
    # job: matching 3,000 rows held a request for 20 s.
    MATCH_IN_REQUEST_ROWS = 300
    # After a change, up to this many families are evaluated again in the request that made
    # it; more are left to the refresh job (casework.evaluation.store.keep_current).
    EVALUATE_IN_REQUEST = 300
    # A summary of at least this many families reads the stored figures even when changes
    # since they were counted are not in them yet (the page says how many); a smaller one is
    # counted live and exact while they are behind (2,000 families: well under 100 ms).
    FIGURES_LIVE_BELOW = 2000
    # A finished job's file (a subject access PDF, a Board report, an export) is deleted
    # this many days after the job finished, by the worker's daily housekeeping; the job's
    # record, its summary and the file's SHA-256 stay.
    JOB_RESULT_DAYS = 30
    # How passwords are hashed (werkzeug's generate_password_hash): scrypt, made to be slow.
    PASSWORD_HASH_METHOD = "scrypt"  # nosec B105: the name of a hash method, not a password


# Published in this source: a session signed with it can be forged by anyone.
DEVELOPMENT_KEY = "dev-only-not-secret"  # nosec B105


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("CASEWORK_SECRET_KEY") or DEVELOPMENT_KEY


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    # The tests' own key, never production's.
    SECRET_KEY = "test-only-not-secret"  # nosec B105
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite://"
    JOBS_QUEUE_URL = os.environ.get("CASEWORK_JOBS_QUEUE_URL") or "memory://"
    # One round of PBKDF2: a test signs in hundreds of times, and scrypt's 0.1 s a hash was a
    # fifth of the suite's time. Only the tests' configuration; every other keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"  # nosec B105: a hash method's name (tests only)


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


MIN_SECRET_KEY_LENGTH = 32
# A key's entropy estimated from its own characters (Shannon entropy of their frequencies,
# times its length): secrets.token_urlsafe(48) gives some 330 bits, token_hex(16) about 110;
# 32 spaces give 0 and "passwordpassword..." under 90.
MIN_SECRET_KEY_BITS = 96
MIN_SECRET_KEY_DISTINCT = 10
PUBLISHED_KEYS = frozenset({DEVELOPMENT_KEY, "test-only-not-secret"})


def secret_key_problem(key: str) -> str | None:
    """Why a production secret key is unsafe, or None."""
    import math
    from collections import Counter

    advice = ("make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if key in PUBLISHED_KEYS:
        return f"CASEWORK_SECRET_KEY is a key published in casework's source; {advice}"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (f"CASEWORK_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long "
                f"in production; {advice}")
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if len(counts) < MIN_SECRET_KEY_DISTINCT or bits < MIN_SECRET_KEY_BITS:
        return ("CASEWORK_SECRET_KEY is too easy to guess (too few different characters, or "
                f"repeated ones: about {int(bits)} bits where {MIN_SECRET_KEY_BITS} are needed); "
                f"{advice}")
    return None


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable casework: the message says what to set."""


def config_for(env: str | None) -> type[Config]:
    name = env or os.environ.get("CASEWORK_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigurationError(
            f"CASEWORK_ENV={name!r} is not one of {', '.join(CONFIGS)}"
        ) from None
